"""The real tools tests run (promtool, amtool, Prometheus, Alertmanager, Chromium, ...)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer


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


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """`app` served on loopback for the block; its base URL, without a trailing slash."""
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
