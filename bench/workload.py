"""Synthetic workload shared by the benches: a config and a filled State of a given size.

Each status page has 20 components in 3 groups and 2 open incidents; each probe has
RESULTS_PER_PROBE recorded results (90% success, five phases, a TLS expiry). Every tenth
probe stands for a streaming LLM probe and also records a time to first token, so it
carries the TTFT histogram too (today's http probe never sets one).
"""

from __future__ import annotations

import random
from typing import Any

from exporter.config import Config, parse_config
from exporter.models import (
    PHASES,
    Component,
    ComponentStatus,
    Impact,
    Incident,
    Indicator,
    Outcome,
    PageSnapshot,
    ProbeResult,
)
from exporter.state import State

SIZES: tuple[tuple[int, int], ...] = ((10, 100), (100, 1000), (300, 5000))
GROUPS = ("API", "Web", "Infrastructure")
RESULTS_PER_PROBE = 5
FILLED_AT = 1.7e9  # the wall-clock time fill_state records at by default


def make_config(
    pages: int, probes: int, intervals: tuple[str, ...] = ("30s",), max_concurrency: int = 64
) -> Config:
    raw: dict[str, Any] = {
        "scheduler": {"max_concurrency": max_concurrency},
        "status_pages": [
            {"name": f"page-{i:03d}", "url": f"https://status-{i}.example.com", "interval": "60s"}
            for i in range(pages)
        ],
        "probes": [
            {
                "name": f"probe-{i:05d}",
                "type": "http",
                "url": f"https://api-{i % 50}.example.com:8443/v1/models?x={i}",
                "interval": intervals[i % len(intervals)],
            }
            | (
                {"page": f"page-{i % pages:03d}", "component": f"Component {i % 20:02d}"}
                if pages
                else {}
            )
            for i in range(probes)
        ],
    }
    return parse_config(raw)


def make_snapshot(page: int) -> PageSnapshot:
    statuses = tuple(ComponentStatus)
    components = tuple(
        Component(
            id=f"c{page}-{j}",
            name=f"Component {j:02d}",
            status=statuses[(page + j) % 7 % len(statuses)],
            group=GROUPS[j % len(GROUPS)],
        )
        for j in range(20)
    )
    incidents = tuple(
        Incident(
            id=f"inc{page}x{k}",
            name=f"Elevated error rates on Component {k:02d} for some customers",
            status="investigating",
            impact=(Impact.MINOR, Impact.MAJOR)[k],
            started_at=1_764_000_000.0,
            component_ids=(f"c{page}-{k}",),
        )
        for k in range(2)
    )
    return PageSnapshot(Indicator.MINOR, "Partial outage", components, incidents, (), 1.7e9)


def make_result(rng: random.Random, streaming: bool = False) -> ProbeResult:
    outcome = Outcome.SUCCESS if rng.random() < 0.9 else rng.choice(tuple(Outcome))
    duration = rng.uniform(0.05, 2.0)
    return ProbeResult(
        outcome=outcome,
        duration=duration,
        status_code=200 if outcome is Outcome.SUCCESS else 503,
        phases=tuple((p, duration / len(PHASES)) for p in PHASES),
        ttft=duration / 2 if streaming else None,
        detail="" if outcome is Outcome.SUCCESS else "HTTP 503, expected 2xx",
        tls_not_after=1_800_000_000.0,
    )


def fill_state(state: State, config: Config, seed: int = 1, now: float = FILLED_AT) -> None:
    """Record one good poll per page and RESULTS_PER_PROBE results per probe, at `now`.

    Scrape with a clock within the pages' stale_after (5 min) of `now` (e.g. FILLED_AT + 60),
    or the pages' mirrored series (indicator, components, incidents) are left out."""
    rng = random.Random(seed)
    state.apply_config(config)
    for i, page in enumerate(config.status_pages):
        state.record_page_success(page.name, make_snapshot(i), now=now)
    for i, probe in enumerate(config.probes):
        for _ in range(RESULTS_PER_PROBE):
            state.record_probe(probe.name, make_result(rng, i % 10 == 0), now=now)


def make_state(pages: int, probes: int) -> tuple[Config, State]:
    config = make_config(pages, probes)
    state = State()
    fill_state(state, config)
    return config, state
