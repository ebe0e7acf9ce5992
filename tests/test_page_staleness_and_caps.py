"""Bounds on what a status page can make the exporter emit, counters of what was dropped
or not understood, and staleness: each invariant a small named test, plus one end-to-end
run of a real exporter against a simulated page on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from exporter.caps import kept_incidents
from exporter.config import StatusPageConfig, load_config, parse_config
from exporter.errors import ConfigError
from exporter.exposition.collector import StatusprobeCollector
from exporter.http.app import create_app
from exporter.metrics import MAX_LABEL_LENGTH
from exporter.models import (
    Component,
    ComponentStatus,
    Impact,
    Incident,
    Indicator,
    PageSnapshot,
    PollError,
)
from exporter.runtime import Runtime
from exporter.sources import statuspage
from exporter.state import PageState, State
from tests.upstream import Upstream, fixture

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
T0 = 1_777_000_000.0
MIRRORED = (
    "statusprobe_page_indicator",
    "statusprobe_component_status",
    "statusprobe_incidents_open",
    "statusprobe_incident_info",
    "statusprobe_page_updated_timestamp_seconds",
)


def _state(**page: Any) -> State:
    raw = {"status_pages": [{"name": "acme", "url": "https://status.acme.test", **page}]}
    state = State()
    state.apply_config(parse_config(raw))
    return state


def _samples(state: State, now: float = T0) -> Samples:
    registry = CollectorRegistry()
    registry.register(StatusprobeCollector(state, clock=lambda: now))
    out: Samples = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _page(state: State) -> PageState:
    page = state.page("acme")
    assert page is not None
    return page


def _names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


def _component(n: int) -> Component:
    return Component(f"c{n}", f"Component {n}", ComponentStatus.OPERATIONAL)


def _incident(n: int, impact: Impact, name: str = "") -> Incident:
    return Incident(f"i{n}", name or f"Incident {n}", "investigating", impact)


def _snapshot(
    components: int = 0, incidents: tuple[Incident, ...] = (), unknown: tuple[str, ...] = ()
) -> PageSnapshot:
    return PageSnapshot(
        indicator=Indicator.MINOR,
        components=tuple(_component(n) for n in range(components)),
        incidents=incidents,
        updated_at=T0 - 100,
        unknown_values=unknown,
    )


def _dropped(samples: Samples, kind: str) -> float:
    return samples[("statusprobe_page_dropped_total", (("kind", kind), ("page", "acme")))]


# --- caps ---------------------------------------------------------------------------


def test_components_beyond_max_components_are_dropped_and_counted() -> None:
    state = _state(max_components=3)
    state.record_page_success("acme", _snapshot(components=5), now=T0)
    samples = _samples(state)
    shown = {
        dict(labels)["component"]
        for name, labels in samples
        if name == "statusprobe_component_status"
    }
    assert shown == {"Component 0", "Component 1", "Component 2"}  # the first, in page order
    assert _dropped(samples, "component") == 2
    state.record_page_success("acme", _snapshot(components=5), now=T0)
    assert _dropped(_samples(state), "component") == 4  # counted per poll


def test_incident_info_keeps_the_most_severe_and_incidents_open_counts_all() -> None:
    state = _state(max_incidents=2)
    incidents = (
        _incident(1, Impact.MINOR),
        _incident(2, Impact.CRITICAL),
        _incident(3, Impact.NONE),
        _incident(4, Impact.MAJOR),
    )
    state.record_page_success("acme", _snapshot(incidents=incidents), now=T0)
    samples = _samples(state)
    info = [dict(labels) for name, labels in samples if name == "statusprobe_incident_info"]
    assert [i["incident_id"] for i in info] == ["i2", "i4"]
    assert _dropped(samples, "incident") == 2
    open_by_impact = {
        dict(labels)["impact"]: v
        for (name, labels), v in samples.items()
        if name == "statusprobe_incidents_open"
    }
    assert open_by_impact == {"none": 1, "minor": 1, "major": 1, "critical": 1}


def test_kept_incidents_keep_the_page_order() -> None:
    incidents = tuple(_incident(n, Impact.MAJOR if n % 2 else Impact.MINOR) for n in range(6))
    assert [i.id for i in kept_incidents(incidents, 4)] == ["i0", "i1", "i3", "i5"]
    assert kept_incidents(incidents, 10) == incidents


def test_nothing_is_dropped_within_the_bounds_and_the_counter_starts_at_zero() -> None:
    state = _state()
    assert _dropped(_samples(state), "component") == 0  # present before the first poll
    state.record_page_success("acme", statuspage.parse(fixture("incident.json")), now=T0)
    samples = _samples(state)
    assert _dropped(samples, "component") == _dropped(samples, "incident") == 0


def test_long_incident_names_are_trimmed() -> None:
    state = _state()
    long_name = "Elevated errors " * 40
    state.record_page_success(
        "acme", _snapshot(incidents=(_incident(1, Impact.MAJOR, long_name),)), now=T0
    )
    (labels,) = [dict(lb) for name, lb in _samples(state) if name == "statusprobe_incident_info"]
    assert len(labels["name"]) == MAX_LABEL_LENGTH and labels["name"].endswith("…")
    assert labels["name"].startswith("Elevated errors Elevated errors")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_components", 0, "must be at least 1"),
        ("max_incidents", 0, "must be at least 1"),
        ("max_incidents", "5", "must be an integer"),
        ("stale_after", "1m", "stale_after (1m) must be at least twice interval (1m)"),
        ("stale_after", 300, "invalid duration 300: a duration needs a unit, e.g. 300s"),
    ],
)
def test_bad_bounds_are_config_errors(field: str, value: object, message: str) -> None:
    raw = {"status_pages": [{"name": "a", "url": "https://s.test", field: value}]}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert caught.value.errors == [(f"status_pages[0].{field}", message)]


def test_defaults() -> None:
    def page(**extra: str) -> StatusPageConfig:
        raw = {"status_pages": [{"name": "a", "url": "https://s.test", **extra}]}
        return parse_config(raw).status_pages[0]

    default = page()
    assert (default.max_components, default.max_incidents) == (500, 20)
    assert default.effective_stale_after == 300.0  # 5m: at least five polls of 60s
    assert page(interval="10m").effective_stale_after == 3000.0  # 5 x interval
    assert page(interval="10s").effective_stale_after == 300.0  # never under 5m by default
    assert page(interval="30s", stale_after="1m").effective_stale_after == 60.0


# --- unknown values -------------------------------------------------------------------


def test_unknown_values_are_counted_per_successful_poll() -> None:
    snapshot = statuspage.parse(fixture("unknown_values.json"))
    assert len(snapshot.unknown_values) >= 2
    state = _state()
    key = ("statusprobe_page_unknown_values_total", (("page", "acme"),))
    assert _samples(state)[key] == 0
    state.record_page_success("acme", snapshot, now=T0)
    state.record_page_success("acme", snapshot, now=T0 + 60)
    state.record_page_failure("acme", PollError.TIMEOUT, "slow")
    assert _samples(state, T0 + 60)[key] == 2 * len(snapshot.unknown_values)


# --- staleness -------------------------------------------------------------------------


def test_the_last_good_snapshot_stays_until_stale_after_then_only_its_mirror_goes() -> None:
    state = _state(interval="1m", stale_after="10m")
    state.record_page_success(
        "acme", _snapshot(components=2, incidents=(_incident(1, Impact.MAJOR),)), now=T0
    )
    state.record_page_failure("acme", PollError.HTTP_ERROR, "HTTP 503")
    fresh = _samples(state, T0 + 600)  # exactly stale_after: still shown
    assert set(MIRRORED) <= _names(fresh)
    assert fresh[("statusprobe_page_up", (("page", "acme"),))] == 0
    stale = _samples(state, T0 + 601)
    assert not set(MIRRORED) & _names(stale)
    assert {
        "statusprobe_page_up",
        "statusprobe_page_info",
        "statusprobe_page_poll_errors_total",
        "statusprobe_page_last_success_timestamp_seconds",
    } <= _names(stale)
    errors = ("statusprobe_page_poll_errors_total", (("page", "acme"), ("reason", "http_error")))
    assert stale[errors] == 1


def test_a_new_success_brings_the_series_back() -> None:
    state = _state(interval="1m", stale_after="2m")
    state.record_page_success("acme", _snapshot(components=1), now=T0)
    assert "statusprobe_component_status" not in _names(_samples(state, T0 + 500))
    state.record_page_success("acme", _snapshot(components=1), now=T0 + 500)
    assert "statusprobe_component_status" in _names(_samples(state, T0 + 500))


# --- backoff and poll duration ------------------------------------------------------------


def test_backoff_until_is_shown_until_the_next_poll() -> None:
    state = _state()
    key = ("statusprobe_page_backoff_until_timestamp_seconds", (("page", "acme"),))
    state.record_page_failure(
        "acme", PollError.RATE_LIMITED, "HTTP 429", duration=0.1, backoff_until=T0 + 30
    )
    assert _samples(state)[key] == T0 + 30
    assert _page(state).rate_limited_streak == 1
    state.record_page_success("acme", _snapshot(), now=T0 + 31, duration=0.2)
    samples = _samples(state, T0 + 31)
    assert key not in samples
    assert samples[("statusprobe_page_poll_duration_seconds", (("page", "acme"),))] == 0.2
    assert _page(state).rate_limited_streak == 0


# --- end to end: a real exporter, a page that turns hostile ------------------------------

Client = TestClient  # type: ignore[type-arg]


async def test_series_vanish_after_stale_after_while_page_up_stays(
    upstream: tuple[Upstream, str], aiohttp_client: Any, tmp_path: Path
) -> None:
    sim, base = upstream
    path = tmp_path / "statusprobe.yml"
    page = {"name": "acme", "url": base, "interval": "100ms", "stale_after": "400ms"}
    path.write_text(yaml.safe_dump({"status_pages": [page]}))
    client: Client = await aiohttp_client(create_app(Runtime(load_config(path), path)))

    async def names() -> set[str]:
        text = await (await client.get("/metrics")).text()
        return {s.name for f in text_string_to_metric_families(text) for s in f.samples}

    async with asyncio.timeout(10):
        while "statusprobe_component_status" not in await names():
            await asyncio.sleep(0.05)
        sim.summary = "<html>maintenance</html>"  # every poll fails from now on
        await asyncio.sleep(0.2)
        assert "statusprobe_component_status" in await names()  # the last good one stays
        while "statusprobe_component_status" in await names():
            await asyncio.sleep(0.05)
    text = await (await client.get("/metrics")).text()
    assert 'statusprobe_page_up{page="acme"} 0.0' in text
    assert 'statusprobe_page_poll_errors_total{page="acme",reason="invalid_json"}' in text
    assert "statusprobe_page_indicator{" not in text
    assert 'statusprobe_page_poll_duration_seconds{page="acme"}' in text
