"""statusprobe_incident_component_info: which components an open incident names, so the
rules can tell an incident about *this* component from one about another. Bounded like
incident_info and component_status, and only with names the component series use."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from exporter.config import parse_config
from exporter.exposition.collector import StatusprobeCollector
from exporter.models import Component, ComponentStatus, Impact, Incident, Indicator, PageSnapshot
from exporter.sources import statuspage
from exporter.state import State
from tests.upstream import fixture

T0 = 1_777_000_000.0
NAME = "statusprobe_incident_component_info"


def _rows(state: State, now: float = T0) -> list[dict[str, str]]:
    registry = CollectorRegistry()
    registry.register(StatusprobeCollector(state, clock=lambda: now))
    return [
        dict(sample.labels)
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for sample in family.samples
        if sample.name == NAME
    ]


def _state(**page: object) -> State:
    state = State()
    raw = {"status_pages": [{"name": "acme", "url": "https://status.acme.test", **page}]}
    state.apply_config(parse_config(raw))
    return state


def _component(n: int) -> Component:
    return Component(f"c{n}", f"Component {n}", ComponentStatus.OPERATIONAL)


def test_statuspage_incidents_name_their_components() -> None:
    snapshot = statuspage.parse(fixture("incident.json"))
    assert any(incident.component_ids for incident in snapshot.incidents)
    state = _state()
    state.record_page_success("acme", snapshot, now=T0)
    rows = _rows(state)
    names = {c.name for c in snapshot.components}
    ids = {i.id for i in snapshot.incidents}
    assert rows, "the fixture's incident lists components"
    assert all(r["page"] == "acme" and r["component"] in names for r in rows)
    assert {r["incident_id"] for r in rows} <= ids


def test_only_kept_incidents_and_listed_components_appear() -> None:
    state = _state(max_incidents=1, max_components=2)
    incidents = (
        Incident("minor", "Minor", "investigating", Impact.MINOR, component_ids=("c0",)),
        Incident("major", "Major", "identified", Impact.MAJOR, component_ids=("c1", "c3", "x")),
    )
    snapshot = PageSnapshot(
        indicator=Indicator.MAJOR,
        components=tuple(_component(n) for n in range(4)),
        incidents=incidents,
    )
    state.record_page_success("acme", snapshot, now=T0)
    # The kept incident is the most severe; c3 is beyond max_components and "x" unknown.
    assert _rows(state) == [{"page": "acme", "incident_id": "major", "component": "Component 1"}]


def test_a_stale_snapshot_drops_them_with_the_other_mirrored_series() -> None:
    state = _state(stale_after="10m")
    snapshot = statuspage.parse(fixture("incident.json"))
    state.record_page_success("acme", snapshot, now=T0)
    assert _rows(state, T0 + 60)
    assert _rows(state, T0 + 3600) == []
