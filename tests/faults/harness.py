"""A hostile upstream next to a healthy control page and probe, with /metrics scraped 4x a second.

`run_fault` serves a hostile aiohttp app and a healthy control upstream (tests/upstream.py)
on loopback, runs the real app (create_app over a Runtime) with a control page and a
control probe every second plus the hostile items, scrapes /metrics every 250 ms, and
stops once `done(runtime)` holds (the fault was counted) and at least `window` seconds
passed, or after `max_seconds`. It returns what the fault suite asserts and the benchmark
prints: the runtime (counted reasons), how many control polls and probe runs and scrapes
happened against how many were due, the worst scrape latency, and the peak RSS growth
(VmHWM after the run minus VmRSS before, with the peak reset first).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from exporter.config import parse_config
from exporter.http.app import create_app
from exporter.runtime import Runtime
from tests.upstream import Upstream

CONTROL_INTERVAL = 1.0
SCRAPE_EVERY = 0.25


@dataclass
class FaultRun:
    runtime: Runtime
    seconds: float
    control_polls: int
    control_probes: int
    scrapes: int
    failed_scrapes: int
    worst_scrape: float
    rss_growth_mb: float

    @property
    def due(self) -> float:
        """Control runs due in the window (each of the page and the probe)."""
        return self.seconds / CONTROL_INTERVAL

    def kept_schedule(self) -> bool:
        """The control page and probe ran, and /metrics answered, at least half as often
        as due: a stalled loop or a starved scheduler falls far below that."""
        scrapes_due = self.seconds / SCRAPE_EVERY
        return (
            self.control_polls >= self.due / 2 - 1
            and self.control_probes >= self.due / 2 - 1
            and self.scrapes >= scrapes_due / 2 - 1
            and self.failed_scrapes == 0
        )


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _reset_peak() -> None:
    # "5" resets VmHWM to the current RSS (Linux >= 4.0), so the peak is this run's own.
    Path("/proc/self/clear_refs").write_text("5")


async def run_fault(
    hostile: web.Application,
    items: Callable[[str], dict[str, Any]],
    done: Callable[[Runtime], bool],
    *,
    window: float = 3.0,
    max_seconds: float = 30.0,
) -> FaultRun:
    """`items(base)` gives the hostile `status_pages` and `probes`, `base` its URL."""
    control = Upstream()
    control_server = TestServer(control.app(), host="127.0.0.1")
    hostile_server = TestServer(hostile, host="127.0.0.1")
    await control_server.start_server()
    await hostile_server.start_server()
    control_base = str(control_server.make_url("")).rstrip("/")
    hostile_base = str(hostile_server.make_url("")).rstrip("/")
    control_only = {
        "status_pages": [{"name": "control", "url": control_base, "interval": "1s"}],
        "probes": [
            {
                "name": "control-api",
                "type": "http",
                "url": f"{control_base}/api/health",
                "interval": "1s",
            }
        ],
    }
    extra = items(hostile_base)
    raw = {
        "status_pages": control_only["status_pages"] + extra.get("status_pages", []),
        "probes": control_only["probes"] + extra.get("probes", []),
    }
    hostile_config = parse_config(raw)
    # The hostile items join by a reload once scraping runs, so their first runs are
    # inside the measured window.
    runtime = Runtime(parse_config(control_only), None)
    client = TestClient(TestServer(create_app(runtime), host="127.0.0.1"))
    latencies: list[float] = []
    failures = 0

    async def scrape() -> None:
        # Latency is measured from when the scrape was due, as Prometheus would see it:
        # a loop that is blocked when a scrape is due delays its answer just the same.
        nonlocal failures
        due = time.perf_counter()
        while True:
            try:
                response = await client.get("/metrics")
                await response.read()
                if response.status != 200:
                    failures += 1
            except Exception:  # counted: a scrape that does not answer is the failure
                failures += 1
            done = time.perf_counter()
            latencies.append(done - due)
            due = max(due + SCRAPE_EVERY, done)  # the next one; never two at once
            await asyncio.sleep(due - done)

    await client.start_server()
    scraper = asyncio.create_task(scrape())
    await asyncio.sleep(SCRAPE_EVERY)
    _reset_peak()
    rss_before = _status_kb("VmRSS")
    polls_before = control.hits["summary"]
    probes_before = sum(runtime.state.snapshot().probes["control-api"].outcomes)
    latencies.clear()
    runtime.apply_reload(hostile_config)
    began = time.monotonic()
    try:
        while True:
            await asyncio.sleep(0.1)
            elapsed = time.monotonic() - began
            if (elapsed >= window and done(runtime)) or elapsed >= max_seconds:
                break
        seconds = time.monotonic() - began
        state = runtime.state.snapshot()
        probe = state.probes["control-api"]
        runs = sum(probe.outcomes)
        return FaultRun(
            runtime=runtime,
            seconds=seconds,
            control_polls=control.hits["summary"] - polls_before,
            control_probes=runs - probes_before,
            scrapes=len(latencies),
            failed_scrapes=failures,
            # No scrape answered at all: the loop was blocked for the whole window.
            worst_scrape=max(latencies, default=seconds),
            rss_growth_mb=(_status_kb("VmHWM") - rss_before) / 1024,
        )
    finally:
        scraper.cancel()
        await asyncio.gather(scraper, return_exceptions=True)
        await client.close()
        await hostile_server.close()
        await control_server.close()
