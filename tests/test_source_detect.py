"""`provider: auto`: detection order, the decision kept per URL, re-detection, and the
detected provider in the snapshot and in `statusprobe_page_info`. Sites on loopback only."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from exporter.config import parse_config
from exporter.errors import PollFailed
from exporter.exposition.collector import StatusprobeCollector
from exporter.models import PollError
from exporter.sources import detect, statuspage
from exporter.sources.detect import REDETECT_AFTER, Detector
from exporter.state import State
from tests.platforms import Reply, client, load, page, raw, site

SUMMARY = "/api/v2/summary.json"
PROXY = "/proxy/127.0.0.1"


def statuspage_routes() -> dict[str, Reply]:
    return {SUMMARY: Reply(load("statuspage", "operational.json"))}


async def test_a_statuspage_page_is_detected_after_the_incidentio_probe() -> None:
    detector = Detector()
    async with site(statuspage_routes()) as (served, url), client() as c:
        snapshot = await detector.fetch(c, page(url, "auto"))
    assert snapshot.provider == "statuspage"
    assert (
        snapshot.components == statuspage.parse(load("statuspage", "operational.json")).components
    )
    assert list(served.hits) == [PROXY, SUMMARY]  # in the documented order
    assert detector.decided(url) == "statuspage"


async def test_incidentio_wins_over_its_statuspage_compatible_summary() -> None:
    routes = {**statuspage_routes(), PROXY: Reply(load("incidentio", "incident.json"))}
    detector = Detector()
    async with site(routes) as (served, url), client() as c:
        snapshot = await detector.fetch(c, page(url, "auto"))
    assert snapshot.provider == "incidentio"
    assert served.hits == {PROXY: 1}


@pytest.mark.parametrize(
    ("provider", "routes", "path"),
    [
        (
            "instatus",
            {
                "/summary.json": Reply(load("instatus", "incident_summary.json")),
                "/v2/components.json": Reply(load("instatus", "incident_components.json")),
            },
            "",
        ),
        ("slack", {"/api/v2.0.0/current": Reply(load("slack", "incident.json"))}, ""),
        (
            "gcp",
            {
                "/incidents.json": Reply(load("gcp", "incident_incidents.json")),
                "/products.json": Reply(load("gcp", "products.json")),
            },
            "",
        ),
        (
            "feed",
            {
                "/history.atom": Reply(
                    raw("feed", "statuspage_history.atom"), content_type="application/atom+xml"
                )
            },
            "/history.atom",
        ),
        (
            "statusio",
            {"/1.0/status/5b36dc6502d06804c08349f7": Reply(load("statusio", "incident.json"))},
            "/1.0/status/5b36dc6502d06804c08349f7",
        ),
    ],
)
async def test_each_platform_is_detected(
    provider: str, routes: dict[str, Reply], path: str
) -> None:
    detector = Detector()
    async with site(routes) as (served, url), client() as c:
        snapshot = await detector.fetch(c, page(url + path, "auto"))
    assert snapshot.provider == provider
    assert detector.decided(url + path) == provider
    if provider == "statusio":  # recognised by its URL: no other request
        assert list(served.hits) == [path]


async def test_the_decision_is_kept_logged_once_and_not_repeated(
    caplog: pytest.LogCaptureFixture,
) -> None:
    detector = Detector()
    caplog.set_level(logging.INFO, logger="exporter.sources.detect")
    async with site(statuspage_routes()) as (served, url), client() as c:
        for _ in range(3):
            assert (await detector.fetch(c, page(url, "auto"))).provider == "statuspage"
    assert served.hits == {PROXY: 1, SUMMARY: 3}
    detected = [r.getMessage() for r in caplog.records if "detected provider" in r.getMessage()]
    assert detected == [f"status page upstream: detected provider statuspage at {url}"]


async def test_no_known_platform_is_invalid_payload_and_detects_again_next_time() -> None:
    detector = Detector()
    async with site({}) as (served, url), client() as c:
        with pytest.raises(PollFailed) as caught:
            await detector.fetch(c, page(url, "auto"))
        assert caught.value.reason is PollError.INVALID_PAYLOAD
        assert caught.value.detail.startswith(
            "no known status-page platform answered (incidentio: "
        )
        assert detector.decided(url) is None
        served.routes.update(statuspage_routes())
        assert (await detector.fetch(c, page(url, "auto"))).provider == "statuspage"


async def test_an_unreachable_page_stops_detection_at_once() -> None:
    routes = {PROXY: Reply({}, status=429)}
    detector = Detector()
    async with site(routes) as (served, url), client() as c:
        with pytest.raises(PollFailed) as caught:
            await detector.fetch(c, page(url, "auto"))
    assert caught.value.reason is PollError.RATE_LIMITED
    assert served.hits == {PROXY: 1}  # nothing else was asked
    assert detector.decided(url) is None


async def test_a_page_that_moved_platforms_is_detected_again() -> None:
    detector = Detector()
    async with site(statuspage_routes()) as (served, url), client() as c:
        await detector.fetch(c, page(url, "auto"))
        del served.routes[SUMMARY]  # the page moved to incident.io
        served.routes[PROXY] = Reply(load("incidentio", "operational.json"))
        for _ in range(REDETECT_AFTER):
            with pytest.raises(PollFailed):
                await detector.fetch(c, page(url, "auto"))
        assert detector.decided(url) is None
        assert (await detector.fetch(c, page(url, "auto"))).provider == "incidentio"


async def test_timeouts_do_not_count_towards_redetection() -> None:
    detector = Detector()
    async with site(statuspage_routes()) as (served, url), client() as c:
        await detector.fetch(c, page(url, "auto"))
        served.routes[SUMMARY] = Reply({}, status=429)
        for _ in range(REDETECT_AFTER + 1):
            with pytest.raises(PollFailed):
                await detector.fetch(c, page(url, "auto"))
    assert detector.decided(url) == "statuspage"


async def test_each_polling_client_keeps_its_own_decisions() -> None:
    """`provider: auto` decides with the client's detector: nothing is shared by the process."""
    async with site(statuspage_routes()) as (_, url), client() as c, client() as other:
        assert (await detect.fetch(c, page(url, "auto"))).provider == "statuspage"
        assert c.detector.decided(url) == "statuspage"
        assert other.detector.decided(url) is None


async def test_page_info_shows_the_detected_provider() -> None:
    config = parse_config(
        {"status_pages": [{"name": "x", "provider": "auto", "url": "https://s.example"}]}
    )
    state = State()
    state.apply_config(config)
    registry = CollectorRegistry()
    registry.register(StatusprobeCollector(state))

    def info() -> str:
        lines = generate_latest(registry).decode().splitlines()
        return next(line for line in lines if line.startswith("statusprobe_page_info{"))

    assert 'provider="auto"' in info()  # nothing detected yet
    async with site(statuspage_routes()) as (_, url), client() as c:
        snapshot = await Detector().fetch(c, page(url, "auto"))
    state.record_page_success("x", snapshot)
    assert 'provider="statuspage"' in info()
