"""The Status.io source: the pure parser on fixtures in the real shape, and fetching from a
site on loopback.

The fixtures under tests/fixtures/statusio/ follow the shape of
`GET https://api.status.io/1.0/status/<page_id>` (GitLab's page id is
5b36dc6502d06804c08349f7) as public clients of the API read it: `result.status_overall`
(`updated`, `status`, `status_code`), `result.status[]` (components with `containers`),
`result.incidents[]` (`_id`, `name`, `datetime_open`, `current_status`, `current_state`,
`messages[]` with `state`/`status`/`datetime`, `components_affected[]`) and
`result.maintenance` (`active[]`, `upcoming[]`, with `datetime_planned_start`). Status
codes per https://kb.status.io/developers/status-codes/.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.errors import ParseError
from exporter.models import Component, ComponentStatus, Impact, Incident, Indicator, PollError
from exporter.sources import statusio
from exporter.sources.statusio import parse
from tests.platforms import (
    FIXTURE_STATES,
    Reply,
    fetch_failure,
    load,
    page,
    parse_leaves_payloads_untouched,
    parses_or_raises_parse_error,
    poll_site,
    shaped,
    words,
)

S = ComponentStatus
IDS = {
    "Website": "5b36dcaa6e7fdb04ba6a3d1a",
    "API": "5b36dcabcff32e04a5e1d8b0",
    "Git Operations": "5b36dcab3cc9d904b9c8b8ae",
    "Container Registry": "5b36dcac0d4f3c04ad7ef0a6",
    "CI/CD - Hosted runners on Linux": "5c8b2ee4ec7c8704c56c6f4b",
}
NAMES = list(IDS)


def components(*states: S) -> tuple[Component, ...]:
    return tuple(Component(IDS[n], n, s) for n, s in zip(NAMES, states, strict=True))


def load_(name: str) -> object:
    return load("statusio", name)


def test_operational_fixture() -> None:
    snapshot = parse(load_("operational.json"))
    assert snapshot.indicator is Indicator.NONE
    assert snapshot.description == "Operational"
    assert snapshot.updated_at == 1776676471.512  # 2026-04-20T09:14:31.512Z
    assert snapshot.components == components(*[S.OPERATIONAL] * 5)
    assert (snapshot.incidents, snapshot.maintenances, snapshot.unknown_values) == ((), (), ())


def test_incident_fixture() -> None:
    snapshot = parse(load_("incident.json"))
    assert (snapshot.indicator, snapshot.description) == (
        Indicator.MAJOR,
        "Partial Service Disruption",
    )
    OK = S.OPERATIONAL
    assert snapshot.components == components(OK, OK, S.PARTIAL_OUTAGE, OK, S.DEGRADED_PERFORMANCE)
    assert snapshot.incidents == (
        Incident(
            id="661d3a1c7f3b2a04c3e5d9f1",
            name="Git operations over SSH failing for some users",
            status="identified",  # current_state 200
            impact=Impact.MAJOR,  # current_status 400
            started_at=1776261060.0,  # datetime_open 2026-04-15T13:51:00Z
            component_ids=(IDS["Git Operations"],),
        ),
        Incident(
            id="661d40aa7f3b2a04c3e5da33",
            name="Slow CI job pickup on hosted runners",
            status="investigating",  # no current_state: the newest message's state 100
            impact=Impact.MINOR,  # and its status 300
            started_at=1776261731.0,
            component_ids=(IDS["CI/CD - Hosted runners on Linux"],),
        ),
    )


def test_maintenance_fixture() -> None:
    snapshot = parse(load_("maintenance.json"))
    assert snapshot.indicator is Indicator.MAINTENANCE
    OK = S.OPERATIONAL
    assert snapshot.components == components(OK, OK, OK, S.UNDER_MAINTENANCE, OK)
    assert snapshot.maintenances == (  # the upcoming one is left out
        Incident(
            id="66259a0c1e2f3a04b1c2d3e4",
            name="Container Registry database migration",
            status="in_progress",
            impact=Impact.NONE,
            started_at=1776823200.0,  # datetime_planned_start 2026-04-22T02:00:00Z
            component_ids=(IDS["Container Registry"],),
        ),
    )


def test_unknown_values_fixture() -> None:
    snapshot = parse(load_("unknown_values.json"))
    assert snapshot.indicator is Indicator.MINOR  # 350 -> minor
    D, OK = S.DEGRADED_PERFORMANCE, S.OPERATIONAL
    assert snapshot.components == components(D, D, D, OK, OK)  # 700, 600 (security), null
    assert [(i.name, i.status, i.impact) for i in snapshot.incidents] == [
        ("Suspicious sign-ins", "state_400", Impact.MINOR)  # the resolved one is left out
    ]
    assert snapshot.maintenances == ()  # `maintenance: []`
    assert snapshot.unknown_values == (
        "status_code=350",
        "status_code=700",
        "status_code=null",
        "incident_state=400",
    )


@pytest.mark.parametrize("state", FIXTURE_STATES)
def test_parsing_does_not_mutate_the_payload(state: str) -> None:
    parse_leaves_payloads_untouched(parse, load_(f"{state}.json"))


@pytest.mark.parametrize(
    ("code", "state", "indicator"),
    [
        (100, S.OPERATIONAL, Indicator.NONE),
        (200, S.UNDER_MAINTENANCE, Indicator.MAINTENANCE),
        (300, S.DEGRADED_PERFORMANCE, Indicator.MINOR),
        (400, S.PARTIAL_OUTAGE, Indicator.MAJOR),
        (500, S.MAJOR_OUTAGE, Indicator.CRITICAL),
        (600, S.DEGRADED_PERFORMANCE, Indicator.MINOR),
    ],
)
def test_status_codes(code: int, state: S, indicator: Indicator) -> None:
    payload = {
        "result": {
            "status_overall": {"status_code": code},
            "status": [{"id": "c", "name": "C", "status_code": code}],
        }
    }
    snapshot = parse(payload)
    assert (snapshot.indicator, snapshot.components[0].status) == (indicator, state)
    assert snapshot.unknown_values == ()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("<html>", "status answer: expected an object, got str"),
        ({"status": {"indicator": "none"}}, "result: expected an object, got null"),
        ({"result": {}}, "result.status_overall: expected an object, got null"),
        (
            {"result": {"status_overall": {"status_code": "100"}}},
            "result.status_overall.status_code: expected an integer, got str",
        ),
        (
            {"result": {"status_overall": {}, "status": [{"containers": {}}]}},
            r"result.status\[0\].containers: expected a list, got dict",
        ),
        (
            {"result": {"status_overall": {}, "incidents": [{"messages": [{"state": 1.5}]}]}},
            r"result.incidents\[0\].messages\[0\].state: expected an integer, got float",
        ),
    ],
)
def test_malformed_payload_raises_parse_error(payload: object, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(payload)


# --- property ------------------------------------------------------------------------------

leaf = words(100, 200, 300, 400, 500, 600, 700)
affected = shaped(["_id", "id", "name"], leaf)
message = shaped(["state", "status", "datetime"], leaf)
entry = shaped(
    ["_id", "id", "name", "status", "status_code", "current_status", "current_state",
     "datetime_open", "datetime_resolved", "datetime_planned_start", "containers", "messages",
     "components_affected"],
    leaf | st.lists(affected | message | leaf, max_size=3),
)  # fmt: skip
result = shaped(
    ["status_overall", "status", "incidents", "maintenance"],
    leaf
    | shaped(["status", "status_code", "updated"], leaf)
    | st.lists(entry | leaf, max_size=4)
    | shaped(["active", "upcoming"], st.lists(entry | leaf, max_size=3) | leaf),
)


@settings(max_examples=200, deadline=None)
@given(leaf | shaped(["result"], leaf | result))
def test_any_json_parses_or_raises_parse_error(payload: object) -> None:
    parses_or_raises_parse_error(parse, payload)


# --- fetching ----------------------------------------------------------------------------------

API_PATH = "/1.0/status/5b36dc6502d06804c08349f7"


async def test_fetch_requests_the_configured_api_url() -> None:
    routes = {API_PATH: Reply(load_("incident.json"))}
    snapshot, served = await poll_site(routes, "statusio", API_PATH)
    assert snapshot == parse(load_("incident.json"))
    assert served.hits == {API_PATH: 1}


async def test_an_unknown_page_id_is_an_http_error() -> None:
    failed, _ = await fetch_failure(statusio.fetch, {}, "statusio", API_PATH)
    assert failed.reason is PollError.HTTP_ERROR


def test_config_insists_on_the_api_url() -> None:
    with pytest.raises(ValueError, match="a statusio page's url is its API URL"):
        page("https://status.gitlab.com", "statusio")
