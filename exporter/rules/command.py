"""`statusprobe rules`: render the pack into a directory (the CLI's side of it)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from exporter.config import Config
from exporter.generated_files import write
from exporter.rules.params import Params, for_profile, with_overrides
from exporter.rules.render import render
from exporter.rules.slo import from_config


def parse_params(items: Sequence[str]) -> dict[str, str]:
    """`["NAME=VALUE", ...]` -> {NAME: VALUE}; ValueError on an item without `=`."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--param {item!r}: write NAME=VALUE")
        out[key.strip()] = value
    return out


def run(config: Config, profile: str, output_dir: Path, params: Sequence[str] = ()) -> int:
    """Write the pack for `config`'s SLOs; print what was written. 1 on a bad parameter."""
    try:
        chosen = for_profile(profile, with_overrides(Params(), parse_params(params)))
        rendered = render(chosen, from_config(config))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in write(rendered, output_dir):
        print(path)
    return 0
