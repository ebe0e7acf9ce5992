"""`statusprobe dashboards`: render the dashboards into a directory (the CLI's side).

It takes the flags of `statusprobe rules` (exporter/rules/command.py) and reads the same
`Params`, so the panels query the series that pack records, under its selector."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from exporter.dashboards.render import render
from exporter.rules.command import chosen_params, write_files


def run(output_dir: Path, profile: str = "default", params: Sequence[str] = ()) -> int:
    """Write every dashboard's JSON into `output_dir`; print what was written. 1 on a bad
    parameter or an output directory that cannot be one."""
    try:
        rendered = render(chosen_params(profile, params))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return write_files(rendered, output_dir)
