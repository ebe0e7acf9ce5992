"""The status board in a real headless Chromium (Debian's `chromium`), over loopback.

The demo's story (exporter/scenarios, the April-like outage) plays on a clock the test
holds: each phase stays on while the exporter probes and polls for real, then Chromium
takes a screenshot (1400 px wide; one at phone width), and the test reads the rendered DOM.
Set STATUSPROBE_SCREENSHOTS=DIR to keep the screenshots.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from exporter import demo
from exporter.board.judge import DIVERGENCE_WINDOW, MIN_SPAN, Verdict, failures
from exporter.board.view import Options
from exporter.config import parse_config
from exporter.http.app import create_app
from exporter.runtime import Runtime
from exporter.scenarios import Simulation, april_2026
from tests.tools import binary
from tests.upstream import Upstream

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)
SPEED = 100.0  # the board's windows in story time: the divergence window is 3s
PROBE_EVERY = 0.5  # 120 runs in the ring: a minute of history


def chromium() -> str:
    return binary("chromium", "chromium")


@dataclass(frozen=True)
class Browsed:
    out: str  # stdout: the DOM with --dump-dom
    console: list[str]  # the page's console messages (errors included)


async def browse(url: str, *args: str) -> Browsed:
    with tempfile.TemporaryDirectory() as profile:
        proc = await asyncio.create_subprocess_exec(
            chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            *args,
            url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    console = [line for line in err.decode(errors="replace").splitlines() if ":CONSOLE" in line]
    return Browsed(out.decode(), console)


async def screenshot(url: str, path: Path, size: str = "1400,1000") -> Browsed:
    # Virtual time lets the page's refresh script run (and fail loudly, if it would).
    shot = await browse(
        url, f"--screenshot={path}", f"--window-size={size}", "--virtual-time-budget=3000"
    )
    assert (await asyncio.to_thread(path.read_bytes))[:8] == b"\x89PNG\r\n\x1a\n"
    return shot


async def dom(url: str) -> str:
    browsed = await browse(url, "--dump-dom")
    assert browsed.console == []
    return browsed.out


async def test_a_page_and_a_probe_render(upstream: tuple[Upstream, str], tmp_path: Path) -> None:
    sim, base = upstream
    sim.api_status = 529
    config = parse_config(
        {
            "status_pages": [{"name": "acme", "url": base, "interval": "5s"}],
            "probes": [
                {
                    "name": "acme-api",
                    "type": "http",
                    "url": f"{base}/api/x",
                    "interval": "5s",
                    "page": "acme",
                    "component": "claude.ai",
                }
            ],
        }
    )
    runtime = Runtime(config, None)
    server = TestServer(create_app(runtime), host="127.0.0.1")
    await server.start_server()
    try:
        async with asyncio.timeout(10):
            await runtime.scheduler.ready.wait()  # type: ignore[union-attr]
        url = str(server.make_url("/"))
        rendered = await dom(url)
        shot = await screenshot(url, tmp_path / "landing.png", "1200,700")
    finally:
        await server.close()
    assert shot.console == []
    assert "<h1>statusprobe</h1>" in rendered
    assert "acme-api" in rendered and "overloaded" in rendered and "HTTP 529" in rendered
    # official status beside the measured outcome, in words and a shape
    assert "✓ operational" in rendered
    assert "0%" in rendered  # the measured success of the windows
    assert not _badge(rendered)  # one failed run is not enough: the rule wants two
    assert (tmp_path / "landing.png").stat().st_size > 10_000


class HeldClock:
    """The story's clock, held at a position until the test moves it."""

    def __init__(self) -> None:
        self.base = time.time()
        self.position = 0.0

    def __call__(self) -> float:
        return self.base + self.position


@pytest.fixture
async def demo_board() -> AsyncIterator[tuple[Simulation, HeldClock, Runtime, str]]:
    clock = HeldClock()
    sim = Simulation(april_2026(1 / SPEED), clock=clock)
    async with sim.serve() as urls:
        runtime = Runtime(
            demo.demo_config(urls, demo.PROBE_INTERVAL / PROBE_EVERY, floor=0.1), None
        )
        options = Options(time_scale=SPEED, refresh_seconds=1.0, banner=lambda: demo.banner(sim))
        server = TestServer(create_app(runtime, options), host="127.0.0.1")
        await server.start_server()
        try:
            sim.start()
            async with asyncio.timeout(10):
                await runtime.scheduler.ready.wait()  # type: ignore[union-attr]
            yield sim, clock, runtime, str(server.make_url("/"))
        finally:
            await server.close()


async def _until(check: Callable[[], bool], timeout: float = 15) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.1)


def _badge(html: str) -> bool:
    return '<span class="badge div">' in html


async def test_the_demo_story_phase_by_phase(
    demo_board: tuple[Simulation, HeldClock, Runtime, str], tmp_path: Path
) -> None:
    sim, clock, runtime, url = demo_board
    keep = os.environ.get("STATUSPROBE_SCREENSHOTS")
    shots = Path(keep) if keep else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    starts = sim.timeline.starts()
    history = runtime.state.history

    def failed_runs(probe: str, within: float) -> int:
        now = time.time()
        return sum(not r.success for r in history.probe(probe).window(now, within))

    def judge(probe: str) -> Verdict:
        window = history.probe(probe).window(time.time(), DIVERGENCE_WINDOW / SPEED)
        return failures(window, MIN_SPAN / SPEED)

    def page_says(incidents: int, status: str | None = None) -> Callable[[], bool]:
        def check() -> bool:
            polls = list(history.polls("claude"))
            return (
                bool(polls)
                and polls[-1].incidents == incidents
                and (status is None or polls[-1].status_of(demo.API_COMPONENT) == status)
            )

        return check

    consoles: list[str] = []
    seen: dict[str, str] = {}
    for number, phase in enumerate(sim.timeline.phases, 1):
        clock.position = starts[phase.name] + 0.01
        if phase.name == "healthy":
            await asyncio.sleep(2.0)  # a few healthy runs
        elif phase.name == "spikes":  # until the rule's condition holds (span included)
            await _until(lambda: judge("claude-api-b").failing)
        elif phase.name == "incident":
            await _until(page_says(1, "partial_outage"))
            await asyncio.sleep(1.0)
        elif phase.name == "monitoring":
            await _until(page_says(1, "operational"))
            await asyncio.sleep(1.0)
        else:  # resolved: past the divergence window, the page operational again
            await _until(page_says(0))
            await _until(lambda: failed_runs("claude-api-b", 3.5) == 0)
        seen[phase.name] = await dom(url)
        shot = await screenshot(url, shots / f"board-{number}-{phase.name}.png")
        consoles += shot.console
        if phase.name == "spikes":
            phone = await screenshot(url, shots / "board-2-spikes-phone.png", "390,1400")
            consoles += phone.console
    assert consoles == []

    for number, (name, html) in enumerate(seen.items(), 1):
        assert f"phase {number} of 5: {name}" in html, name
    assert not _badge(seen["healthy"])
    assert _badge(seen["spikes"])
    assert re.search(r"⚠ claude-api-b</b>: \d+ of \d+ runs failed in the last 3s", seen["spikes"])
    assert "admitted no trouble with “Claude API (api.anthropic.com)”" in seen["spikes"]
    assert "claude-api-a</b>" not in seen["spikes"]  # only region b diverges
    # The page admits it: the incident, linked on the provider's page, ends the divergence.
    assert not _badge(seen["incident"])
    assert "/incidents/e2eapr26q1xz" in seen["incident"]
    assert "Elevated errors on the Claude API" in seen["incident"]
    assert not _badge(seen["resolved"])
    # After recovery the outage stays in the history: failed cells, and the last failures
    # with the provider's request ids.
    resolved = seen["resolved"]
    assert re.search(r"<rect class=\"c (auth|server|net)\"", resolved)
    assert "req_sim_b_" in resolved
    assert "HTTP 401" in resolved and "HTTP 529" in resolved
