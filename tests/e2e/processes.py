"""Real processes on loopback: free ports, binaries from Debian, logs to files, stop by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

GRACE = 10.0  # seconds between SIGTERM and SIGKILL


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Process:
    """One child process; stdout and stderr go to `log`."""

    def __init__(
        self, name: str, argv: Sequence[str], log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.log = log
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                list(argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
            )
        self.pid = self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace: float = GRACE) -> int:
        """SIGTERM to our PID, SIGKILL after `grace` seconds; returns the exit code."""
        if self.running():
            os.kill(self.pid, signal.SIGTERM)
            try:
                return self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
        return self.popen.wait(timeout=grace)

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError as exc:
            return f"(no log: {exc})"
        return "\n".join(text.splitlines()[-lines:])

    def wait_http(self, url: str, timeout: float = 30.0) -> None:
        """Until GET `url` answers 200; fails early when the process exits."""
        wait_until(lambda: _ok(url), timeout, f"{self.name} at {url}", self)


def wait_until(
    check: Callable[[], bool],
    timeout: float,
    what: str,
    process: Process | None = None,
    interval: float = 0.2,
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if process is not None and not process.running():
            raise AssertionError(
                f"{process.name} exited with {process.popen.returncode} while waiting for "
                f"{what}:\n{process.tail()}"
            )
        if time.monotonic() > deadline:
            tail = f":\n{process.tail()}" if process is not None else ""
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}{tail}")
        time.sleep(interval)


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False
