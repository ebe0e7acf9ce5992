"""One play of the April story through the whole stack, recorded for the tests to assert on.

`play()` starts the simulated upstreams and the webhook (in a background loop), the
processes of stack.py, waits until Prometheus scrapes every exporter, starts the timeline
and sleeps until it has played out. The stack stays up until `Run.close()`, so tests can
still query Prometheus afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme

from exporter.rules import COMPRESSION
from exporter.scenarios import REGIONS, Simulation, Timeline, april_2026
from tests.e2e.background import BackgroundLoop
from tests.e2e.routing import for_test, load_example
from tests.e2e.stack import Cadence, Stack, launch, wait_scraped
from tests.e2e.webhook import Received, Webhook
from tests.llm_upstream import server_tls

SCALE = 1 / COMPRESSION
TAIL = 3.0  # seconds after the last phase's end for the last notifications


@dataclass
class Run:
    directory: Path
    timeline: Timeline
    stack: Stack
    background: BackgroundLoop
    sim: Simulation
    webhook: Webhook
    routing: dict[str, Any]
    started: float = 0.0  # wall clock: the timeline's start
    ended: float = 0.0
    setup_seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # name -> wall-clock start

    @property
    def onset(self) -> float:
        """The first failure the simulated API served (wall clock)."""
        onset = self.sim.onset
        assert onset is not None, "the simulated API never failed"
        return onset

    def alerts(self) -> list[Received]:
        return list(self.webhook.alerts())

    def close(self) -> list[str]:
        problems = self.stack.stop()
        try:
            self.background.close()
        except Exception as exc:
            problems.append(f"background loop: {exc!r}")
        return problems


def prepare(stack: Stack) -> Run:
    """Everything started in `stack`'s directory and scraped, the timeline not yet running."""
    begin = time.monotonic()
    directory = stack.directory
    background = BackgroundLoop()
    timeline = april_2026(SCALE)
    sim = Simulation(timeline)
    webhook = Webhook()
    run = Run(directory, timeline, stack, background, sim, webhook, {})
    try:
        ca = trustme.CA()
        ca_file = directory / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        urls = background.enter(sim.serve(api_tls=server_tls(ca)))
        hook = background.enter(webhook.serve())
        run.routing = for_test(load_example(), hook, SCALE)
        launch(run.stack, urls, REGIONS, hook, run.routing, Cadence(), ca_file)
        wait_scraped(run.stack, REGIONS)
    except BaseException:
        run.close()
        raise
    run.setup_seconds = time.monotonic() - begin
    return run


def play(run: Run) -> None:
    """Play the timeline once, in real time; returns when it is over (plus `TAIL`)."""
    run.started = run.sim.start()
    run.phases = {p.name: run.sim.phase_started_at(p.name) for p in run.timeline.phases}
    time.sleep(run.timeline.duration + TAIL)
    run.ended = time.time()
