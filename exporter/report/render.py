"""The report as Markdown, HTML or JSON (pure)."""

from __future__ import annotations

import json
import re
from html import escape
from typing import Any

from exporter.durations import format_duration
from exporter.report.analyse import Episode, Report, Share, Upstream
from exporter.report.chart import svg
from exporter.report.times import iso, iso_ms


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "upstream"


def _pct(ratio: float | None) -> str:
    return "no data" if ratio is None else f"{ratio * 100:.2f}%"


def _share(s: Share) -> str:
    return f"{s.failed}/{s.runs} failed ({s.ratio:.0%})"


def _lag(e: Episode) -> str:
    a = e.admitted
    if a is None:
        return "never admitted in the range"
    if a.lag <= 0:
        return f"already admitted at the onset (since {iso(a.at)})"
    return f"{format_duration(round(a.lag, 1))} after the onset"


def _facts(up: Upstream, e: Episode, number: int) -> list[tuple[str, str]]:
    regions = ", ".join(
        f"{r or '(no region)'} {_share(s)}" for r, s in e.regions.items() if s.failed
    )
    healthy = [r or "(no region)" for r, s in e.regions.items() if not s.failed]
    probes = ", ".join(f"{p} {_share(s)}" for p, s in e.probes.items() if s.failed)
    mix = ", ".join(f"{o} {n}" for o, n in e.outcomes.items())
    admitted = (
        "never" if e.admitted is None else f"{iso_ms(e.admitted.at)}: " + "; ".join(e.admitted.how)
    )
    return [
        ("Measured onset", iso_ms(e.onset)),
        ("Measured end", f"{iso_ms(e.end)} (lasted {format_duration(round(e.end - e.onset, 1))})"),
        ("Affected regions", regions + (f"; healthy: {', '.join(healthy)}" if healthy else "")),
        ("Affected probes", probes),
        ("Outcome mix", mix),
        (
            "Error ratio",
            f"mean {e.ratio:.1%}, peak {e.peak_ratio:.0%} (one region, one chart bucket)",
        ),
        ("Worst latency", e.worst_duration),
        ("Worst time to first token", e.worst_ttft),
        ("Status page admitted it", admitted),
        ("Acknowledgement lag", _lag(e)),
    ]


def _summary(report: Report) -> str:
    troubled = report.troubled
    span = f"{iso(report.start)} to {iso(report.end)}"
    if not report.upstreams:
        return (
            f"No statusprobe probe results in Prometheus from {span}: is it scraping "
            "statusprobe, and is the range right?"
        )
    if not troubled:
        return (
            f"No trouble from {span}: every one of the {report.runs} probe runs of "
            f"{len(report.upstreams)} upstream(s) succeeded."
        )
    names = ", ".join(u.name for u in troubled)
    return (
        f"From {span}, {len(troubled)} of {len(report.upstreams)} upstream(s) had trouble: {names}."
    )


def _availability(up: Upstream) -> str:
    return (
        f"official {_pct(up.official)} (the page claimed it available), measured "
        f"{_pct(1 - up.measured.ratio if up.measured.runs else None)} "
        f"({up.measured.runs - up.measured.failed}/{up.measured.runs} runs succeeded)"
    )


def _isolated(up: Upstream) -> str:
    if not up.isolated:
        return ""
    first = ", ".join(
        f"{iso(t)} {o}" + (f" (region {r})" if r else "") for t, r, o in up.isolated[:5]
    )
    more = f" and {len(up.isolated) - 5} more" if len(up.isolated) > 5 else ""
    return f"Isolated failures (fewer than 3 in a row): {first}{more}."


def markdown(report: Report, charts: dict[str, str] | None = None) -> str:
    """`charts`: upstream name -> the chart's path relative to the report."""
    lines = [
        "# Outage report",
        "",
        f"Range {iso(report.start)} to {iso(report.end)}, resolution "
        f"{format_duration(report.step)}.",
        "",
        _summary(report),
    ]
    for up in report.troubled:
        lines += ["", f"## {up.name}", ""]
        if up.page:
            lines.append(f"Page `{up.page}`, components: {', '.join(up.components)}.  ")
        lines.append(f"Availability over the range: {_availability(up)}.")
        if charts and up.name in charts:
            lines += ["", f"![error ratio per region, {up.name}]({charts[up.name]})"]
        for i, e in enumerate(up.episodes, 1):
            lines += ["", f"### Episode {i}", "", "| | |", "|---|---|"]
            lines += [f"| {k} | {v.replace('|', '/')} |" for k, v in _facts(up, e, i)]
        if up.isolated:
            lines += ["", _isolated(up)]
    return "\n".join(lines) + "\n"


STYLE = """body{font:15px/1.45 system-ui,sans-serif;max-width:900px;margin:2rem auto;padding:0 1rem;
color:#1d2129}table{border-collapse:collapse;margin:.5rem 0 1rem}td{padding:.2rem .8rem .2rem 0;
border-bottom:1px solid #e3e6ea;vertical-align:top}
td:first-child{font-weight:600;white-space:nowrap}
svg{max-width:100%;height:auto;border:1px solid #e3e6ea;border-radius:6px}"""


def html(report: Report) -> str:
    body = [
        "<h1>Outage report</h1>",
        f"<p>Range {iso(report.start)} to {iso(report.end)}, resolution "
        f"{format_duration(report.step)}.</p><p><b>{escape(_summary(report))}</b></p>",
    ]
    for up in report.troubled:
        body.append(f"<h2 id='{slug(up.name)}'>{escape(up.name)}</h2>")
        body.append(f"<p>Availability over the range: {escape(_availability(up))}.</p>")
        body.append(svg(up, report.start, report.end))
        for i, e in enumerate(up.episodes, 1):
            rows = "".join(
                f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in _facts(up, e, i)
            )
            body.append(f"<h3>Episode {i}</h3><table>{rows}</table>")
        if up.isolated:
            body.append(f"<p>{escape(_isolated(up))}</p>")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>statusprobe outage report</title><style>{STYLE}</style></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )


def _episode_json(e: Episode) -> dict[str, Any]:
    return {
        "onset": iso_ms(e.onset),
        "onset_unix": e.onset,
        "end": iso_ms(e.end),
        "end_unix": e.end,
        "failed_runs": e.failed,
        "runs": e.runs,
        "mean_error_ratio": round(e.ratio, 4),
        "peak_error_ratio": round(e.peak_ratio, 4),
        "regions": {r: {"failed": s.failed, "runs": s.runs} for r, s in e.regions.items()},
        "probes": {p: {"failed": s.failed, "runs": s.runs} for p, s in e.probes.items()},
        "outcomes": e.outcomes,
        "worst_duration": e.worst_duration,
        "worst_ttft": e.worst_ttft,
        "admitted": None
        if e.admitted is None
        else {
            "at": iso_ms(e.admitted.at),
            "at_unix": e.admitted.at,
            "lag_seconds": round(e.admitted.lag, 3),
            "how": list(e.admitted.how),
        },
    }


def as_json(report: Report) -> str:
    doc = {
        "since": iso(report.start),
        "until": iso(report.end),
        "resolution_seconds": report.step,
        "summary": _summary(report),
        "upstreams": [
            {
                "name": up.name,
                "page": up.page,
                "components": list(up.components),
                "probes": list(up.probes),
                "regions": list(up.regions),
                "trouble": up.trouble,
                "official_availability": up.official,
                "measured_availability": None
                if not up.measured.runs
                else round(1 - up.measured.ratio, 6),
                "runs": up.measured.runs,
                "episodes": [_episode_json(e) for e in up.episodes],
                "isolated_failures": [
                    {"at": iso_ms(t), "region": r, "outcome": o} for t, r, o in up.isolated
                ],
            }
            for up in report.upstreams
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
