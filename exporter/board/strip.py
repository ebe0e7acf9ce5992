"""History strips as inline SVG (pure): one cell per probe run, one band per page poll, on
a shared time axis so a failing run sits above what the page said at that moment.

Colour is never the only signal: a failed run is a full-height cell, a success a short
one, and every cell has a hover text (`<title>`) naming the outcome in words.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from html import escape

from exporter.board.history import Poll, Run
from exporter.models import Outcome

WIDTH = 600  # the viewBox; the SVG scales to its container
HEIGHT = 26
SHORT = 9  # a success's cell height
BAND = 5  # the official-status band under a probe's cells

# Outcome -> CSS class (colours in html.py, Okabe-Ito: distinguishable with colour-blindness).
KIND = {
    Outcome.SUCCESS: "ok",
    Outcome.AUTH_ERROR: "auth",
    Outcome.RATE_LIMITED: "limit",
    Outcome.CLIENT_ERROR: "limit",
    Outcome.OVERLOADED: "server",
    Outcome.SERVER_ERROR: "server",
    Outcome.UNEXPECTED_RESPONSE: "server",
    Outcome.TIMEOUT: "net",
    Outcome.CONNECT_ERROR: "net",
    Outcome.DNS_ERROR: "net",
    Outcome.TLS_ERROR: "net",
}
STATUS_KIND = {
    "operational": "ok",
    "degraded_performance": "minor",
    "partial_outage": "minor",
    "minor": "minor",
    "maintenance": "maint",
    "under_maintenance": "maint",
    "major_outage": "major",
    "major": "major",
    "critical": "major",
    "unreachable": "down",
}
STATUS_HEIGHT = {"ok": SHORT, "minor": 17, "maint": 17, "major": HEIGHT, "down": HEIGHT}


def clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(at)) + " UTC"


def run_text(run: Run) -> str:
    parts = [clock(run.at), run.outcome.value.replace("_", " ")]
    if run.status_code:
        parts.append(f"HTTP {run.status_code}")
    parts.append(f"{run.duration * 1000:.0f} ms")
    if run.ttft is not None:
        parts.append(f"first token {run.ttft * 1000:.0f} ms")
    if run.request_id:
        parts.append(f"request id {run.request_id}")
    return " · ".join(parts)


def _x(at: float, start: float, now: float) -> float:
    return (at - start) / max(now - start, 1e-9) * WIDTH


def _svg(label: str, cells: str, height: int = HEIGHT) -> str:
    return (
        f"<svg class='strip h{height}' viewBox='0 0 {WIDTH} {height}' "
        f"preserveAspectRatio='none' role='img' aria-label='{escape(label, quote=True)}'>"
        f"<rect class='bg' width='{WIDTH}' height='{HEIGHT}'/>{cells}</svg>"
    )


def probe_strip(
    name: str,
    runs: Sequence[Run],
    start: float,
    now: float,
    polls: Sequence[Poll] = (),
    component: str | None = None,
) -> str:
    """One cell per run; a cell spans to the next run (at least 2 units wide). Under the
    cells, a thin band: what the page said about `component` meanwhile (from `polls`)."""
    cells = list(_band(polls, component, start, now, HEIGHT + 2, lambda kind: BAND))
    for i, run in enumerate(runs):
        if run.at < start:
            continue
        x = _x(run.at, start, now)
        nxt = _x(runs[i + 1].at, start, now) if i + 1 < len(runs) else x + 3
        w = max(nxt - x - 0.6, 2.0)
        h = SHORT if run.success else HEIGHT
        cells.append(
            f"<rect class='c {KIND[run.outcome]}' x='{x:.1f}' y='{HEIGHT - h}' "
            f"width='{w:.1f}' height='{h}'><title>{escape(run_text(run))}</title></rect>"
        )
    failed = sum(not r.success for r in runs)
    label = f"history of probe {name}: {len(runs)} runs, {failed} failed"
    return _svg(label, "".join(cells), HEIGHT + (2 + BAND if polls else 0))


def page_strip(
    name: str, component: str | None, polls: Sequence[Poll], start: float, now: float
) -> str:
    """What the page said about `component` (None: the whole page), poll to poll."""
    bands = _band(polls, component, start, now, 0, lambda kind: STATUS_HEIGHT[kind])
    return _svg(f"what status page {name} said, poll by poll", "".join(bands))


def _band(
    polls: Sequence[Poll],
    component: str | None,
    start: float,
    now: float,
    bottom: int,
    height: Callable[[str], int],
) -> list[str]:
    """One cell per poll, from it to the next; `bottom` 0: cells stand on the strip's
    bottom edge, else they hang from y=`bottom`."""
    cells = []
    for i, poll in enumerate(polls):
        end = polls[i + 1].at if i + 1 < len(polls) else now
        if end < start:
            continue
        x = _x(max(poll.at, start), start, now)
        w = max(_x(end, start, now) - x, 1.0)
        status = poll.status_of(component)
        kind = STATUS_KIND.get(status, "minor")
        h = height(kind)
        y = bottom if bottom else HEIGHT - h
        said = status.replace("_", " ")
        if poll.up and poll.incidents:
            said += f", {poll.incidents} open incident(s)"
        if not poll.up:
            said += f" ({poll.error})" if poll.error else ""
        text = f"{clock(poll.at)} · the page said: {said}"
        cells.append(
            f"<rect class='p {kind}' x='{x:.1f}' y='{y}' width='{w:.1f}' "
            f"height='{h}'><title>{escape(text)}</title></rect>"
        )
        if poll.up and poll.incidents and not bottom:  # a marker on top: an open incident
            cells.append(f"<rect class='inc' x='{x:.1f}' y='0' width='{w:.1f}' height='3'/>")
    return cells
