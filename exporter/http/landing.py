"""The landing page at `/`: links, and a table of official status vs measured outcome."""

from __future__ import annotations

from html import escape
from typing import Any

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d1d1f}
table{border-collapse:collapse;margin-bottom:2rem}th,td{padding:.3rem .8rem;text-align:left}
tr:nth-child(even){background:#f4f4f6}.ok{color:#1a7f37}.bad{color:#c0362c}.warn{color:#9a6700}
"""

_LINKS = (
    ("/metrics", "Metrics"),
    ("/api/v1/status", "Status (JSON)"),
    ("/-/healthy", "Health"),
    ("/-/ready", "Readiness"),
)


def _cls(good: bool | None) -> str:
    return "ok" if good else ("warn" if good is None else "bad")


def _page_rows(pages: list[dict[str, Any]]) -> str:
    rows = []
    for p in pages:
        indicator = p["indicator"] or "unknown"
        if p["stale"]:
            indicator += " (stale)"
        poll = "up" if p["up"] else (p["last_error"] or "not polled yet")
        rows.append(
            f"<tr><td>{escape(p['name'])}</td><td>{escape(p['provider'])}</td>"
            f"<td class='{_cls(indicator == 'none')}'>{escape(indicator)}</td>"
            f"<td>{len(p['incidents'])}</td>"
            f"<td class='{_cls(p['up'] if p['polled'] else None)}'>{escape(poll)}</td></tr>"
        )
    return "".join(rows)


def _probe_rows(probes: list[dict[str, Any]]) -> str:
    rows = []
    for p in probes:
        last = p["last"] or {}
        outcome = last.get("outcome", "not run yet")
        took = f"{last['duration_seconds'] * 1000:.0f} ms" if last else ""
        official = p["official"]  # None when the probe maps to no page
        official_cls = "" if official is None else _cls(official == "operational")
        rows.append(
            f"<tr><td>{escape(p['name'])}</td>"
            f"<td>{escape(p['type'])}{' (keyless)' if p.get('keyless') else ''}</td>"
            f"<td>{escape(p['target'])}</td>"
            f"<td class='{official_cls}'>{escape(official or '-')}</td>"
            f"<td class='{_cls(outcome == 'success' if last else None)}'>{escape(outcome)}</td>"
            f"<td>{last.get('status_code', '')}</td><td>{took}</td>"
            f"<td>{escape(last.get('detail', ''))}</td></tr>"
        )
    return "".join(rows)


def render(document: dict[str, Any]) -> str:
    links = " · ".join(f"<a href='{href}'>{text}</a>" for href, text in _LINKS)
    ready = "ready" if document["ready"] else "first round in progress"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>statusprobe</title><style>{_STYLE}</style></head><body>"
        f"<h1>statusprobe {escape(document['version'])}</h1><p>{links}</p><p>State: {ready}</p>"
        "<h2>Status pages: what they say</h2><table><tr><th>Page</th><th>Provider</th>"
        "<th>Indicator</th><th>Open incidents</th><th>Polling</th></tr>"
        f"{_page_rows(document['status_pages'])}</table>"
        "<h2>Probes: what you see</h2><table><tr><th>Probe</th><th>Type</th><th>Target</th>"
        "<th>Official status</th><th>Last outcome</th><th>Status</th><th>Took</th>"
        "<th>Detail</th></tr>"
        f"{_probe_rows(document['probes'])}</table></body></html>"
    )
