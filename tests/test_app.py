"""The HTTP endpoints of a real exporter against a simulated upstream on loopback."""

from __future__ import annotations

import asyncio
import gzip
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from exporter.config import load_config
from exporter.http.app import create_app
from exporter.runtime import Runtime
from tests.upstream import Upstream, fixture

Client = TestClient  # type: ignore[type-arg]
MakeClient = Callable[..., Awaitable[Client]]
PLANTED = "sk-test-PLANTED-0123456789abcdef"


def write_config(path: Path, base: str, *, interval: str = "1s", extra_probe: bool = False) -> Path:
    probes: list[dict[str, Any]] = [
        {
            "name": "acme-api",
            "type": "http",
            "url": f"{base}/api/health?token=x",
            "interval": interval,
            "page": "acme",
            "component": "Claude API (api.anthropic.com)",
            "headers": {"Authorization": "Bearer ${STATUSPROBE_TEST_TOKEN}"},
        }
    ]
    if extra_probe:
        probes.append({"name": "acme-extra", "type": "http", "url": f"{base}/api/x"})
    raw = {
        "status_pages": [{"name": "acme", "url": base, "interval": interval}],
        "probes": probes,
    }
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture
async def exporter(
    upstream: tuple[Upstream, str],
    aiohttp_client: MakeClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Client, Runtime, Upstream, Path]:
    monkeypatch.setenv("STATUSPROBE_TEST_TOKEN", PLANTED)
    sim, base = upstream
    path = write_config(tmp_path / "statusprobe.yml", base)
    runtime = Runtime(load_config(path), path)
    client = await aiohttp_client(create_app(runtime))
    return client, runtime, sim, path


async def scrape(
    client: Client, **headers: str
) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics", headers=headers)
    assert response.status == 200
    text = await response.text()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def wait_until(predicate: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.05)


async def wait_ready(client: Client) -> None:
    async def ready() -> bool:
        return (await client.get("/-/ready")).status == 200

    await wait_until(ready)


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples[(name, frozenset(labels.items()))]


async def test_healthy_and_ready_after_the_first_round(
    exporter: tuple[Client, Runtime, Upstream, Path],
) -> None:
    client, _, sim, _ = exporter
    assert (await client.get("/-/healthy")).status == 200
    await wait_ready(client)
    assert sim.hits["summary"] >= 1 and sim.hits["api"] >= 1


async def test_not_ready_while_the_first_poll_hangs(
    upstream: tuple[Upstream, str], aiohttp_client: MakeClient, tmp_path: Path
) -> None:
    sim, base = upstream
    sim.hold.clear()
    path = tmp_path / "c.yml"
    path.write_text(
        yaml.safe_dump({"status_pages": [{"name": "acme", "url": base, "interval": "5s"}]})
    )
    client = await aiohttp_client(create_app(Runtime(load_config(path), path)))
    await asyncio.sleep(0.3)
    response = await client.get("/-/ready")
    assert response.status == 503
    assert "(0 of 1 status pages polled, 0 of 0 probes run)" in await response.text()
    assert (await client.get("/-/healthy")).status == 200
    sim.hold.set()
    await wait_ready(client)


async def test_metrics_mirror_the_page_and_count_probe_outcomes(
    exporter: tuple[Client, Runtime, Upstream, Path],
) -> None:
    client, _, _, _ = exporter
    await wait_ready(client)
    s = await scrape(client)
    assert value(s, "statusprobe_page_up", page="acme") == 1
    assert value(s, "statusprobe_page_indicator", page="acme", indicator="none") == 1
    assert value(s, "statusprobe_probe_results_total", probe="acme-api", outcome="success") >= 1
    assert value(s, "statusprobe_probe_success", probe="acme-api") == 1
    assert value(s, "statusprobe_probe_status_code", probe="acme-api") == 200
    assert value(s, "statusprobe_config_last_reload_successful") == 1
    assert value(s, "statusprobe_build_info", version="0.1.0", python_version=_python()) == 1


def _python() -> str:
    import platform

    return platform.python_version()


async def test_openmetrics_is_served_when_asked(
    exporter: tuple[Client, Runtime, Upstream, Path],
) -> None:
    client, _, _, _ = exporter
    response = await client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.headers["Content-Type"].startswith("application/openmetrics-text")
    assert (await response.text()).rstrip().endswith("# EOF")


async def test_metrics_are_gzipped_when_asked(
    exporter: tuple[Client, Runtime, Upstream, Path],
) -> None:
    client, _, _, _ = exporter
    response = await client.get(
        "/metrics", headers={"Accept-Encoding": "gzip"}, auto_decompress=False
    )
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"statusprobe_page_up" in gzip.decompress(await response.read())


async def test_a_hostile_status_page_is_data_and_the_exporter_keeps_serving(
    exporter: tuple[Client, Runtime, Upstream, Path],
) -> None:
    client, _, sim, _ = exporter
    await wait_ready(client)
    sim.summary = "<html><body>Just a moment...</body></html>"  # a CDN challenge page, 200

    async def counted() -> bool:
        s = await scrape(client)
        return (
            value(s, "statusprobe_page_poll_errors_total", page="acme", reason="invalid_json") >= 1
        )

    await wait_until(counted)
    s = await scrape(client)
    assert value(s, "statusprobe_page_up", page="acme") == 0
    # the last good snapshot stays visible
    assert value(s, "statusprobe_page_indicator", page="acme", indicator="none") == 1


async def test_an_incident_and_a_vanished_component_show_on_the_next_scrape(
    exporter: tuple[Client, Runtime, Upstream, Path],
) -> None:
    client, _, sim, _ = exporter
    await wait_ready(client)
    incident = fixture("incident.json")
    sim.summary = incident

    async def major() -> bool:
        s = await scrape(client)
        return value(s, "statusprobe_page_indicator", page="acme", indicator="major") == 1

    await wait_until(major)
    s = await scrape(client)
    names = {dict(labels).get("component") for (name, labels) in s if "component_status" in name}
    expected = {c["name"] for c in incident["components"] if not c.get("group")}
    assert names == expected
    assert sum(v for (n, _), v in s.items() if n == "statusprobe_incidents_open") == len(
        incident["incidents"]
    )


async def test_reload_applies_a_valid_config_and_keeps_the_old_on_error(
    exporter: tuple[Client, Runtime, Upstream, Path],
    upstream: tuple[Upstream, str],
) -> None:
    client, runtime, _, path = exporter
    await wait_ready(client)
    write_config(path, upstream[1], extra_probe=True)
    response = await client.post("/-/reload")
    assert response.status == 200, await response.text()
    assert [p.name for p in runtime.config.probes] == ["acme-api", "acme-extra"]

    path.write_text("probes:\n  - name: broken\n    type: http\n    url: ftp://nope\n")
    response = await client.post("/-/reload")
    assert response.status == 500
    assert "probes[0].url" in await response.text()
    assert [p.name for p in runtime.config.probes] == ["acme-api", "acme-extra"]
    s = await scrape(client)
    assert value(s, "statusprobe_config_last_reload_successful") == 0
    assert (await client.get("/-/reload")).status == 405


async def test_status_api_and_landing_page_show_pages_and_probes(
    exporter: tuple[Client, Runtime, Upstream, Path],
) -> None:
    client, _, _, _ = exporter
    await wait_ready(client)
    doc = await (await client.get("/api/v1/status")).json()
    assert doc["ready"] is True
    assert doc["status_pages"][0]["name"] == "acme"
    page = doc["status_pages"][0]
    assert page["indicator"] == "none"
    assert (page["provider"], page["stale"], page["unknown_values"]) == ("statuspage", False, [])
    assert doc["probes"][0]["last"]["ttft_seconds"] is None  # http probes stream no tokens
    assert doc["probes"][0]["last"]["outcome"] == "success"
    assert doc["probes"][0]["official"] == "operational"
    assert doc["probes"][0]["target"].startswith("127.0.0.1:")  # host only, no path or query
    page = await (await client.get("/")).text()
    assert "acme-api" in page and "/metrics" in page and "<svg class='strip " in page


async def test_a_failure_records_the_request_id_in_the_status_api(
    exporter: tuple[Client, Runtime, Upstream, Path],
) -> None:
    client, _, sim, _ = exporter
    await wait_ready(client)
    sim.api_status = 529

    async def failed() -> bool:
        doc = await (await client.get("/api/v1/status")).json()
        return doc["probes"][0]["last_failure"] is not None

    await wait_until(failed)
    doc = await (await client.get("/api/v1/status")).json()
    failure = doc["probes"][0]["last_failure"]
    assert failure["outcome"] == "overloaded"
    assert failure["request_id"].startswith("req_")


async def test_secrets_reach_the_upstream_but_no_output(
    exporter: tuple[Client, Runtime, Upstream, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client, runtime, sim, _ = exporter
    await wait_ready(client)
    sim.api_status = 401
    await asyncio.sleep(1.5)
    assert any(h.get("Authorization") == f"Bearer {PLANTED}" for h in sim.headers_seen)
    outputs = [
        await (await client.get(path)).text() for path in ("/metrics", "/", "/api/v1/status")
    ]
    outputs.append(caplog.text)
    outputs.append(repr(runtime.config))
    for text in outputs:
        assert PLANTED not in text
