"""The real tools tests run (promtool, amtool, Prometheus, Alertmanager, Chromium, ...)."""

from __future__ import annotations

import os
import shutil

import pytest


def in_ci() -> bool:
    """CI=true, as CI sets it and README documents; any other value is a local run."""
    return os.environ.get("CI", "").strip().lower() == "true"


def binary(name: str, package: str) -> str:
    """The path of `name`; skips the test when it is missing, fails under CI=true (where
    .ci/run must have installed it)."""
    path = shutil.which(name)
    if path is None:
        if in_ci():
            pytest.fail(f"{name} is not installed; .ci/run installs it (Debian: {package})")
        pytest.skip(f"{name} is not installed (apt-get install {package})")
    return path
