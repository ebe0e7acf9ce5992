"""`GET /probe?target=...`: the multi-target pattern, against a real exporter and status
pages simulated on loopback (never the internet)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from exporter.config import MultiTargetConfig, parse_config
from exporter.errors import ConfigError
from exporter.http.app import create_app
from exporter.runtime import Runtime
from tests.tools import serving
from tests.upstream import fixture

Client = TestClient  # type: ignore[type-arg]
MakeClient = Callable[..., Awaitable[Client]]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class Pages:
    """Status pages under /<site>/: ok, html, hang, limited, redirect; `hits` per site."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.release = asyncio.Event()
        self.delay = 0.0
        self.redirect_to = ""
        self.summary: dict[str, Any] | str = fixture("operational.json")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{site}/api/v2/summary.json", self.page)
        return app

    async def page(self, request: web.Request) -> web.StreamResponse:
        site = request.match_info["site"]
        self.hits[site] += 1
        await asyncio.sleep(self.delay)
        if site == "hang":
            await asyncio.wait_for(self.release.wait(), timeout=10)
        if site == "html" or isinstance(self.summary, str):
            return web.Response(text="<html>Just a moment...</html>", content_type="text/html")
        if site == "limited":
            return web.Response(status=429, headers={"Retry-After": "60"})
        if site == "redirect":
            raise web.HTTPFound(self.redirect_to)
        return web.json_response(self.summary)


@pytest.fixture
async def pages() -> AsyncIterator[tuple[Pages, str]]:
    sim = Pages()
    try:
        async with serving(sim.app()) as base:
            yield sim, base
    finally:
        sim.release.set()


Exporter = Callable[..., Awaitable[Client]]
LOOPBACK = r"http://127\.0\.0\.1:\d+(/.*)?"


@pytest.fixture
def exporter(aiohttp_client: MakeClient) -> Exporter:
    async def start(**multi_target: Any) -> Client:
        # The simulated pages are on loopback, which /probe fetches only when allowed.
        multi_target.setdefault("allowed_targets", [LOOPBACK])
        config = parse_config({"multi_target": multi_target})
        return await aiohttp_client(create_app(Runtime(config, None)))

    return start


async def probe(client: Client, status: int = 200, **params: str) -> Samples:
    response = await client.get("/probe", params=params)
    text = await response.text()
    assert response.status == status, text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


# --- success and the page label --------------------------------------------------------


async def test_a_target_is_polled_and_its_page_metrics_returned(
    pages: tuple[Pages, str], exporter: Exporter
) -> None:
    sim, base = pages
    client = await exporter()
    samples = await probe(client, target=f"{base}/ok")
    host = base.removeprefix("http://")
    assert value(samples, "statusprobe_page_up", page=host) == 1
    assert value(samples, "statusprobe_page_indicator", page=host, indicator="none") == 1
    info = value(
        samples, "statusprobe_page_info", page=host, provider="statuspage", url=f"{base}/ok"
    )
    assert info == 1
    components = {
        dict(labels)["component"]
        for name, labels in samples
        if name == "statusprobe_component_status"
    }
    assert "Claude API (api.anthropic.com)" in components
    assert value(samples, "statusprobe_page_poll_duration_seconds", page=host) > 0
    assert sim.hits["ok"] == 1


async def test_the_name_parameter_sets_the_page_label(
    pages: tuple[Pages, str], exporter: Exporter
) -> None:
    _, base = pages
    client = await exporter()
    samples = await probe(client, target=f"{base}/ok", name="anthropic", provider="statuspage")
    assert value(samples, "statusprobe_page_up", page="anthropic") == 1


async def test_openmetrics_is_served_when_asked(
    pages: tuple[Pages, str], exporter: Exporter
) -> None:
    _, base = pages
    client = await exporter()
    response = await client.get(
        "/probe",
        params={"target": f"{base}/ok"},
        headers={"Accept": "application/openmetrics-text"},
    )
    assert response.headers["Content-Type"].startswith("application/openmetrics-text")
    assert (await response.text()).rstrip().endswith("# EOF")


# --- the short cache ----------------------------------------------------------------------


async def test_scrapes_within_cache_ttl_share_one_upstream_fetch(
    pages: tuple[Pages, str], exporter: Exporter
) -> None:
    sim, base = pages
    client = await exporter()
    for _ in range(5):
        samples = await probe(client, target=f"{base}/ok")
        assert value(samples, "statusprobe_page_up", page=base.removeprefix("http://")) == 1
    assert sim.hits["ok"] == 1
    metrics = await (await client.get("/metrics")).text()
    assert 'statusprobe_multi_target_requests_total{result="fetched"} 1.0' in metrics
    assert 'statusprobe_multi_target_requests_total{result="cached"} 4.0' in metrics


async def test_concurrent_scrapes_share_one_fetch_in_flight(
    pages: tuple[Pages, str], exporter: Exporter
) -> None:
    sim, base = pages
    sim.delay = 0.3
    client = await exporter()
    results = await asyncio.gather(*(probe(client, target=f"{base}/ok") for _ in range(10)))
    assert sim.hits["ok"] == 1
    assert all(value(r, "statusprobe_page_up", page=base.removeprefix("http://")) for r in results)


async def test_after_cache_ttl_the_target_is_fetched_again(
    pages: tuple[Pages, str], exporter: Exporter
) -> None:
    sim, base = pages
    client = await exporter(cache_ttl="200ms", stale_after="1s")
    await probe(client, target=f"{base}/ok")
    await probe(client, target=f"{base}/ok")
    assert sim.hits["ok"] == 1
    await asyncio.sleep(0.25)
    await probe(client, target=f"{base}/ok")
    assert sim.hits["ok"] == 2


async def test_the_last_good_snapshot_stays_visible_after_a_failed_poll(
    pages: tuple[Pages, str], exporter: Exporter
) -> None:
    sim, base = pages
    client = await exporter(cache_ttl="100ms", stale_after="10s")
    await probe(client, target=f"{base}/ok", name="acme")
    sim.summary = "<html>down</html>"
    await asyncio.sleep(0.15)
    samples = await probe(client, target=f"{base}/ok", name="acme")
    assert value(samples, "statusprobe_page_up", page="acme") == 0
    reason = value(
        samples, "statusprobe_page_poll_errors_total", page="acme", reason="invalid_json"
    )
    assert reason == 1
    assert value(samples, "statusprobe_page_indicator", page="acme", indicator="none") == 1


async def test_retry_after_holds_the_target_back_past_cache_ttl(
    pages: tuple[Pages, str], exporter: Exporter
) -> None:
    sim, base = pages
    client = await exporter(cache_ttl="100ms", stale_after="1s")
    samples = await probe(client, target=f"{base}/limited", name="acme")
    assert value(samples, "statusprobe_page_up", page="acme") == 0
    until = value(samples, "statusprobe_page_backoff_until_timestamp_seconds", page="acme")
    assert time.time() + 50 < until <= time.time() + 60
    await asyncio.sleep(0.15)
    await probe(client, target=f"{base}/limited", name="acme")
    assert sim.hits["limited"] == 1


async def test_at_most_max_targets_are_kept(pages: tuple[Pages, str], exporter: Exporter) -> None:
    sim, base = pages
    client = await exporter(max_targets=2)
    for site in ("a", "b", "c", "a"):  # "a" was forgotten when "c" came
        await probe(client, target=f"{base}/{site}")
    assert sim.hits == Counter({"a": 2, "b": 1, "c": 1})


# --- bad requests ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "missing the target parameter: /probe?target=<status page URL>"),
        ({"target": ""}, "missing the target parameter: /probe?target=<status page URL>"),
        ({"target": "ftp://status.test"}, "target: must be an http:// or https:// URL with a host"),
        ({"target": "status.test"}, "target: must be an http:// or https:// URL with a host"),
        (
            {"target": "https://user:pw@status.test"},
            "target: must not contain credentials (user:password@); use basic_auth",
        ),
        ({"target": "https://status.test", "provider": "nope"}, "provider: must be one of"),
        (
            {"target": "https://status.test", "name": "bad name!"},
            "name: must start with a letter or digit",
        ),
    ],
)
async def test_a_missing_or_invalid_parameter_is_400(
    exporter: Exporter, params: dict[str, str], message: str
) -> None:
    client = await exporter()
    response = await client.get("/probe", params=params)
    assert response.status == 400
    assert (await response.text()).startswith(message)


# --- the allow-list --------------------------------------------------------------------------


async def test_a_target_outside_the_allow_list_is_403(
    pages: tuple[Pages, str], exporter: Exporter
) -> None:
    sim, base = pages
    client = await exporter(allowed_targets=[r"https://status\.example\.com"])
    response = await client.get("/probe", params={"target": f"{base}/ok"})
    assert response.status == 403
    assert await response.text() == "target not allowed by multi_target.allowed_targets\n"
    assert sim.hits["ok"] == 0
    metrics = await (await client.get("/metrics")).text()
    assert 'statusprobe_multi_target_requests_total{result="forbidden"} 1.0' in metrics


async def test_an_empty_allow_list_turns_probe_off(
    pages: tuple[Pages, str], exporter: Exporter
) -> None:
    _, base = pages
    client = await exporter(allowed_targets=[])
    assert (await client.get("/probe", params={"target": f"{base}/ok"})).status == 403


async def test_an_allowed_target_is_polled(pages: tuple[Pages, str], exporter: Exporter) -> None:
    _, base = pages
    client = await exporter(allowed_targets=[r"http://127\.0\.0\.1:\d+/ok"])
    samples = await probe(client, target=f"{base}/ok", name="acme")
    assert value(samples, "statusprobe_page_up", page="acme") == 1


async def test_a_redirect_to_an_origin_outside_the_allow_list_is_refused(
    pages: tuple[Pages, str], exporter: Exporter
) -> None:
    sim, base = pages
    other = Pages()  # another origin (port): think 169.254.169.254
    async with serving(other.app()) as other_base:
        sim.redirect_to = f"{other_base}/ok/api/v2/summary.json"
        client = await exporter(allowed_targets=[r"http://127\.0\.0\.1:\d+/redirect"])
        samples = await probe(client, target=f"{base}/redirect", name="acme")
    assert value(samples, "statusprobe_page_up", page="acme") == 0
    assert (
        value(samples, "statusprobe_page_poll_errors_total", page="acme", reason="http_error") == 1
    )
    assert other.hits["ok"] == 0


async def test_a_redirect_within_the_targets_origin_is_followed(
    pages: tuple[Pages, str], exporter: Exporter
) -> None:
    sim, base = pages
    sim.redirect_to = "/ok/api/v2/summary.json"
    client = await exporter(allowed_targets=[r"http://127\.0\.0\.1:\d+/redirect"])
    samples = await probe(client, target=f"{base}/redirect", name="acme")
    assert value(samples, "statusprobe_page_up", page="acme") == 1


# --- a hostile upstream is data, never a 5xx ---------------------------------------------------


async def test_an_html_page_is_200_with_page_up_0(
    pages: tuple[Pages, str], exporter: Exporter
) -> None:
    _, base = pages
    client = await exporter()
    samples = await probe(client, target=f"{base}/html", name="acme")
    assert value(samples, "statusprobe_page_up", page="acme") == 0
    reason = value(
        samples, "statusprobe_page_poll_errors_total", page="acme", reason="invalid_json"
    )
    assert reason == 1
    assert "statusprobe_component_status" not in names(samples)


async def test_a_hanging_page_is_200_with_page_up_0_within_the_timeout(
    pages: tuple[Pages, str], exporter: Exporter
) -> None:
    _, base = pages
    client = await exporter(timeout="300ms")
    started = time.monotonic()
    samples = await probe(client, target=f"{base}/hang", name="acme")
    assert time.monotonic() - started < 2.0
    assert value(samples, "statusprobe_page_up", page="acme") == 0
    assert value(samples, "statusprobe_page_poll_errors_total", page="acme", reason="timeout") == 1


async def test_prometheus_scrape_timeout_shortens_the_poll(
    pages: tuple[Pages, str], exporter: Exporter
) -> None:
    _, base = pages
    client = await exporter()  # timeout 10s, but Prometheus will give up after 1s
    started = time.monotonic()
    response = await client.get(
        "/probe",
        params={"target": f"{base}/hang"},
        headers={"X-Prometheus-Scrape-Timeout-Seconds": "1"},
    )
    assert response.status == 200
    assert time.monotonic() - started < 1.0
    assert 'reason="timeout"} 1.0' in await response.text()


# --- config -------------------------------------------------------------------------------------


def test_defaults_allow_any_http_url() -> None:
    mt = MultiTargetConfig()
    assert (mt.cache_ttl, mt.timeout, mt.stale_after, mt.max_targets) == (30.0, 10.0, 300.0, 1000)
    assert mt.allows("https://status.claude.com") and mt.allows("http://169.254.169.254")
    assert not mt.allows("ftp://status.claude.com")
    assert not MultiTargetConfig(allowed_targets=()).allows("https://status.claude.com")


def test_patterns_match_the_whole_target() -> None:
    mt = MultiTargetConfig(allowed_targets=(r"https://status\.claude\.com",))
    assert mt.allows("https://status.claude.com")
    assert not mt.allows("https://status.claude.com.evil.test")
    assert not mt.allows("https://evil.test/https://status.claude.com")


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (
            {"allowed_targets": ["https://(unclosed"]},
            (
                "multi_target.allowed_targets[0]",
                "invalid regular expression: missing ), unterminated subpattern at position 8",
            ),
        ),
        (
            {"cache_ttl": "1m", "stale_after": "1m"},
            ("multi_target.stale_after", "stale_after (1m) must be at least twice cache_ttl (1m)"),
        ),
        ({"max_targets": 0}, ("multi_target.max_targets", "must be at least 1")),
        ({"allow": ["x"]}, ("multi_target.allow", "unknown field")),
    ],
)
def test_bad_multi_target_config_is_an_error(raw: dict[str, Any], error: tuple[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"multi_target": raw})
    assert caught.value.errors == [error]


def test_the_reference_documents_every_multi_target_field() -> None:
    text = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text()
    section = text.split("## `<multi_target_config>`", 1)[1].split("\n## ", 1)[0]
    for field in MultiTargetConfig.model_fields:
        assert f"[ {field}:" in section, field
