"""An upstream's chart as SVG (pure): error ratio per region over the range, the status
page's official status as a band on top, the onset and admission of each episode marked.
Regions differ by colour and by dash pattern, so the chart reads without colour too."""

from __future__ import annotations

import time
from html import escape

from exporter.report.analyse import Upstream

W, H = 760, 280
LEFT, RIGHT, TOP, BAND, BOTTOM = 46, 12, 8, 18, 54
PLOT_TOP = TOP + BAND + 10
PLOT_H = H - PLOT_TOP - BOTTOM
COLOURS = ("#d55e00", "#0072b2", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 4")
BAND_COLOURS = {
    "ok": "#009e73",
    "degraded": "#e69f00",
    "incident": "#e69f00",
    "outage": "#d55e00",
    "none": "#c8ccd2",
}


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(at))


def svg(up: Upstream, start: float, end: float) -> str:
    span = max(end - start, 1e-9)
    plot_w = W - LEFT - RIGHT

    def x(t: float) -> float:
        return LEFT + (t - start) / span * plot_w

    def y(ratio: float) -> float:
        return PLOT_TOP + (1 - ratio) * PLOT_H

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {W} {H}' width='{W}' "
        f"height='{H}' font-family='sans-serif' font-size='11' role='img' "
        f"aria-label='error ratio per region for {escape(up.name, quote=True)}'>",
        f"<rect width='{W}' height='{H}' fill='#ffffff'/>",
    ]
    for band in up.bands:  # the official status
        x0, x1 = x(band.start), x(min(band.end, end))
        colour = BAND_COLOURS[band.kind]
        parts.append(
            f"<rect x='{x0:.1f}' y='{TOP}' width='{max(x1 - x0, 0.5):.1f}' height='{BAND}' "
            f"fill='{colour}'><title>{escape(band.text)}</title></rect>"
        )
    parts.append(f"<text x='{LEFT - 4}' y='{TOP + 13}' text-anchor='end' fill='#333'>page</text>")
    for ratio in (0, 0.25, 0.5, 0.75, 1):
        yy = y(ratio)
        parts.append(
            f"<line x1='{LEFT}' x2='{W - RIGHT}' y1='{yy:.1f}' y2='{yy:.1f}' stroke='#e3e6ea'/>"
            f"<text x='{LEFT - 4}' y='{yy + 4:.1f}' text-anchor='end' fill='#555'>"
            f"{ratio:.0%}</text>"
        )
    for i in range(5):
        t = start + span * i / 4
        anchor = "start" if i == 0 else ("end" if i == 4 else "middle")
        parts.append(
            f"<text x='{x(t):.1f}' y='{H - BOTTOM + 14}' text-anchor='{anchor}' fill='#555'>"
            f"{_clock(t)}</text>"
        )
    for episode in up.episodes:
        marks = [(episode.onset, "onset", "#333")]
        if episode.admitted is not None:
            marks.append((episode.admitted.at, "admitted", "#0072b2"))
        for at, label, colour in marks:
            xx = x(max(at, start))
            parts.append(
                f"<line x1='{xx:.1f}' x2='{xx:.1f}' y1='{PLOT_TOP}' y2='{PLOT_TOP + PLOT_H}' "
                f"stroke='{colour}' stroke-dasharray='3 3'/>"
                f"<text x='{xx + 3:.1f}' y='{PLOT_TOP + 10}' fill='{colour}'>{label}</text>"
            )
    legend_x = LEFT
    for i, (region, ratios) in enumerate(up.series.items()):
        colour, dash = COLOURS[i % len(COLOURS)], DASHES[i % len(DASHES)]
        runs: list[list[str]] = [[]]
        for t, value in zip(up.buckets, ratios, strict=True):
            if value is None:
                runs.append([])
            else:
                runs[-1].append(f"{x(t):.1f},{y(value):.1f}")
        for points in runs:
            if points:
                parts.append(
                    f"<polyline points='{' '.join(points)}' fill='none' stroke='{colour}' "
                    f"stroke-width='2' stroke-dasharray='{dash}'/>"
                )
        name = f"region {region}" if region else "(no region label)"
        parts.append(
            f"<line x1='{legend_x}' x2='{legend_x + 22}' y1='{H - 26}' y2='{H - 26}' "
            f"stroke='{colour}' stroke-width='2' stroke-dasharray='{dash}'/>"
            f"<text x='{legend_x + 26}' y='{H - 22}' fill='#333'>{escape(name)}</text>"
        )
        legend_x += 40 + 7 * len(name)
    parts.append(
        f"<text x='{LEFT}' y='{H - 5}' fill='#555'>error ratio per region, UTC; page band: "
        "green operational, amber degraded, partial outage or incident, red major outage, "
        "grey no data</text></svg>"
    )
    return "".join(parts)
