"""The Slack source: the pure parser on fixtures in the real shape, and fetching from a site
on loopback.

The fixtures under tests/fixtures/slack/ follow `GET https://slack-status.com/api/v2.0.0/current`
as https://docs.slack.dev/reference/slack-status-api documents it: `status`, `date_created`,
`date_updated`, `active_incidents[]` with `id`, `date_created`, `date_updated`, `title`,
`type`, `status`, `url`, `services[]`, `notes[]`.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.errors import ParseError
from exporter.models import ComponentStatus, Impact, Incident, Indicator
from exporter.sources.slack import CURRENT_PATH, SERVICES, parse
from tests.platforms import (
    FIXTURE_STATES,
    Reply,
    load,
    parse_leaves_payloads_untouched,
    parses_or_raises_parse_error,
    poll_site,
    shaped,
    words,
)

S = ComponentStatus


def load_(name: str) -> object:
    return load("slack", name)


def states(name: str) -> dict[str, S]:
    return {c.name: c.status for c in parse(load_(name)).components}


def test_operational_fixture() -> None:
    snapshot = parse(load_("operational.json"))
    assert snapshot.indicator is Indicator.NONE
    assert [c.name for c in snapshot.components] == list(SERVICES)
    assert {c.id for c in snapshot.components} == set(SERVICES)  # Slack gives no ids
    assert {c.status for c in snapshot.components} == {S.OPERATIONAL}
    assert snapshot.updated_at == 1776676471.0  # 2026-04-20T02:14:31-07:00


def test_incident_fixture() -> None:
    snapshot = parse(load_("incident.json"))
    assert snapshot.indicator is Indicator.CRITICAL  # an outage
    assert {k: v for k, v in states("incident.json").items() if v is not S.OPERATIONAL} == {
        "Messaging": S.MAJOR_OUTAGE,  # named by the outage and the incident: the worse
        "Connectivity": S.MAJOR_OUTAGE,
        "Search": S.DEGRADED_PERFORMANCE,
    }
    assert snapshot.incidents == (
        Incident(
            id="1601",
            name="Some users may have trouble loading messages",
            status="active",
            impact=Impact.CRITICAL,
            started_at=1776261060.0,  # 2026-04-15T06:51:00-07:00
            component_ids=("Messaging", "Connectivity"),
        ),
        Incident(
            id="1602",
            name="Delays in search indexing",
            status="active",
            impact=Impact.MINOR,
            started_at=1776261731.0,
            component_ids=("Search", "Messaging"),
        ),
    )


def test_maintenance_fixture() -> None:
    snapshot = parse(load_("maintenance.json"))
    assert snapshot.indicator is Indicator.MAINTENANCE  # the notice has impact none
    assert [(m.name, m.component_ids) for m in snapshot.maintenances] == [
        ("Scheduled maintenance for workflow runs", ("Workflows",))
    ]
    assert [(i.name, i.impact) for i in snapshot.incidents] == [
        ("Changes to legacy file uploads", Impact.NONE)
    ]
    assert {k: v for k, v in states("maintenance.json").items() if v is not S.OPERATIONAL} == {
        "Workflows": S.UNDER_MAINTENANCE  # a notice leaves Files operational
    }


def test_unknown_values_fixture() -> None:
    snapshot = parse(load_("unknown_values.json"))
    assert snapshot.unknown_values == ("type=hiccup",)
    assert [(i.id, i.impact) for i in snapshot.incidents] == [("1620", Impact.MINOR)]  # int id
    assert snapshot.components[-1].name == "Huddles"  # a service not on the list is added
    assert states("unknown_values.json")["Huddles"] is S.DEGRADED_PERFORMANCE
    assert states("unknown_values.json")["Login/SSO"] is S.OPERATIONAL  # resolved outage


@pytest.mark.parametrize("state", FIXTURE_STATES)
def test_parsing_does_not_mutate_the_payload(state: str) -> None:
    parse_leaves_payloads_untouched(parse, load_(f"{state}.json"))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "current: expected an object, got list"),
        ({}, "status is missing"),
        ({"status": {"indicator": "none"}}, "status: expected a string, got dict"),
        ({"status": "ok", "active_incidents": {}}, "active_incidents: expected a list, got dict"),
        (
            {"status": "ok", "active_incidents": [{"services": [1]}]},
            r"active_incidents\[0\].services\[0\]: expected a string, got int",
        ),
    ],
)
def test_malformed_payload_raises_parse_error(payload: object, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(payload)


leaf = words("ok", "active", "resolved", "completed", "outage", "incident", "notice", "maintenance",
             "Messaging")  # fmt: skip
entry = shaped(["id", "title", "type", "status", "date_created", "services"],
               leaf | st.lists(leaf, max_size=3))  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    leaf
    | shaped(
        ["status", "date_updated", "active_incidents"], leaf | st.lists(entry | leaf, max_size=4)
    )
)
def test_any_json_parses_or_raises_parse_error(payload: object) -> None:
    parses_or_raises_parse_error(parse, payload)


async def test_fetch_reads_the_current_status() -> None:
    snapshot, served = await poll_site({CURRENT_PATH: Reply(load_("incident.json"))}, "slack")
    assert snapshot == parse(load_("incident.json"))
    assert served.hits == {CURRENT_PATH: 1}
