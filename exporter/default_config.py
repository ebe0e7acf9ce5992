"""`statusprobe default-config`: the embedded default config as a file to copy and edit.

The output is the packaged `default_config.yml` byte for byte, comments included, so
what `statusprobe run` runs without `--config.file` and what a user starts from are
one file.
"""

from __future__ import annotations

import sys
from importlib import resources
from typing import TextIO

FILE_NAME = "default_config.yml"


def text() -> str:
    """The embedded default config, as YAML with its comments."""
    return resources.files("exporter").joinpath(FILE_NAME).read_text("utf-8")


def run(out: TextIO | None = None) -> int:
    """Print the default config to `out` (stdout); always 0."""
    (out or sys.stdout).write(text())
    return 0
