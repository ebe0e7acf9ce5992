"""History strips as inline SVG (pure): one cell per probe run, one band per page poll, on
a shared time axis so a failing run sits above what the page said at that moment.

Colour is never the only signal: a failed run is a full-height cell, a success a short
one, and every cell has a hover text (`<title>`) naming the outcome in words.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from html import escape

from exporter.history import Poll, Run
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
    """One cell per failed run, one per stretch of successful runs (its hover text gives
    the count and the latency range); a cell spans to the next run. Under the cells, a
    thin band: what the page said about `component` meanwhile (from `polls`)."""
    cells = list(_band(polls, component, start, now, HEIGHT + 2, lambda kind: BAND))
    shown = [r for r in runs if r.at >= start]
    i = 0
    while i < len(shown):
        j = i + 1
        if shown[i].success:
            while j < len(shown) and shown[j].success:
                j += 1
        first, last = shown[i], shown[j - 1]
        x = _x(first.at, start, now)
        nxt = _x(shown[j].at, start, now) if j < len(shown) else _x(last.at, start, now) + 3
        w = max(nxt - x - 0.6, 2.0)
        h = SHORT if first.success else HEIGHT
        text = run_text(first) if j - i == 1 else _successes(shown[i:j])
        cells.append(
            f"<rect class='c {KIND[first.outcome]}' x='{x:.1f}' y='{HEIGHT - h}' "
            f"width='{w:.1f}' height='{h}'><title>{escape(text)}</title></rect>"
        )
        i = j
    failed = sum(not r.success for r in runs)
    label = f"history of probe {name}: {len(runs)} runs, {failed} failed"
    return _svg(label, "".join(cells), HEIGHT + (2 + BAND if polls else 0))


def _successes(runs: Sequence[Run]) -> str:
    fastest = min(r.duration for r in runs) * 1000
    slowest = max(r.duration for r in runs) * 1000
    return (
        f"{clock(runs[0].at)[:-4]}\u2013{clock(runs[-1].at)} · {len(runs)} runs succeeded · "
        f"{fastest:.0f}\u2013{slowest:.0f} ms"
    )


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
    i = 0
    while i < len(polls):
        said = _said(polls[i], component)
        j = i + 1
        while j < len(polls) and _said(polls[j], component) == said:
            j += 1  # the same statement, poll after poll: one cell
        first = polls[i]
        end = polls[j].at if j < len(polls) else now
        i = j
        if end < start:
            continue
        x = _x(max(first.at, start), start, now)
        w = max(_x(end, start, now) - x, 1.0)
        kind = STATUS_KIND.get(first.status_of(component), "minor")
        h = height(kind)
        y = bottom if bottom else HEIGHT - h
        text = f"{clock(first.at)[:-4]}\u2013{clock(end)} · the page said: {said}"
        cells.append(
            f"<rect class='p {kind}' x='{x:.1f}' y='{y}' width='{w:.1f}' "
            f"height='{h}'><title>{escape(text)}</title></rect>"
        )
        if first.up and first.incidents and not bottom:  # a marker on top: an open incident
            cells.append(f"<rect class='inc' x='{x:.1f}' y='0' width='{w:.1f}' height='3'/>")
    return cells


def _said(poll: Poll, component: str | None) -> str:
    said = poll.status_of(component).replace("_", " ")
    if poll.up and poll.incidents:
        said += f", {poll.incidents} open incident(s)"
    if not poll.up and poll.error:
        said += f" ({poll.error})"
    return said
