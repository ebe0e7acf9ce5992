"""The Statuspage v2 source: the pure parser on recorded-shape fixtures, and polite fetching
against real aiohttp servers on loopback (never the internet).

The fixtures under tests/fixtures/statuspage/ follow the shape of a real
`GET https://status.claude.com/api/v2/summary.json`: `page`, `components` (in summary.json's
order: by position, positions counted within each parent), `incidents`,
`scheduled_maintenances`, `status`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter import config, sources
from exporter.config import StatusPageConfig
from exporter.errors import ParseError, PollFailed
from exporter.models import (
    Component,
    ComponentStatus,
    Impact,
    Incident,
    Indicator,
    PageSnapshot,
    PollError,
)
from exporter.sources import statuspage
from exporter.sources.client import PollClient
from exporter.sources.fetch import get_json
from exporter.sources.statuspage import SUMMARY_PATH, parse
from tests.platforms import (
    json_leaves,
    json_values,
    parse_leaves_payloads_untouched,
    parses_or_raises_parse_error,
    shaped,
)
from tests.platforms import load as load_fixture

FIXTURE_NAMES = ("operational.json", "incident.json", "maintenance.json", "unknown_values.json")

GROUP = "Claude Developer Platform"
CLAUDE_AI, API, PLATFORM, CODE = "rwppv331jlwc", "k8w3r06qmzrp", "0scnb50nvy53", "yyzkbfz2thpt"
NAMES = {
    CLAUDE_AI: "claude.ai",
    API: "Claude API (api.anthropic.com)",
    PLATFORM: "platform.claude.com",
    CODE: "Claude Code",
}
GROUPS = {CLAUDE_AI: "", API: GROUP, PLATFORM: GROUP, CODE: ""}
DISPLAY_ORDER = (CLAUDE_AI, API, PLATFORM, CODE)
S = ComponentStatus


def load(name: str) -> Any:
    return load_fixture("statuspage", name)


def components(**statuses: S) -> tuple[Component, ...]:
    """The four fixture components in display order, operational unless given otherwise,
    e.g. `components(claude_ai=S.PARTIAL_OUTAGE)`."""
    ids = {"claude_ai": CLAUDE_AI, "api": API, "platform": PLATFORM, "code": CODE}
    status = {ids[key]: value for key, value in statuses.items()}
    return tuple(
        Component(id_, NAMES[id_], status.get(id_, S.OPERATIONAL), GROUPS[id_])
        for id_ in DISPLAY_ORDER
    )


def summary(**extra: Any) -> dict[str, Any]:
    return {"status": {"indicator": "none", "description": "All Systems Operational"}, **extra}


# --- the fixtures, value by value ---------------------------------------------------


def test_operational_fixture() -> None:
    assert parse(load("operational.json")) == PageSnapshot(
        indicator=Indicator.NONE,
        description="All Systems Operational",
        components=components(),
        updated_at=1776676471.512,  # 2026-04-20T09:14:31.512Z
    )


def test_incident_fixture() -> None:
    assert parse(load("incident.json")) == PageSnapshot(
        indicator=Indicator.MAJOR,
        description="Partial System Outage",
        components=components(claude_ai=S.PARTIAL_OUTAGE),
        incidents=(
            Incident(
                id="n8bm4xh2q0fz",
                name="Elevated errors on claude.ai",
                status="investigating",
                impact=Impact.MAJOR,
                started_at=1776261060.0,  # started_at 2026-04-15T13:51:00.000Z
                component_ids=(CLAUDE_AI,),
            ),
        ),
        updated_at=1776262188.131,  # 2026-04-15T14:09:48.131Z
    )


def test_maintenance_fixture() -> None:
    assert parse(load("maintenance.json")) == PageSnapshot(
        indicator=Indicator.MAINTENANCE,
        description="Service Under Maintenance",
        components=components(platform=S.UNDER_MAINTENANCE),
        # Only the in_progress maintenance; the upcoming `scheduled` one is left out, and
        # Statuspage's `maintenance` impact is known, not an unknown value.
        maintenances=(
            Incident(
                id="p4kq7wz1c9dn",
                name="Scheduled maintenance of platform.claude.com",
                status="in_progress",
                impact=Impact.NONE,
                started_at=1776823204.219,  # 2026-04-22T02:00:04.219Z
                component_ids=(PLATFORM,),
            ),
        ),
        updated_at=1776823204.262,  # 2026-04-22T02:00:04.262Z
    )


def test_unknown_values_fixture() -> None:
    snapshot = parse(load("unknown_values.json"))
    assert snapshot == PageSnapshot(
        indicator=Indicator.MINOR,  # "elevated" -> minor
        description="",  # null
        components=(
            Component(CLAUDE_AI, "claude.ai", S.DEGRADED_PERFORMANCE, ""),  # new word
            Component(API, NAMES[API], S.DEGRADED_PERFORMANCE, GROUP),  # null status
            Component(PLATFORM, NAMES[PLATFORM], S.OPERATIONAL, GROUP),
            Component(CODE, "Claude Code", S.PARTIAL_OUTAGE, ""),  # no position: last
        ),  # the component with a null name is skipped
        incidents=(
            Incident(
                id="c7tq2m9xw4ge",
                name="Intermittent login failures",
                status="identified",
                impact=Impact.MINOR,  # "severe" -> minor
                started_at=1776261731.0,  # null started_at: created_at 07:02:11-07:00
                component_ids=(CLAUDE_AI,),
            ),
            Incident(
                id="h3zf8v1kd6rm",
                name="",  # null
                status="reviewing",  # an unknown incident status is kept as the page says
                impact=Impact.MINOR,  # null -> minor
                started_at=1776262245.123,  # 2026-04-15T07:10:45.123-07:00
                component_ids=(),  # no `components` key
            ),
        ),
        maintenances=(),  # no `scheduled_maintenances` key
        updated_at=1776263512.604,  # 2026-04-15T07:31:52.604-07:00
        unknown_values=(
            "indicator=elevated",
            "component_status=degraded_availability",
            "component_status=null",
            "impact=severe",
            "impact=null",
        ),
    )


# --- named invariants ----------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_group_is_not_a_component(name: str) -> None:
    snapshot = parse(load(name))
    assert "3gv7zk5hjx2n" not in {c.id for c in snapshot.components}
    assert GROUP not in {c.name for c in snapshot.components}
    assert {c.name: c.group for c in snapshot.components} == {
        NAMES[i]: GROUPS[i] for i in DISPLAY_ORDER
    }


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_parsing_does_not_mutate_the_payload(name: str) -> None:
    parse_leaves_payloads_untouched(parse, load(name))


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_component_order_follows_positions_not_payload_order(name: str) -> None:
    payload = load(name)
    reordered = {**payload, "components": list(reversed(payload["components"]))}
    assert [c.id for c in parse(reordered).components] == list(DISPLAY_ORDER)
    assert parse(reordered) == parse(payload)


def test_members_join_a_group_by_group_id_or_by_the_groups_list() -> None:
    payload = summary(
        components=[
            {"id": "grp000000001", "name": "APIs", "group": True, "components": ["bylist00001"]},
            {"id": "bylist00001", "name": "By list", "status": "operational", "group_id": None},
            {
                "id": "byid0000001",
                "name": "By id",
                "status": "operational",
                "group_id": "grp000000001",
            },
            {"id": "orphan00001", "name": "Orphan", "status": "operational", "group_id": "gone"},
        ]
    )
    groups = {c.name: c.group for c in parse(payload).components}
    assert groups == {"By list": "APIs", "By id": "APIs", "Orphan": ""}


def test_components_without_a_name_are_skipped() -> None:
    payload = summary(
        components=[
            {"id": "a", "name": None, "status": "operational"},
            {"id": "b", "status": "operational"},
            {"id": "c", "name": "  ", "status": "operational"},
            {"id": "d", "name": " Search ", "status": "major_outage"},
        ]
    )
    assert parse(payload).components == (Component("d", "Search", S.MAJOR_OUTAGE),)


def test_resolved_and_postmortem_incidents_are_left_out() -> None:
    statuses = ["investigating", "identified", "monitoring", "resolved", "postmortem"]
    payload = summary(
        incidents=[
            {"id": f"i{n}", "name": s, "status": s, "impact": "minor"}
            for n, s in enumerate(statuses)
        ]
    )
    assert [i.status for i in parse(payload).incidents] == statuses[:3]


def test_only_in_progress_and_verifying_maintenances_are_active() -> None:
    statuses = ["scheduled", "in_progress", "verifying", "completed", "cancelled"]
    payload = summary(
        scheduled_maintenances=[
            {"id": f"m{n}", "name": s, "status": s, "impact": "maintenance"}
            for n, s in enumerate(statuses)
        ]
    )
    snapshot = parse(payload)
    assert [m.status for m in snapshot.maintenances] == ["in_progress", "verifying"]
    assert {m.impact for m in snapshot.maintenances} == {Impact.NONE}
    assert snapshot.unknown_values == ()


def test_a_maintenance_starts_at_scheduled_for_before_created_at() -> None:
    maintenance = {
        "status": "in_progress",
        "impact": "maintenance",
        "created_at": "2026-04-18T16:20:03.811Z",
        "scheduled_for": "2026-04-22T02:00:00.000Z",
    }
    snapshot = parse(summary(scheduled_maintenances=[maintenance]))
    assert snapshot.maintenances[0].started_at == 1776823200.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-04-15T14:02:11Z", 1776261731.0),
        ("2026-04-15T14:02:11.377Z", 1776261731.377),
        ("2026-04-15T07:02:11-07:00", 1776261731.0),
        ("2026-04-15T07:02:11.377-07:00", 1776261731.377),
        ("2026-04-15T19:32:11+05:30", 1776261731.0),
        ("2026-04-15T14:02:11", 1776261731.0),  # no offset: UTC
        ("yesterday", None),
        ("", None),
        (1776261731, None),
        (None, None),
    ],
)
def test_incident_timestamps(value: object, expected: float | None) -> None:
    incident = {"status": "investigating", "impact": "minor", "started_at": value}
    assert parse(summary(incidents=[incident])).incidents[0].started_at == expected


def test_started_at_falls_back_to_created_at() -> None:
    incident = {
        "status": "investigating",
        "started_at": "n/a",
        "created_at": "2026-04-15T14:02:11Z",
    }
    assert parse(summary(incidents=[incident])).incidents[0].started_at == 1776261731.0


def test_unknown_values_are_recorded_once_and_truncated() -> None:
    word = "x" * 100
    payload = summary(
        components=[
            {"id": str(n), "name": f"c{n}", "status": status}
            for n, status in enumerate(["sideways", "sideways", word])
        ]
    )
    snapshot = parse(payload)
    assert snapshot.unknown_values == ("component_status=sideways", f"component_status={'x' * 64}")
    assert {c.status for c in snapshot.components} == {S.DEGRADED_PERFORMANCE}


def test_a_minimal_summary_is_an_empty_snapshot() -> None:
    assert parse({"status": {"indicator": "critical"}}) == PageSnapshot(Indicator.CRITICAL)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "summary: expected an object, got list"),
        ("<html>", "summary: expected an object, got str"),
        (None, "summary: expected an object, got null"),
        ({}, "status: expected an object, got null"),
        ({"status": "ok"}, "status: expected an object, got str"),
        ({"status": {}}, "status.indicator is missing"),
        ({"status": {"indicator": None}}, "status.indicator is missing"),
        ({"status": {"indicator": 3}}, "status.indicator: expected a string, got int"),
        (summary(page="Claude"), "page: expected an object, got str"),
        (summary(components="none"), "components: expected a list, got str"),
        (summary(components=[["a"]]), r"components\[0\]: expected an object, got list"),
        (summary(components=[{"name": 5}]), r"components\[0\].name: expected a string"),
        (summary(components=[{"group": "yes"}]), r"components\[0\].group: expected true or"),
        (summary(components=[{"position": "1"}]), r"components\[0\].position: expected a num"),
        (summary(components=[{"position": True}]), r"components\[0\].position: expected a num"),
        (
            summary(components=[{"group": True, "components": [7]}]),
            r"components\[0\].components\[0\]: expected a string, got int",
        ),
        (summary(incidents={"id": "x"}), "incidents: expected a list, got dict"),
        (summary(incidents=[{"impact": ["major"]}]), r"incidents\[0\].impact: expected a str"),
        (
            summary(incidents=[{"components": [5]}]),
            r"incidents\[0\].components\[0\]: expected an object, got int",
        ),
        (
            summary(scheduled_maintenances=[{"status": 1}]),
            r"scheduled_maintenances\[0\].status: expected a string, got int",
        ),
    ],
)
def test_malformed_payload_raises_parse_error(payload: object, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(payload)


# --- the registry ---------------------------------------------------------------------


def test_every_configured_provider_has_a_source() -> None:
    assert set(sources.SOURCES) == set(config.PROVIDERS)


# --- property: anything JSON either parses or raises ParseError -----------------------

words = st.sampled_from(
    ["none", "minor", "major", "critical", "maintenance", "operational", "partial_outage",
     "resolved", "in_progress", "verifying", "2026-04-15T07:02:11-07:00", "g1", "c1"]
)  # fmt: skip
leaf = json_values | words


component_like = shaped(
    ["id", "name", "status", "group", "group_id", "position", "components"],
    leaf | st.lists(words | json_leaves, max_size=3),
)
incident_like = shaped(
    ["id", "name", "status", "impact", "started_at", "created_at", "scheduled_for", "components"],
    leaf | st.lists(component_like | leaf, max_size=3),
)
summary_like = shaped(
    ["page", "status", "components", "incidents", "scheduled_maintenances"],
    leaf
    | shaped(["indicator", "description", "updated_at"], leaf)
    | st.lists(component_like | incident_like | leaf, max_size=5),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, summary_like))
def test_any_json_parses_or_raises_parse_error(payload: object) -> None:
    parses_or_raises_parse_error(parse, payload)


# --- fetching from real servers on loopback -------------------------------------------


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
DEADLINE = 0.5


class Upstream:
    """Routes that misbehave in one way each; `release` ends any handler still running."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application()
        routes: dict[str, Handler] = {
            SUMMARY_PATH: self.summary,
            "/wrong" + SUMMARY_PATH: self.not_a_summary,
            "/html": self.html,
            "/503": self.unavailable,
            "/429": self.rate_limited,
            "/big": self.big,
            "/deep": self.deep,
            "/gzip": self.corrupt_gzip,
            "/drip": self.drip,
            "/hang": self.hang,
            "/reset": self.reset,
            "/loop": self.loop,
        }
        for path, handler in routes.items():
            app.router.add_get(path, handler)
        return app

    async def summary(self, request: web.Request) -> web.Response:
        return web.json_response(load("operational.json"))

    async def not_a_summary(self, request: web.Request) -> web.Response:
        return web.json_response({"hello": "world"})

    async def html(self, request: web.Request) -> web.Response:
        body = "<html><body>Access denied. Ray ID 8f2c1e</body></html>"
        return web.Response(text=body, content_type="text/html")

    async def unavailable(self, request: web.Request) -> web.Response:
        return web.Response(status=503, text="upstream connect error")

    async def rate_limited(self, request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "30"})

    async def big(self, request: web.Request) -> web.Response:
        return web.json_response({"padding": "x" * 4096})  # valid JSON: only the size is wrong

    async def deep(self, request: web.Request) -> web.Response:
        return web.Response(text="[" * 100_000 + "]" * 100_000, content_type="application/json")

    async def corrupt_gzip(self, request: web.Request) -> web.Response:
        headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
        return web.Response(body=b"this is not gzip", headers=headers)

    async def drip(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        with contextlib.suppress(ConnectionResetError):  # the client gave up: expected
            for _ in range(200):  # at most ~10 s, far past the deadline
                if self.release.is_set():
                    break
                await response.write(b" ")
                await asyncio.sleep(0.05)
        return response

    async def hang(self, request: web.Request) -> web.Response:
        await asyncio.wait_for(self.release.wait(), timeout=10)
        return web.json_response({})

    async def reset(self, request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.abort()  # no status line, no headers: the peer just goes away
        return web.Response()

    async def loop(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    upstream = Upstream()
    server = TestServer(upstream.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        upstream.release.set()
        await server.close()


@pytest.fixture
async def client() -> AsyncIterator[PollClient]:
    async with PollClient(
        httpx.AsyncClient(follow_redirects=True, max_redirects=5, trust_env=False)
    ) as c:
        yield c


def page(url: str) -> StatusPageConfig:
    return StatusPageConfig.model_validate({"name": "claude", "url": url, "timeout": "2s"})


async def failure(client: PollClient, url: str, **kwargs: Any) -> PollFailed:
    kwargs.setdefault("timeout", DEADLINE)
    with pytest.raises(PollFailed) as caught:
        await get_json(client, url, **kwargs)
    return caught.value


async def test_fetch_parses_the_summary(client: PollClient, base_url: str) -> None:
    snapshot = await statuspage.fetch(client, page(base_url))
    assert snapshot == parse(load("operational.json"))
    assert [c.name for c in snapshot.components] == [NAMES[i] for i in DISPLAY_ORDER]


async def test_poll_dispatches_on_the_provider(client: PollClient, base_url: str) -> None:
    assert await sources.poll(client, page(base_url)) == parse(load("operational.json"))


async def test_a_json_body_that_is_not_a_summary_is_invalid_payload(
    client: PollClient, base_url: str
) -> None:
    with pytest.raises(PollFailed) as caught:
        await statuspage.fetch(client, page(base_url + "/wrong"))
    assert caught.value.reason is PollError.INVALID_PAYLOAD
    assert caught.value.detail == "status: expected an object, got null"


async def test_an_html_page_with_200_is_invalid_json(client: PollClient, base_url: str) -> None:
    error = await failure(client, base_url + "/html")
    assert error.reason is PollError.INVALID_JSON
    assert error.detail == "the body is not JSON (text/html)"  # never the body itself


async def test_503_is_an_http_error(client: PollClient, base_url: str) -> None:
    error = await failure(client, base_url + "/503")
    assert (error.reason, error.detail) == (PollError.HTTP_ERROR, "HTTP 503 Service Unavailable")


async def test_429_is_rate_limited(client: PollClient, base_url: str) -> None:
    error = await failure(client, base_url + "/429")
    assert (error.reason, error.detail) == (PollError.RATE_LIMITED, "HTTP 429 Too Many Requests")


async def test_a_body_over_max_bytes_is_too_large(client: PollClient, base_url: str) -> None:
    error = await failure(client, base_url + "/big", max_bytes=1024)
    assert (error.reason, error.detail) == (PollError.TOO_LARGE, "the body exceeds 1024 bytes")
    assert await get_json(client, base_url + "/big", timeout=DEADLINE, max_bytes=8192) == {
        "padding": "x" * 4096
    }


async def test_deeply_nested_json_is_invalid_json(client: PollClient, base_url: str) -> None:
    error = await failure(client, base_url + "/deep")
    assert error.reason is PollError.INVALID_JSON


async def test_a_corrupt_content_encoding_is_invalid_json(
    client: PollClient, base_url: str
) -> None:
    error = await failure(client, base_url + "/gzip")
    assert error.reason is PollError.INVALID_JSON


@pytest.mark.parametrize("path", ["/drip", "/hang"])
async def test_a_slow_or_silent_server_times_out_within_the_deadline(
    client: PollClient, base_url: str, path: str
) -> None:
    started = time.monotonic()
    error = await failure(client, base_url + path)
    elapsed = time.monotonic() - started
    assert error.reason is PollError.TIMEOUT
    assert error.detail.startswith("no complete response within 0.5s")
    assert DEADLINE * 0.8 <= elapsed < DEADLINE + 1.0


async def test_a_closed_port_is_a_connect_error(client: PollClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = await failure(client, f"http://127.0.0.1:{port}/api/v2/summary.json")
    assert (error.reason, error.detail) == (
        PollError.CONNECT_ERROR,
        "connection failed (ConnectError)",
    )


async def test_a_reset_connection_is_a_connect_error(client: PollClient, base_url: str) -> None:
    error = await failure(client, base_url + "/reset")
    assert error.reason is PollError.CONNECT_ERROR
    assert error.detail.startswith("connection failed (")


async def test_a_redirect_loop_is_an_http_error(client: PollClient, base_url: str) -> None:
    error = await failure(client, base_url + "/loop")
    assert (error.reason, error.detail) == (PollError.HTTP_ERROR, "too many redirects")


def test_a_lone_surrogate_in_a_name_is_replaced_so_metrics_still_render() -> None:
    payload = json.loads(
        '{"status": {"indicator": "none"}, "components": '
        '[{"id": "c1", "name": "API \\ud800", "status": "operational"}],'
        ' "incidents": [{"id": "i1", "name": "\\udfff down", "status": "investigating",'
        ' "impact": "minor"}]}'
    )
    snapshot = parse(payload)
    assert snapshot.components[0].name == "API ?"
    assert snapshot.incidents[0].name == "? down"
    for text in (snapshot.components[0].name, snapshot.incidents[0].name):
        text.encode("utf-8")  # would raise UnicodeEncodeError on a lone surrogate
