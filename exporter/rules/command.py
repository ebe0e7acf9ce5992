"""`statusprobe rules` and `statusprobe dashboards`: the flags they share and the CLI's
side of rendering (both read one `Params`, so the dashboards query the series the rules
record, under the same selector)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from exporter.config import Config
from exporter.generated_files import write
from exporter.rules.alertmanager import FILENAME as ALERTMANAGER_FILE
from exporter.rules.alertmanager import render as render_alertmanager
from exporter.rules.params import PROFILES, Params, for_profile, with_overrides
from exporter.rules.render import render
from exporter.rules.slo import from_config


def add_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """The flags `rules` and `dashboards` share; `what` is what the command writes."""
    parser.add_argument(
        "--config.file",
        dest="config_file",
        type=Path,
        help="configuration file: `rules` renders SLO rules for its slos: (default: the "
        "embedded default config, which has none); `dashboards` takes it too, so one command "
        "line renders both",
    )
    parser.add_argument(
        "--profile",
        default="default",
        choices=PROFILES,
        help="time profile: default, or compressed (every window and for: divided by 60, "
        "for end-to-end tests); use the same one for the rules and the dashboards",
    )
    parser.add_argument(
        "--output.dir",
        dest="output_dir",
        type=Path,
        required=True,
        help=f"directory to write {what} into (created if missing; files are overwritten)",
    )
    parser.add_argument(
        "--param",
        dest="params",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a rules-pack parameter (docs/rules.md lists them); repeatable; give "
        "the dashboards the same ones as the rules",
    )


def parse_params(items: Sequence[str]) -> dict[str, str]:
    """`["NAME=VALUE", ...]` -> {NAME: VALUE}; ValueError on an item without `=`."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--param {item!r}: write NAME=VALUE")
        out[key.strip()] = value
    return out


def chosen_params(profile: str, params: Sequence[str]) -> Params:
    """The parameters a command renders with; ValueError on a bad one."""
    return for_profile(profile, with_overrides(Params(), parse_params(params)))


def run(config: Config, profile: str, output_dir: Path, params: Sequence[str] = ()) -> int:
    """Write the pack for `config`'s SLOs and the Alertmanager example; print what was
    written. 1 on a bad parameter or an output directory that cannot be one."""
    try:
        chosen = chosen_params(profile, params)
        rendered = render(chosen, from_config(config))
        rendered[ALERTMANAGER_FILE] = render_alertmanager()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return write_files(rendered, output_dir)


def write_files(files: dict[str, str], output_dir: Path) -> int:
    """Write and list `files`; a one-line error and 1 when `output_dir` is a file, lies
    under one, or cannot be written."""
    try:
        written = write(files, output_dir)
    except (FileExistsError, NotADirectoryError):
        print(
            f"error: --output.dir {output_dir}: it, or a directory above it, is a file",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        print(f"error: --output.dir {output_dir}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0
