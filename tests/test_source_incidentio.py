"""The incident.io source: the pure parser on fixtures in the real shape, and fetching from a
site on loopback.

The fixtures under tests/fixtures/incidentio/ follow the shape of
`GET https://status.openai.com/proxy/status.openai.com`, the request the page's own frontend
makes, as public clients of it read it: `{"summary": {...}}` with `affected_components`
(`component_id`, `status`), `ongoing_incidents` (`id`, `name`, `status`, `published_at`,
`current_worst_impact`, `component_impacts`, `affected_components`, `updates`),
`scheduled_maintenances` (`status`, `scheduled_start_at`, `components`) and `structure.items`
(`group` with member `components`, or a lone `component`, each with `hidden`).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.errors import ParseError
from exporter.models import Component, ComponentStatus, Impact, Incident, Indicator, PollError
from exporter.sources import incidentio
from exporter.sources.incidentio import parse
from tests.platforms import (
    FIXTURE_STATES,
    Reply,
    fetch_failure,
    load,
    parse_leaves_payloads_untouched,
    parses_or_raises_parse_error,
    poll_site,
    shaped,
    words,
)

S = ComponentStatus
IDS = {
    "Responses": "01JMXBRMFE6N2NNT7DG6XZQ6PW",
    "Chat Completions": "01JMXBRMFEQ9JD2HC3EYZ8MB0A",
    "Realtime": "01JMXBRMFE4V2NY0NXQ9D2WZ0T",
    "Login": "01JMXBRMFEK8C4YT0T3Y5N8VJ1",
    "Conversations": "01JMXBRMFED2B3ARH0GJXKX8Y9",
    "Codex Web": "01JV2B7F4TWX4N9D8Q2M6GSE3C",
    "CLI": "01JV2B7F4TD0S5T3PE1Y6B8WQK",
    "FedRAMP": "01K1H7X5Y3B8QDN4W2C6ZT9M1R",
}
GROUPS = {
    "Responses": "APIs",
    "Chat Completions": "APIs",
    "Realtime": "APIs",
    "Login": "ChatGPT",
    "Conversations": "ChatGPT",
    "Codex Web": "Codex",
    "CLI": "Codex",
    "FedRAMP": "",
}


def components(**states: S) -> tuple[Component, ...]:
    """The visible fixture components in page order, operational unless given."""
    by_name = {name.replace(" ", "_").lower(): name for name in IDS}
    state = {by_name[k]: v for k, v in states.items()}
    return tuple(Component(IDS[n], n, state.get(n, S.OPERATIONAL), GROUPS[n]) for n in IDS)


def load_(name: str) -> object:
    return load("incidentio", name)


def test_operational_fixture() -> None:
    snapshot = parse(load_("operational.json"))
    assert snapshot.indicator is Indicator.NONE
    assert snapshot.components == components()  # hidden group and component left out
    assert (snapshot.incidents, snapshot.maintenances, snapshot.unknown_values) == ((), (), ())
    assert (snapshot.updated_at, snapshot.description) == (None, "")  # the proxy has neither


def test_incident_fixture() -> None:
    snapshot = parse(load_("incident.json"))
    assert snapshot.indicator is Indicator.MAJOR  # the worst: a partial outage
    assert snapshot.components == components(
        conversations=S.PARTIAL_OUTAGE, login=S.DEGRADED_PERFORMANCE
    )
    assert snapshot.incidents == (
        Incident(
            id="01KPF3T6N0XJ4M2Q8W5R7Y1B9C",
            name="Elevated errors in ChatGPT conversations",
            status="identified",
            impact=Impact.MAJOR,  # no current_worst_impact: the worst component impact
            started_at=1776261072.204,  # published_at 2026-04-15T13:51:12.204Z
            component_ids=(IDS["Conversations"], IDS["Login"]),
        ),
    )


def test_maintenance_fixture() -> None:
    snapshot = parse(load_("maintenance.json"))
    assert snapshot.indicator is Indicator.MAINTENANCE
    assert snapshot.components == components(realtime=S.UNDER_MAINTENANCE)
    assert snapshot.maintenances == (  # the `scheduled` one has not started
        Incident(
            id="01KQ0M4A2B6C8D0E2F4G6H8J0K",
            name="Realtime API database upgrade",
            status="in_progress",
            impact=Impact.NONE,
            started_at=1776823200.0,  # scheduled_start_at 2026-04-22T02:00:00Z
            component_ids=(IDS["Realtime"],),
        ),
    )
    assert snapshot.incidents == ()


def test_unknown_values_fixture() -> None:
    snapshot = parse(load_("unknown_values.json"))
    assert snapshot.components == components(cli=S.DEGRADED_PERFORMANCE, fedramp=S.MAJOR_OUTAGE)
    assert snapshot.indicator is Indicator.CRITICAL  # FedRAMP's full outage
    assert [(i.name, i.status, i.impact) for i in snapshot.incidents] == [
        ("Codex CLI sign-in failures", "investigating", Impact.MINOR),  # "catastrophic"
        ("FedRAMP environment unavailable", "monitoring", Impact.CRITICAL),
    ]  # the resolved one is left out
    assert snapshot.incidents[1].started_at == 1776265200.0  # null published_at: created_at
    assert snapshot.maintenances == ()  # "paused" is not in progress
    assert snapshot.unknown_values == (
        "component_status=sideways",
        "impact=catastrophic",
        "maintenance_status=paused",
    )


@pytest.mark.parametrize("state", FIXTURE_STATES)
def test_parsing_does_not_mutate_the_payload(state: str) -> None:
    parse_leaves_payloads_untouched(parse, load_(f"{state}.json"))


def test_the_widget_apis_in_progress_list_counts_as_maintenance() -> None:
    payload = {"summary": {"in_progress_maintenances": [{"id": "m1", "name": "DB"}]}}
    snapshot = parse(payload)
    assert [(m.id, m.status) for m in snapshot.maintenances] == [("m1", "in_progress")]
    assert snapshot.indicator is Indicator.MAINTENANCE


def test_an_incident_without_any_impact_is_impact_none() -> None:
    payload = {"summary": {"ongoing_incidents": [{"id": "i", "status": "investigating"}]}}
    assert parse(payload).incidents[0].impact is Impact.NONE
    assert parse(payload).indicator is Indicator.NONE


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "proxy response: expected an object, got list"),
        ({}, "summary: expected an object, got null"),
        ({"summary": "x"}, "summary: expected an object, got str"),
        ({"summary": {"structure": []}}, "summary.structure: expected an object, got list"),
        (
            {"summary": {"structure": {"items": [{"group": {"components": [{"name": 3}]}}]}}},
            r"summary.structure.items\[0\].group.components\[0\].name: expected a string, got",
        ),
        (
            {"summary": {"affected_components": [{"status": ["x"]}]}},
            r"summary.affected_components\[0\].status: expected a string, got list",
        ),
        (
            {"summary": {"ongoing_incidents": [{"component_impacts": "all"}]}},
            r"summary.ongoing_incidents\[0\].component_impacts: expected a list, got str",
        ),
    ],
)
def test_malformed_payload_raises_parse_error(payload: object, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(payload)


# --- property: anything JSON either parses or raises ParseError ----------------------------

leaf = words("operational", "degraded_performance", "partial_outage", "full_outage",
             "resolved", "in_progress", "maintenance_in_progress", True, False)  # fmt: skip
member = shaped(["component_id", "name", "hidden", "status", "start_at"], leaf)
item = shaped(["group", "component"], leaf | shaped(["name", "hidden", "components"],
              leaf | st.lists(member | leaf, max_size=3)) | member)  # fmt: skip
event = shaped(
    ["id", "name", "status", "current_worst_impact", "published_at", "component_impacts",
     "affected_components", "components"],
    leaf | st.lists(member | leaf, max_size=3),
)  # fmt: skip
summary = shaped(
    ["affected_components", "ongoing_incidents", "scheduled_maintenances",
     "in_progress_maintenances", "structure"],
    leaf | st.lists(member | event | leaf, max_size=4) | shaped(["items"], st.lists(item)),
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(leaf | shaped(["summary"], leaf | summary))
def test_any_json_parses_or_raises_parse_error(payload: object) -> None:
    parses_or_raises_parse_error(parse, payload)


# --- fetching ---------------------------------------------------------------------------------


def test_the_proxy_url_names_the_pages_host() -> None:
    assert incidentio.url_for("https://status.openai.com") == (
        "https://status.openai.com/proxy/status.openai.com"
    )


async def test_fetch_reads_the_proxy_of_the_pages_host() -> None:
    routes = {"/proxy/127.0.0.1": Reply(load_("incident.json"))}
    snapshot, served = await poll_site(routes, "incidentio")
    assert snapshot == parse(load_("incident.json"))
    assert served.hits == {"/proxy/127.0.0.1": 1}


async def test_a_statuspage_summary_is_invalid_payload() -> None:
    routes = {"/proxy/127.0.0.1": Reply({"status": {"indicator": "none"}, "components": []})}
    failed, _ = await fetch_failure(incidentio.fetch, routes, "incidentio")
    assert failed.reason is PollError.INVALID_PAYLOAD
    assert failed.detail == "summary: expected an object, got null"
