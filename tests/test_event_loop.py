"""`statusprobe run` runs on uvloop when it is installed (the [uvloop] extra)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from exporter import event_loop


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_run_uses_uvloop_when_installed() -> None:
    if event_loop.loop_name() != "uvloop":
        if os.environ.get("CI") == "true":
            pytest.fail("uvloop is part of the test extra; CI must install it")
        pytest.skip("uvloop is not installed")
    assert event_loop.run(_loop_module()).startswith("uvloop")


def test_without_uvloop_run_uses_asyncio() -> None:
    # A child where `import uvloop` finds nothing: the default loop, same behaviour.
    code = (
        "import sys; sys.modules['uvloop'] = None\n"
        "import asyncio\n"
        "from exporter import event_loop\n"
        "async def main():\n"
        "    return type(asyncio.get_running_loop()).__module__\n"
        "print(event_loop.loop_name(), event_loop.run(main()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert done.stdout.split() == ["asyncio", "asyncio.unix_events"]
