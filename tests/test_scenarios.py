"""The scenario engine (exporter/scenarios/): timelines, the simulated status page, and the
simulated Anthropic API per region, checked against the exporter's own parser and probe."""

from __future__ import annotations

import httpx
import pytest

from exporter.config import AnthropicProbeConfig, parse_config
from exporter.models import ComponentStatus, Indicator, Outcome
from exporter.probes import anthropic
from exporter.rules import COMPRESSION
from exporter.scenarios import (
    API_COMPONENT,
    Endpoints,
    Incident,
    PageState,
    Pattern,
    Phase,
    Simulation,
    Timeline,
    april_2026,
)
from exporter.sources.statuspage import parse


class Clock:
    def __init__(self, now: float = 1_776_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_pattern_cycles_and_rejects_unknown_letters() -> None:
    pattern = Pattern("AOS")
    assert [pattern.letter(n) for n in range(5)] == ["A", "O", "S", "A", "O"]
    assert pattern.failure_ratio == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="not XZ"):
        Pattern("SXZ")
    with pytest.raises(ValueError, match="use letters"):
        Pattern("")


def test_a_timeline_finds_phases_scales_and_holds_the_last() -> None:
    timeline = Timeline((Phase("one", 60), Phase("two", 30, regions={"b": Pattern("A")})))
    assert timeline.at(-1).name == "one"
    assert timeline.at(59.9).name == "one"
    assert timeline.at(60).name == "two"
    assert timeline.at(1e9).name == "two"
    assert timeline.onset == 60
    fast = timeline.scaled(1 / 60)
    assert fast.duration == pytest.approx(1.5)
    assert fast.starts() == {"one": 0, "two": pytest.approx(1)}
    with pytest.raises(ValueError, match="unique"):
        Timeline((Phase("x", 1), Phase("x", 1)))


def test_the_april_story_compressed_takes_85_seconds() -> None:
    story = april_2026(1 / COMPRESSION)
    assert [p.name for p in story.phases] == [
        "healthy",
        "spikes",
        "incident",
        "monitoring",
        "resolved",
    ]
    assert story.duration == pytest.approx(85)
    assert story.onset == pytest.approx(15)
    spikes = story.phase("spikes")
    assert spikes.pattern("b").failure_ratio == pytest.approx(0.7)
    assert spikes.pattern("a").failure_ratio == 0
    assert story.phase("incident").page.status_of(API_COMPONENT) == "partial_outage"


def test_the_status_page_parses_back_as_what_the_phase_says() -> None:
    clock = Clock()
    sim = Simulation(april_2026(), clock=clock)
    sim.start()
    healthy = parse(sim.summary())
    assert healthy.indicator is Indicator.NONE
    assert {c.status for c in healthy.components} == {ComponentStatus.OPERATIONAL}
    api = next(c for c in healthy.components if c.name == API_COMPONENT)
    assert api.group == "Claude Developer Platform"
    assert healthy.incidents == ()

    clock.now += 41 * 60  # 1 minute into the incident phase
    declared = parse(sim.summary())
    assert declared.indicator is Indicator.MINOR
    api = next(c for c in declared.components if c.name == API_COMPONENT)
    assert api.status is ComponentStatus.PARTIAL_OUTAGE
    (incident,) = declared.incidents
    assert (incident.name, incident.status, incident.impact.value) == (
        "Elevated errors on the Claude API",
        "investigating",
        "minor",
    )
    assert incident.started_at == pytest.approx(sim.phase_started_at("incident"), abs=0.001)
    assert incident.component_ids == (api.id,)

    clock.now += 15 * 60  # monitoring: the same incident, opened when it was declared
    (monitoring,) = parse(sim.summary()).incidents
    assert monitoring.status == "monitoring"
    assert monitoring.id == incident.id and monitoring.started_at == incident.started_at

    clock.now += 10 * 60
    assert parse(sim.summary()).incidents == ()


def test_a_repeating_simulation_starts_the_story_over() -> None:
    clock = Clock()
    sim = Simulation(Timeline((Phase("a", 10), Phase("b", 5))), clock=clock, repeat=True)
    sim.start()
    clock.now += 16
    assert sim.current().name == "a"
    assert sim.phase_started_at("b") == pytest.approx(sim.started_at + 25)  # type: ignore[operator]


def probe_config(base: str, region: str) -> AnthropicProbeConfig:
    config = parse_config(
        {
            "probes": [
                {
                    "name": f"claude-{region}",
                    "type": "anthropic",
                    "url": Endpoints("", base).api_for(region),
                    "api_key": "sk-sim",
                    "interval": "1s",
                    "timeout": "500ms",
                }
            ]
        }
    )
    probe = config.probes[0]
    assert isinstance(probe, AnthropicProbeConfig)
    return probe


async def test_only_the_failing_region_fails_in_the_pattern_s_order() -> None:
    story = Timeline(
        (
            Phase("healthy", 1000),
            Phase("spikes", 1000, regions={"b": Pattern("AOTMSE")}),
        )
    )
    clock = Clock()
    sim = Simulation(story, clock=clock)
    async with sim.serve() as urls:
        sim.start()
        healthy = await anthropic.run(probe_config(urls.api, "b"))
        assert healthy.outcome is Outcome.SUCCESS and healthy.ttft is not None
        assert sim.onset is None
        clock.now += 1000
        outcomes = [(await anthropic.run(probe_config(urls.api, "b"))) for _ in range(6)]
        other = await anthropic.run(probe_config(urls.api, "a"))
    assert [r.outcome for r in outcomes] == [
        Outcome.AUTH_ERROR,
        Outcome.OVERLOADED,
        Outcome.TIMEOUT,
        Outcome.OVERLOADED,
        Outcome.SUCCESS,
        Outcome.SERVER_ERROR,
    ]
    assert [r.status_code for r in outcomes[:2]] == [401, 529]
    assert outcomes[0].request_id.startswith("req_sim_b_")
    assert other.outcome is Outcome.SUCCESS
    assert sim.first_failure == {"b": clock.now}
    assert [a.letter for a in sim.answers if a.region == "b"] == list("SAOTMSE")


async def test_the_status_page_is_served_over_http() -> None:
    sim = Simulation(april_2026())
    async with sim.serve() as urls, httpx.AsyncClient(base_url=urls.status_page) as client:
        summary = (await client.get("/api/v2/summary.json")).json()
        status = (await client.get("/api/v2/status.json")).json()
        incidents = (await client.get("/api/v2/incidents/unresolved.json")).json()
    assert summary["page"]["name"] == "Claude"
    assert status == {"page": summary["page"], "status": summary["status"]}
    assert incidents["incidents"] == []
    assert urls.status_page.startswith("http://127.0.0.1:")


def test_page_state_defaults_to_operational() -> None:
    state = PageState(incidents=(Incident("i", "n"),))
    assert state.status_of("anything") == "operational"
