"""The Google Cloud source: the pure parser on fixtures in the real shape, and fetching (two
requests) from a site on loopback.

The fixtures under tests/fixtures/gcp/ follow `GET https://status.cloud.google.com/incidents.json`
(a list of incidents with `id`, `number`, `begin`, `created`, `end`, `modified`,
`external_desc`, `updates[]`, `most_recent_update` {`status`: AVAILABLE / SERVICE_INFORMATION /
SERVICE_DISRUPTION / SERVICE_OUTAGE}, `status_impact`, `severity`, `service_key`,
`service_name`, `affected_products[]` {`title`, `id`}, `uri`, affected locations) and
`GET https://status.cloud.google.com/products.json` (`products[]` {`title`, `id`}), as public
clients of the dashboard read them.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.errors import ParseError
from exporter.models import ComponentStatus, Impact, Incident, Indicator, PageSnapshot, PollError
from exporter.sources import gcp
from exporter.sources.gcp import INCIDENTS_PATH, PRODUCTS_PATH, parse
from tests.platforms import (
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
GCE, RUN, GEMINI, GCS = (
    "L3MkMdU5n4ZYgvfMuIzt",
    "9CcrhHUcFevXPSVaSxkf",
    "Z4Y6qk2NZX9GfpNXxgE8",
    "UwaYoXQ5bHYHG6EdiPB8",
)


def snapshot_of(state: str) -> PageSnapshot:
    return parse(load("gcp", f"{state}_incidents.json"), load("gcp", "products.json"))


def test_operational_fixture() -> None:
    snapshot = snapshot_of("operational")  # only a resolved incident
    assert snapshot.indicator is Indicator.NONE
    assert [c.name for c in snapshot.components] == [
        "Google Compute Engine",
        "Google Kubernetes Engine",
        "Cloud Run",
        "Google Cloud Storage",
        "Cloud SQL",
        "Vertex Gemini API",
    ]
    assert {c.status for c in snapshot.components} == {S.OPERATIONAL}
    assert snapshot.incidents == ()
    assert snapshot.updated_at == 1774944760.0  # the resolved incident's modified


def test_incident_fixture() -> None:
    snapshot = snapshot_of("incident")
    assert snapshot.indicator is Indicator.CRITICAL
    assert {c.id: c.status for c in snapshot.components if c.status is not S.OPERATIONAL} == {
        GCE: S.MAJOR_OUTAGE,
        RUN: S.MAJOR_OUTAGE,  # in an outage and a disruption: the worse
        GEMINI: S.PARTIAL_OUTAGE,
    }  # the informational incident leaves Cloud Storage operational
    assert snapshot.incidents == (
        Incident(
            id="Qp3vR8sT1uW4xY7zA0bC",
            name="Multiple products experiencing elevated error rates in us-east1",
            status="service_outage",  # most_recent_update.status
            impact=Impact.CRITICAL,
            started_at=1776260400.0,  # begin 2026-04-15T13:40:00+00:00
            component_ids=(GCE, RUN),
        ),
        Incident(
            id="Dk2Lm5Nn8Oo1Pp4Qq7Rr",
            name="Vertex Gemini API: elevated latency for some requests",
            status="service_disruption",
            impact=Impact.MAJOR,
            started_at=1776254520.0,
            component_ids=(GEMINI, RUN),
        ),
        Incident(
            id="In3fO6rM9aT2iO5nX8yZ",
            name="Cloud Storage: console may show stale bucket metrics",
            status="service_information",
            impact=Impact.NONE,
            started_at=1776243600.0,
            component_ids=(GCS,),
        ),
    )
    assert snapshot.updated_at == 1776262188.0  # the latest modified


def test_unknown_values_fixture() -> None:
    snapshot = snapshot_of("unknown_values")
    assert snapshot.unknown_values == ("status_impact=SERVICE_WOBBLE",)
    assert snapshot.indicator is Indicator.MINOR
    assert snapshot.components[-1].name == "Cloud Bigtable"  # not in products.json: added
    assert snapshot.components[-1].status is S.DEGRADED_PERFORMANCE


@pytest.mark.parametrize("state", ["operational", "incident", "unknown_values"])
def test_parsing_does_not_mutate_the_payloads(state: str) -> None:
    parse_leaves_payloads_untouched(
        parse, load("gcp", f"{state}_incidents.json"), load("gcp", "products.json")
    )


@pytest.mark.parametrize(
    ("incidents", "products", "message"),
    [
        ({}, None, "incidents: expected a list, got dict"),
        (["x"], None, r"incidents\[0\]: expected an object, got str"),
        ([], [], "product list: expected an object, got list"),
        (
            [{"affected_products": [{"id": 1.5}]}],
            None,
            r"affected_products\[0\].id: expected a string",
        ),
        (
            [{"most_recent_update": []}],
            None,
            r"incidents\[0\].most_recent_update: expected an object",
        ),
    ],
)
def test_malformed_payload_raises_parse_error(
    incidents: object, products: object, message: str
) -> None:
    with pytest.raises(ParseError, match=message):
        parse(incidents, products)


leaf = words("AVAILABLE", "SERVICE_INFORMATION", "SERVICE_DISRUPTION", "SERVICE_OUTAGE", "p1")
product = shaped(["id", "title"], leaf)
incident = shaped(
    ["id", "begin", "end", "modified", "external_desc", "status_impact", "most_recent_update",
     "affected_products"],
    leaf | shaped(["status"], leaf) | st.lists(product | leaf, max_size=3),
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    json_values | st.lists(incident | leaf, max_size=4),
    st.none() | json_values | shaped(["products"], st.lists(product | leaf, max_size=3)),
)
def test_any_json_parses_or_raises_parse_error(incidents: object, products: object) -> None:
    parses_or_raises_parse_error(parse, incidents, products)


async def test_fetch_reads_incidents_then_products() -> None:
    routes = {
        INCIDENTS_PATH: Reply(load("gcp", "incident_incidents.json")),
        PRODUCTS_PATH: Reply(load("gcp", "products.json")),
    }
    snapshot, served = await poll_site(routes, "gcp")
    assert snapshot == snapshot_of("incident")
    assert served.hits == {INCIDENTS_PATH: 1, PRODUCTS_PATH: 1}


async def test_a_statuspage_summary_is_invalid_payload() -> None:
    routes = {INCIDENTS_PATH: Reply({"status": {"indicator": "none"}})}
    failed, served = await fetch_failure(gcp.fetch, routes, "gcp")
    assert failed.reason is PollError.INVALID_PAYLOAD
    assert served.hits == {INCIDENTS_PATH: 1}  # products.json is not asked for
