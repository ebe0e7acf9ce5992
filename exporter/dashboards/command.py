"""`statusprobe dashboards`: render the dashboards into a directory (the CLI's side)."""

from __future__ import annotations

from pathlib import Path

from exporter.dashboards.render import render
from exporter.generated_files import write


def run(output_dir: Path) -> int:
    """Write every dashboard's JSON into `output_dir`; print what was written."""
    for path in write(render(), output_dir):
        print(path)
    return 0
