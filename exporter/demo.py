"""`statusprobe demo`: an outage like April 2026's, played on loopback, watched live.

A simulated Statuspage and a simulated Anthropic API (exporter/scenarios) play the story
on a loop: healthy; region b failing with 401s, 529s and stalls while the page says
operational; the page declaring an incident; recovery. A real exporter polls the page and
probes the API from three "regions" (one probe each) and serves its status board, metrics
and status API as `statusprobe run` does. Everything binds loopback except the exporter's
own listen address; nothing reaches the internet.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from exporter.board.view import Options
from exporter.config import Config, parse_config
from exporter.durations import format_duration
from exporter.http.server import serve
from exporter.scenarios import API_COMPONENT, REGIONS, Endpoints, Simulation, april_2026

PAGE = "claude"
DEMO_KEY = "sk-demo-not-a-real-key"  # the simulated API accepts anything
# The real-world cadence the story is written for; the demo divides it by --speed.
PROBE_INTERVAL, PAGE_INTERVAL = 30.0, 60.0


def demo_config(urls: Endpoints, speed: float, *, floor: float = 1.0) -> Config:
    """The exporter's config: the simulated page, and one Anthropic probe per region, at
    the story's cadence divided by `speed` but never more often than every `floor` seconds."""
    probe_every = max(floor, PROBE_INTERVAL / speed)
    poll_every = max(floor, PAGE_INTERVAL / speed)
    probes: list[dict[str, Any]] = [
        {
            "name": f"claude-api-{region}",
            "type": "anthropic",
            "url": urls.api_for(region),
            "api_key": DEMO_KEY,
            "interval": format_duration(probe_every),
            "timeout": format_duration(probe_every),
            "stream_idle_timeout": format_duration(probe_every / 2),
            "page": PAGE,
            "component": API_COMPONENT,
        }
        for region in REGIONS
    ]
    return parse_config(
        {
            "status_pages": [
                {"name": PAGE, "url": urls.status_page, "interval": format_duration(poll_every)}
            ],
            "probes": probes,
        }
    )


async def run(host: str | None, port: int, *, speed: float) -> None:
    """Play the story until SIGTERM or SIGINT."""
    sim = Simulation(april_2026(1 / speed), repeat=True)
    async with sim.serve() as urls:
        config = demo_config(urls, speed)
        board = f"http://{host or '127.0.0.1'}:{port}/"
        print(
            f"statusprobe demo: an outage like April 2026's, {speed:g}x faster than life, "
            f"on a loop of {format_duration(sim.timeline.duration)}.\n"
            f"  status board   {board}\n"
            f"  metrics        {board}metrics\n"
            f"  status API     {board}api/v1/status\n"
            f"  simulated page {urls.status_page}/api/v2/summary.json\n"
            "Watch probe claude-api-b fail while the page still says operational.",
            flush=True,
        )
        sim.start()
        narrator = asyncio.create_task(_narrate(sim))
        try:
            await serve(
                config,
                None,
                host,
                port,
                origin="the demo's config",
                board=board_options(sim, speed),
            )
        finally:
            narrator.cancel()


def board_options(sim: Simulation, speed: float) -> Options:
    """The board in story time: windows shrink by `speed`, a banner names the phase."""
    return Options(
        time_scale=speed, refresh_seconds=max(1.0, 10 / speed), banner=lambda: banner(sim)
    )


def banner(sim: Simulation) -> str:
    """The phase playing, e.g. "Demo, phase 2 of 5 (spikes, 40s in): region b: ..."."""
    phase = sim.current()
    phases = sim.timeline.phases
    number = next(i for i, p in enumerate(phases, 1) if p.name == phase.name)
    elapsed = sim.elapsed() % sim.timeline.duration if sim.repeat else sim.elapsed()
    into = format_duration(round(max(elapsed - sim.timeline.starts()[phase.name], 0)))
    return (
        f"Demo, phase {number} of {len(phases)}: {phase.name} ({into} in) — "
        f"{phase.summary}. The story loops every {format_duration(sim.timeline.duration)}."
    )


async def _narrate(sim: Simulation) -> None:
    """Print each phase as it starts: what the page says and what the regions see."""
    shown = None
    started = time.monotonic()
    while True:
        phase = sim.current()
        if phase.name != shown:
            shown = phase.name
            elapsed = format_duration(round(time.monotonic() - started))
            print(f"[{elapsed:>6}] {phase.name}: {phase.summary}", flush=True)
        await asyncio.sleep(0.2)
