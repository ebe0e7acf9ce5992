"""`statusprobe report`: fetch, analyse, write; exit 1 with one clear line on error."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from exporter.report import render
from exporter.report.analyse import analyse
from exporter.report.chart import svg
from exporter.report.fetch import fetch
from exporter.report.prometheus import Prometheus, ReportError
from exporter.report.times import parse_time

FORMATS = ("markdown", "html", "json")
FILES = {"markdown": "report.md", "html": "report.html", "json": "report.json"}


def run(url: str, since: str, until: str | None, output_dir: Path | None, fmt: str) -> int:
    try:
        start = parse_time(since)
        end = parse_time(until) if until else None
        text = _report(url, start, end, output_dir, fmt)
    except (ReportError, ValueError) as exc:
        print(f"statusprobe report: {exc}", file=sys.stderr)
        return 1
    if output_dir is None:
        sys.stdout.write(text)
    else:
        print(f"wrote {text}")
    return 0


def _report(url: str, start: float, end: float | None, out: Path | None, fmt: str) -> str:
    """The report's text (no --output.dir), else the path of the file written."""
    end = time.time() if end is None else end
    if end <= start:
        raise ReportError("--until must be after --since")
    prometheus = Prometheus(url)
    try:
        report = analyse(fetch(prometheus, start, end))
    finally:
        prometheus.close()
    if fmt == "html":
        text = render.html(report)
    elif fmt == "json":
        text = render.as_json(report)
    else:
        charts = {}
        if out is not None:
            (out / "charts").mkdir(parents=True, exist_ok=True)
            for up in report.troubled:
                chart = f"charts/{render.slug(up.name)}.svg"
                (out / chart).write_text(svg(up, report.start, report.end))
                charts[up.name] = chart
        text = render.markdown(report, charts)
    if out is None:
        return text
    out.mkdir(parents=True, exist_ok=True)
    path = out / FILES[fmt]
    path.write_text(text)
    return str(path)
