"""The Instatus source: the pure parser on fixtures in the real shape, and fetching (two
requests) from a site on loopback.

The fixtures under tests/fixtures/instatus/ follow the shapes of an Instatus page's public
`GET <page>/summary.json` (`page.status` UP / HASISSUES / UNDERMAINTENANCE,
`activeIncidents[]` with `name`, `started`, `status`, `impact`, `url`,
`activeMaintenances[]` with `start`, `status`, `duration`) and `GET <page>/v2/components.json`
(`components[]` with `id`, `name`, `status`, `group` {`id`, `name`}), as Instatus' webhook
documentation lists the status words and public Instatus clients read the two files.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.errors import ParseError
from exporter.models import (
    Component,
    ComponentStatus,
    Impact,
    Incident,
    Indicator,
    PageSnapshot,
    PollError,
)
from exporter.sources import instatus
from exporter.sources.instatus import COMPONENTS_PATH, SUMMARY_PATH, parse
from tests.platforms import (
    FIXTURE_STATES,
    Reply,
    fetch_failure,
    json_values,
    load,
    parse_leaves_payloads_untouched,
    parses_or_raises_parse_error,
    poll_site,
    shaped,
    words,
)

S = ComponentStatus
API, DASHBOARD, WEBHOOKS = (
    "cl9q3d0c2000208l4c5e1a9m3",
    "cl9q3d0c3000308l4f7h2b6n5",
    "cl9q3d0c4000408l4a1k9d3p7",
)


def components(
    api: S = S.OPERATIONAL, dashboard: S = S.OPERATIONAL, webhooks: S = S.OPERATIONAL
) -> tuple[Component, ...]:
    return (
        Component(API, "API", api, "Platform"),
        Component(DASHBOARD, "Dashboard", dashboard, "Platform"),
        Component(WEBHOOKS, "Webhooks", webhooks, ""),
    )


def payloads(state: str) -> tuple[object, object]:
    return load("instatus", f"{state}_summary.json"), load("instatus", f"{state}_components.json")


def snapshot_of(state: str) -> PageSnapshot:
    return parse(*payloads(state))


def test_operational_fixture() -> None:
    snapshot = snapshot_of("operational")
    assert snapshot.indicator is Indicator.NONE
    assert snapshot.components == components()  # the group "Platform" is not a component
    assert (snapshot.incidents, snapshot.maintenances, snapshot.unknown_values) == ((), (), ())


def test_incident_fixture() -> None:
    snapshot = snapshot_of("incident")
    assert snapshot.indicator is Indicator.MAJOR  # HASISSUES: the worst, a partial outage
    assert snapshot.components == components(api=S.DEGRADED_PERFORMANCE, webhooks=S.PARTIAL_OUTAGE)
    assert snapshot.incidents == (
        Incident(
            id="clv1t2u3v0001ab12cd34ef56",
            name="Webhook deliveries delayed",
            status="identified",
            impact=Impact.MAJOR,  # PARTIALOUTAGE
            started_at=1776261060.0,  # 2026-04-15T13:51:00Z
        ),
    )


def test_maintenance_fixture() -> None:
    snapshot = snapshot_of("maintenance")
    assert snapshot.indicator is Indicator.MAINTENANCE
    assert snapshot.components == components(dashboard=S.UNDER_MAINTENANCE)
    assert snapshot.maintenances == (  # NOTSTARTEDYET is left out
        Incident(
            id="clv2m4n5o0002ab12cd34ef78",
            name="Dashboard database upgrade",
            status="in_progress",
            impact=Impact.NONE,
            started_at=1776823200.0,
        ),
    )


def test_unknown_values_fixture() -> None:
    snapshot = snapshot_of("unknown_values")
    assert snapshot.indicator is Indicator.MAJOR  # unknown page status: derived, MINOROUTAGE
    assert snapshot.components == components(api=S.PARTIAL_OUTAGE, webhooks=S.DEGRADED_PERFORMANCE)
    assert [(i.name, i.impact, i.started_at) for i in snapshot.incidents] == [
        ("Odd one", Impact.MINOR, None)  # the RESOLVED one is left out
    ]
    assert snapshot.unknown_values == (
        "component_status=FLAKY",
        "impact=SEVERE",
        "page_status=WOBBLY",
        "maintenance_status=PAUSED",
    )


@pytest.mark.parametrize("state", FIXTURE_STATES)
def test_parsing_does_not_mutate_the_payloads(state: str) -> None:
    parse_leaves_payloads_untouched(parse, *payloads(state))


def test_has_issues_without_details_is_at_least_minor() -> None:
    assert parse({"page": {"status": "HASISSUES"}}).indicator is Indicator.MINOR


@pytest.mark.parametrize(
    ("summary", "components", "message"),
    [
        ([], None, "summary: expected an object, got list"),
        ({}, None, "page: expected an object, got null"),
        ({"page": {"status": 1}}, None, "page.status: expected a string, got int"),
        ({"page": {}}, [], "component list: expected an object, got list"),
        (
            {"page": {}},
            {"components": [{"group": "x"}]},
            r"components\[0\].group: expected an object",
        ),
        ({"page": {}, "activeIncidents": {}}, None, "activeIncidents: expected a list, got dict"),
    ],
)
def test_malformed_payload_raises_parse_error(
    summary: object, components: object, message: str
) -> None:
    with pytest.raises(ParseError, match=message):
        parse(summary, components)


leaf = words("UP", "HASISSUES", "UNDERMAINTENANCE", "OPERATIONAL", "MAJOROUTAGE", "RESOLVED",
             "INPROGRESS", "g1", True)  # fmt: skip
row = shaped(["id", "name", "status", "impact", "started", "start", "group", "isParent"],
             leaf | shaped(["id", "name"], leaf))  # fmt: skip
summaries = shaped(["page", "activeIncidents", "activeMaintenances"],
                   leaf | shaped(["status"], leaf) | st.lists(row | leaf, max_size=3))  # fmt: skip
component_lists = shaped(["components"], leaf | st.lists(row | leaf, max_size=4))


@settings(max_examples=200, deadline=None)
@given(json_values | summaries, st.none() | json_values | component_lists)
def test_any_json_parses_or_raises_parse_error(summary: object, components: object) -> None:
    parses_or_raises_parse_error(parse, summary, components)


async def test_fetch_reads_the_summary_then_the_components() -> None:
    summary, comps = payloads("incident")
    routes = {SUMMARY_PATH: Reply(summary), COMPONENTS_PATH: Reply(comps)}
    snapshot, served = await poll_site(routes, "instatus")
    assert snapshot == snapshot_of("incident")
    assert served.hits == {SUMMARY_PATH: 1, COMPONENTS_PATH: 1}


async def test_a_summary_of_another_platform_stops_before_the_components() -> None:
    routes = {SUMMARY_PATH: Reply({"status": {"indicator": "none"}})}
    failed, served = await fetch_failure(instatus.fetch, routes, "instatus")
    assert (failed.reason, failed.detail) == (
        PollError.INVALID_PAYLOAD,
        "page: expected an object, got null",
    )
    assert served.hits == {SUMMARY_PATH: 1}
