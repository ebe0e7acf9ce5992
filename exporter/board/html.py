"""The board as one HTML document: inline CSS, an optional inline refresh script, no
external assets (pure). Works with JavaScript off (a <noscript> meta refresh)."""

from __future__ import annotations

import time
from html import escape

from exporter.board.strip import clock, page_strip, probe_strip, run_text
from exporter.board.view import Board, Failure, Notice, PageView, ProbeView, Upstream, Window
from exporter.durations import format_duration

DOCS = "docs/configuration.md"
LINKS = (
    ("/metrics", "Metrics"),
    ("/api/v1/status", "Status (JSON)"),
    ("/-/healthy", "Health"),
    ("/-/ready", "Readiness"),
)

# Okabe-Ito colours; light and dark variants through CSS variables.
STYLE = """
:root{--bg:#f6f7f9;--card:#fff;--fg:#1d2129;--muted:#5b6472;--line:#dfe3e8;--strip:#eef0f3;
--ok:#009e73;--minor:#e69f00;--major:#d55e00;--auth:#8b5cf6;--net:#cc79a7;--maint:#0072b2;
--down:#7a7f87;--warnbg:#fff4e5;--warnfg:#8a3b00;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#121417;--card:#1b1f24;--fg:#e6e8eb;
--muted:#9aa3ae;--line:#2c323a;--strip:#252a31;--ok:#2fbf8f;--minor:#f0b429;--major:#ff7a45;
--auth:#a78bfa;--net:#e39ac6;--maint:#56b4e9;--down:#8b9098;--warnbg:#3a2614;--warnfg:#ffc89a}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,
"Segoe UI",Roboto,sans-serif}
a{color:var(--maint)}
main{max-width:1360px;margin:0 auto;padding:1rem 1.25rem 3rem}
header{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:baseline;
border-bottom:1px solid var(--line);padding-bottom:.6rem;margin-bottom:1rem}
header h1{font-size:1.35rem;margin:0}
header nav a{margin-right:.8rem}
.muted{color:var(--muted)}
.small{font-size:.85rem}
.banner{background:var(--card);border:1px solid var(--line);border-left:6px solid var(--maint);
border-radius:8px;padding:.6rem .9rem;margin:0 0 1rem}
.notice{background:var(--warnbg);color:var(--warnfg);border-radius:8px;padding:.6rem .9rem;
margin:0 0 1rem}
section.up{background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:.9rem 1.1rem;margin:0 0 1.1rem}
section.up.div{border:2px solid var(--major)}
.up h2{font-size:1.15rem;margin:0 0 .25rem;display:flex;flex-wrap:wrap;gap:.3rem .8rem;
align-items:center}
.badge{display:inline-block;font-size:.8rem;font-weight:700;letter-spacing:.02em;
border-radius:999px;padding:.1rem .6rem;border:2px solid currentColor}
.badge.div{color:#fff;background:var(--major);border-color:var(--major)}
.badge.calm{color:var(--ok)}.badge.ack{color:var(--minor)}
.divwhy{margin:.4rem 0;padding:.45rem .7rem;border-left:4px solid var(--major);
background:var(--warnbg);color:var(--warnfg);border-radius:4px}
.said{margin:.1rem 0 .6rem}
.st{font-weight:600;white-space:nowrap}
.st.ok{color:var(--ok)}.st.minor,.st.maint{color:var(--minor)}.st.major{color:var(--major)}
.st.down,.st.unknown{color:var(--muted)}
.rows{display:grid;grid-template-columns:minmax(12rem,17rem) 15rem minmax(0,1fr);
gap:.35rem 1rem;align-items:center}
.rows .head{font-size:.78rem;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.name{font-weight:600;overflow-wrap:anywhere}
.win{display:flex;gap:.35rem}
.win span{flex:1;text-align:center;border-radius:5px;padding:.05rem .2rem;font-size:.85rem;
background:var(--strip);font-variant-numeric:tabular-nums}
.win span b{display:block;font-weight:400;font-size:.7rem;color:var(--muted)}
.win .ok{box-shadow:inset 0 -3px var(--ok)}.win .minor{box-shadow:inset 0 -3px var(--minor)}
.win .major{box-shadow:inset 0 -3px var(--major)}
svg.strip{width:100%;height:26px;display:block;border-radius:4px}svg.strip.h33{height:33px}
svg .bg{fill:var(--strip)}
svg .ok{fill:var(--ok)}svg .minor{fill:var(--minor)}svg .major,svg .server{fill:var(--major)}
svg .auth{fill:var(--auth)}svg .limit{fill:var(--minor)}svg .net{fill:var(--net)}
svg .maint{fill:var(--maint)}svg .down{fill:var(--down)}svg .inc{fill:var(--major)}
.axis{display:flex;justify-content:space-between;font-size:.75rem;color:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:.2rem 1rem;font-size:.8rem;color:var(--muted);
margin:.2rem 0 1rem}
.legend i{display:inline-block;width:.7rem;margin-right:.3rem;vertical-align:baseline;
border-radius:2px}
.legend i.s{height:.45rem}.legend i.f{height:.9rem}
.legend .ok{background:var(--ok)}.legend .server{background:var(--major)}
.legend .auth{background:var(--auth)}.legend .limit{background:var(--minor)}
.legend .net{background:var(--net)}.legend .down{background:var(--down)}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:.3rem 1.5rem;
margin-top:.8rem}
.cols .wide{grid-column:1/-1}.cols h3{font-size:.9rem;margin:.3rem 0}
.cols ul{margin:0;padding-left:1.1rem}
table.fails{border-collapse:collapse;width:100%;font-size:.85rem}
table.fails td,table.fails th{text-align:left;padding:.15rem .5rem .15rem 0;
border-bottom:1px solid var(--line);vertical-align:top}
code{font-size:.85em;overflow-wrap:anywhere}
pre{background:var(--strip);padding:.6rem;border-radius:6px;overflow:auto}
@media (max-width:760px){main{padding:.6rem}.rows{grid-template-columns:1fr 1fr}
.rows .strip-cell{grid-column:1/-1}.rows .head{display:none}}
"""

SCRIPT = """(function(){var every=%d;function tick(){if(document.hidden)return;
fetch(location.href,{cache:"no-store"}).then(function(r){if(!r.ok)throw r.status;return r.text()})
.then(function(t){var d=new DOMParser().parseFromString(t,"text/html");
var n=d.getElementById("board"),o=document.getElementById("board");if(n&&o)o.replaceWith(n)})
.catch(function(){var s=document.getElementById("stamp");if(s)s.dataset.stale="1";
s&&(s.textContent=s.textContent.replace(/ \\(refresh failed\\)$/,"")+" (refresh failed)")})}
setInterval(tick,every)})();"""

STATUS_WORDS = {
    "operational": ("ok", "✓"),
    "none": ("ok", "●"),
    "degraded_performance": ("minor", "▲"),
    "partial_outage": ("minor", "▲"),
    "minor": ("minor", "▲"),
    "under_maintenance": ("maint", "◆"),
    "maintenance": ("maint", "◆"),
    "major_outage": ("major", "✕"),
    "major": ("major", "✕"),
    "critical": ("major", "✕"),
}


def status(value: str | None, unknown: str = "unknown") -> str:
    """A status in words with a shape, coloured: never colour alone."""
    if value is None:
        return f"<span class='st unknown'>? {escape(unknown)}</span>"
    cls, shape = STATUS_WORDS.get(value, ("minor", "▲"))
    return f"<span class='st {cls}'>{shape} {escape(value.replace('_', ' '))}</span>"


def ago(now: float, at: float) -> str:
    return f"{format_duration(max(round(now - at), 0))} ago"


def _window(w: Window) -> str:
    if not w.runs:
        return f"<span title='no runs in the last {w.label}'><b>{w.label}</b>&ndash;</span>"
    ratio = w.ok / w.runs
    cls = "ok" if ratio >= 0.99 else ("minor" if ratio >= 0.9 else "major")
    pct = f"{ratio * 100:.1f}%" if ratio < 1 else "100%"
    title = f"{w.ok} of {w.runs} runs succeeded in the last {w.label}"
    return f"<span class='{cls}' title='{title}'><b>{w.label}</b>{pct}</span>"


def _said(page: PageView, now: float) -> str:
    """One line: what the page says, and how fresh that is."""
    if not page.configured:
        return (
            "<p class='said muted'>No status page of this name is configured: the probes "
            "below name it in <code>page:</code>.</p>"
        )
    if not page.polled:
        return "<p class='said'><span class='st unknown'>… not polled yet</span></p>"
    parts = []
    if page.indicator is not None:
        said = "operational" if page.indicator == "none" else page.indicator
        desc = (
            f" <span class='muted'>“{escape(page.description)}”</span>" if page.description else ""
        )
        parts.append(f"Official: {status(said)}{desc}")
    if not page.up:
        since = f" since {clock(page.down_since)}" if page.down_since else ""
        parts.append(
            f"<span class='st down'>✕ status page unreachable{since}</span> "
            f"<span class='muted'>({escape(page.last_error)})</span>"
        )
        if page.last_success is not None:
            parts.append(
                f"<span class='muted'>last good poll {ago(now, page.last_success)}"
                "; shown above as it was then</span>"
            )
        else:
            parts.append("<span class='muted'>never polled successfully</span>")
    elif page.last_success is not None:
        parts.append(f"<span class='muted'>polled {ago(now, page.last_success)}</span>")
    return "<p class='said'>" + " · ".join(parts) + "</p>"


def _probe_row(p: ProbeView, start: float, now: float, page: PageView | None) -> str:
    what = escape(p.component) if p.component else "the whole page"
    polls = page.polls if page is not None else ()
    said = (
        status(p.official, "official status unknown")
        if p.component is not None or p.official
        else status(None, "official status unknown")
    )
    keyless = (
        " <span class='badge calm' title='sends no credential: sees what anonymous callers "
        "see'>keyless</span>"
        if p.keyless
        else ""
    )
    last = ""
    if p.runs:
        run = p.runs[-1]
        shape = "✓" if run.success else "✕"
        last = f"<div class='small muted'>last: {shape} {escape(run_text(run))}</div>"
    else:
        last = "<div class='small muted'>… not run yet</div>"
    return (
        f"<div><div class='name'>{escape(p.name)}{keyless}</div>"
        f"<div class='small muted'>{escape(p.type)} → {escape(p.target)}</div>"
        f"<div class='small'>{what}: {said}</div></div>"
        f"<div class='win'>{''.join(_window(w) for w in p.windows)}</div>"
        f"<div class='strip-cell'>{probe_strip(p.name, p.runs, start, now, polls, p.component)}"
        f"{last}</div>"
    )


def _notices(title: str, items: tuple[Notice, ...], empty: str, now: float) -> str:
    if not items:
        return f"<div><h3>{title}</h3><p class='muted small'>{empty}</p></div>"
    lis = []
    for n in items:
        since = f", since {clock(n.started_at)} ({ago(now, n.started_at)})" if n.started_at else ""
        lis.append(
            f"<li><a href='{escape(n.link, quote=True)}' rel='noreferrer'>{escape(n.name)}</a> "
            f"<span class='small'>{status(_impact(n.impact))} impact · "
            f"{escape(n.status)}{since}</span></li>"
        )
    return f"<div><h3>{title}</h3><ul>{''.join(lis)}</ul></div>"


def _impact(impact: str) -> str:
    return {"none": "none"}.get(impact, impact)


def _failures(items: tuple[Failure, ...], now: float) -> str:
    if not items:
        return "<div class='wide'><h3>Last failures</h3><p class='muted small'>No failed run."
        "</p></div>"
    rows = "".join(
        f"<tr><td>{clock(f.run.at)} <span class='muted'>· {ago(now, f.run.at)}</span></td>"
        f"<td>{escape(f.probe)}</td><td>✕ {escape(f.run.outcome.value)}</td>"
        f"<td>{f.run.status_code or '&ndash;'}</td>"
        f"<td><code>{escape(f.run.request_id) or '&ndash;'}</code></td></tr>"
        for f in items
    )
    return (
        "<div class='wide'><h3>Last failures</h3><table class='fails'>"
        "<tr><th>When</th><th>Probe</th>"
        f"<th>Outcome</th><th>HTTP</th><th>Request id</th></tr>{rows}</table></div>"
    )


def _divergence(up: Upstream, board: Board) -> str:
    lines = []
    for p in up.diverging:
        v = p.verdict
        what = f"“{escape(p.component)}”" if p.component else "the page"
        page = up.page
        if page is not None and page.configured and not page.up:
            why = "the status page cannot be polled, so it admits nothing"
        else:
            why = (
                f"the status page admitted no trouble with {what} in that time (not "
                "operational, or an open incident naming it)"
            )
        lines.append(
            f"<div class='divwhy'><b>⚠ {escape(p.name)}</b>: {v.counted} of {v.runs} runs "
            f"failed in the last {board.window} ({v.ratio:.0%}, spread over "
            f"{format_duration(round(v.span, 1))}), and {why}.</div>"
        )
    return "".join(lines)


def _upstream(up: Upstream, board: Board) -> str:
    now = board.now
    page = up.page
    diverging = bool(up.diverging)
    if diverging:
        badge = "<span class='badge div'>⚠ DIVERGENCE: probes fail, the page admits nothing</span>"
    elif any(p.acknowledged for p in up.probes):
        badge = "<span class='badge ack'>▲ acknowledged: probes fail, the page admits it</span>"
    elif up.probes and page is not None and any(p.official == "operational" for p in up.probes):
        badge = "<span class='badge calm'>✓ page and probes agree</span>"
    else:
        badge = ""
    if page is None:
        title = "Probes without a status page"
        head = f"<h2>{title}</h2>"
        said = ""
    else:
        link = (
            f" <a class='small' href='{escape(page.url, quote=True)}' rel='noreferrer'>"
            "status page ↗</a>"
            if page.url
            else ""
        )
        provider = (
            f" <span class='small muted'>{escape(page.provider)}</span>" if page.provider else ""
        )
        head = f"<h2>{escape(page.name)}{provider}{link}{badge}</h2>"
        said = _said(page, now)
    rows = [
        "<div class='head'>Probe · official status</div><div class='head'>Measured success"
        f"</div><div class='head'>History <span class='muted'>({clock(up.start)} → now)"
        "</span></div>"
    ]
    if page is not None and page.configured:
        rows.append(
            "<div><div class='name'>status page</div><div class='small muted'>what it said, "
            "poll by poll</div></div><div class='small muted'>"
            f"{len(page.polls)} polls shown</div>"
            f"<div class='strip-cell'>{page_strip(page.name, None, page.polls, up.start, now)}"
            "</div>"
        )
    rows += [_probe_row(p, up.start, now, page) for p in up.probes]
    if not up.probes:
        rows.append(
            "<div class='muted small' style='grid-column:1/-1'>No probe measures this "
            "upstream: add one with <code>page: "
            f"{escape(page.name if page else '')}</code> (see {DOCS}, &lt;probe_config&gt;)."
            "</div>"
        )
    cols = ""
    if page is not None and page.configured:
        cols += _notices(
            "Open incidents",
            page.incidents,
            _unknown(page) or "None open.",
            now,
        )
        cols += _notices(
            "Maintenance", page.maintenances, _unknown(page) or "None in progress.", now
        )
    if up.probes:
        cols += _failures(up.failures, now)
    cls = "up div" if diverging else "up"
    return (
        f"<section class='{cls}'>{head}{said}{_divergence(up, board)}"
        f"<div class='rows'>{''.join(rows)}</div><div class='cols'>{cols}</div></section>"
    )


LEGEND = (
    "<div class='legend'><span><i class='s ok'></i>short: success</span>"
    "<span><i class='f server'></i>tall: overloaded / 5xx / unexpected</span>"
    "<span><i class='f auth'></i>auth error</span>"
    "<span><i class='f limit'></i>rate limited / 4xx</span>"
    "<span><i class='f net'></i>timeout / connect / DNS / TLS</span>"
    "<span><i class='f down'></i>page unreachable</span>"
    "<span>hover a cell for outcome, HTTP status and latency</span></div>"
)

NO_PROBES = (
    "<div class='notice'><b>No probes configured.</b> The board shows what the status "
    "pages say, but nothing measures the upstreams from here. Add a probe per endpoint you "
    f"depend on, with <code>page:</code> and <code>component:</code> so it sits beside what "
    f"the page says (see {DOCS}, section &lt;probe_config&gt;):"
    "<pre>probes:\n  - name: anthropic-messages\n    type: anthropic\n"
    "    url: https://api.anthropic.com\n    api_key: ${ANTHROPIC_API_KEY}\n"
    "    page: anthropic\n    component: Claude API</pre></div>"
)


def _unknown(page: PageView) -> str:
    """Why the page's incidents are not known now ("" when they are)."""
    if not page.polled:
        return "Unknown: not polled yet."
    if page.last_success is None:
        return "Unknown: the page was never polled successfully."
    if not page.up:
        return "None at the last good poll; the page cannot be polled now."
    return ""


def _readiness(board: Board) -> str:
    if board.ready:
        pages = [u.page for u in board.upstreams if u.page is not None and u.page.configured]
        if pages and not any(p.up for p in pages):
            return (
                "<span class='st ok'>✓ ready</span> <span class='st major'>✕ but every "
                "status page failed its last poll</span>"
            )
        return "<span class='st ok'>✓ ready</span>"
    waiting = list(board.waiting)
    more = f" and {len(waiting) - 4} more" if len(waiting) > 4 else ""
    what = ", ".join(escape(w) for w in waiting[:4]) + more
    return (
        "<span class='st minor'>… first round in progress</span> "
        f"<span class='small muted'>(waiting for {what})</span>"
    )


def render(board: Board) -> str:
    links = "".join(f"<a href='{href}'>{text}</a>" for href, text in LINKS)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(board.now))
    refresh = board.options.refresh_seconds
    parts = [
        "<header><h1>statusprobe</h1>"
        f"<span class='muted small'>{escape(board.version)}</span><nav>{links}</nav>"
        f"<span class='small'>{_readiness(board)}</span>"
        f"<span class='small muted' id='stamp'>updated {stamp} · refreshes every "
        f"{format_duration(refresh)} · <a href=''>refresh</a></span></header>"
    ]
    if board.banner:
        parts.append(f"<div class='banner' id='banner'>{escape(board.banner)}</div>")
    if board.reload_error:
        parts.append(
            "<div class='notice'><b>The last config reload failed</b>; the previous config is "
            f"still in force: <code>{escape(board.reload_error)}</code></div>"
        )
    if not board.counts.get("probes"):
        parts.append(NO_PROBES)
    if not board.upstreams:
        parts.append("<div class='notice'>Nothing configured: no status page and no probe.</div>")
    else:
        diverging = sum(bool(u.diverging) for u in board.upstreams)
        summary = (
            f"<b>{diverging} upstream(s) diverging</b>: probes fail while the status page "
            "admits nothing."
            if diverging
            else "No divergence: where probes fail, the status page admits it (or nothing fails)."
        )
        parts.append(f"<p class='small'>{summary}</p>{LEGEND}")
    parts += [_upstream(u, board) for u in board.upstreams]
    body = "".join(parts)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<meta name='color-scheme' content='light dark'>"
        f"<title>statusprobe status board</title><style>{STYLE}</style>"
        f"<noscript><meta http-equiv='refresh' content='{max(round(refresh), 5)}'></noscript>"
        f"</head><body><main id='board'>{body}</main>"
        f"<script>{SCRIPT % max(round(refresh * 1000), 500)}</script>"
        "</body></html>"
    )
