"""Fault 3: `/probe` is closed to non-public addresses, never fetches the exporter
itself, caps its concurrent polls and its cache, and answers a malformed target with a
counted 400.

Before: with the default config it fetched loopback URLs and 169.254.169.254, 1,000
requests for hanging targets froze /metrics and /-/healthy for ~45 s, 40 targets of
100,000 components took 560 MB, a target redirecting into /probe fanned one request
out to 404, and a tab, NUL or port 99999 in `target` was a 500 (for good).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from exporter.config import MultiTargetConfig, parse_config
from exporter.http import multi_target as multi_target_module
from exporter.http import probe_guard
from exporter.http.app import MULTI_TARGET, create_app
from exporter.runtime import Runtime
from exporter.sources.fetch import RequestRefused
from tests import resolver
from tests.faults.hostile import huge_statuspage
from tests.tools import serving

Client = TestClient  # type: ignore[type-arg]
LOOPBACK = r"http://127\.0\.0\.1:\d+(/.*)?"


class Upstream:
    """Counts requests; `/hang` hangs (recording how many hang at once), `/huge` is a
    30,000-component Statuspage."""

    def __init__(self) -> None:
        self.requests = 0
        self.hanging = 0
        self.most_hanging = 0
        self.release = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self.answer)
        return app

    async def answer(self, request: web.Request) -> web.Response:
        self.requests += 1
        if request.path.startswith("/hang"):
            self.hanging += 1
            self.most_hanging = max(self.most_hanging, self.hanging)
            try:
                await asyncio.wait_for(self.release.wait(), timeout=30)
            finally:
                self.hanging -= 1
        if request.path.startswith("/huge"):
            return web.Response(body=huge_statuspage(), content_type="application/json")
        return web.json_response({"status": {"indicator": "none"}})


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[Upstream, str]]:
    sim = Upstream()
    async with serving(sim.app()) as base:
        try:
            yield sim, base
        finally:
            sim.release.set()


async def start(aiohttp_client: Any, **multi_target: Any) -> tuple[Client, web.Application]:
    config = parse_config({"multi_target": multi_target} if multi_target else {})
    app = create_app(Runtime(config, None))
    return await aiohttp_client(app), app


async def counted(client: Client, result: str) -> float:
    text = await (await client.get("/metrics")).text()
    line = f'statusprobe_multi_target_requests_total{{result="{result}"}} '
    return float(text.split(line, 1)[1].split()[0])


async def test_by_default_non_public_targets_are_refused_after_dns(
    aiohttp_client: Any, upstream: tuple[Upstream, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, base = upstream
    port = base.rsplit(":", 1)[1]
    monkeypatch.setitem(resolver.NAMES, "status.internal.test", "127.0.0.1")
    client, _ = await start(aiohttp_client)
    for target in (
        base,
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1",
        "http://[::1]:9",
        f"http://status.internal.test:{port}",  # a name that resolves to loopback
    ):
        response = await client.get("/probe", params={"target": target})
        assert response.status == 403, target
        assert "non-public address" in await response.text()
    assert sim.requests == 0
    assert await counted(client, "forbidden") == 5


async def test_every_redirect_hop_is_checked_after_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(resolver.NAMES, "hop.internal.test", "127.0.0.1")
    default = MultiTargetConfig()
    request = httpx.Request("GET", "http://hop.internal.test/api/v2/summary.json")
    with pytest.raises(RequestRefused, match="non-public address"):
        await probe_guard.check(request, default)
    assert request.headers[probe_guard.LOOP_HEADER] == probe_guard.LOOP_TOKEN
    # Allowed by name: the operator chose it.
    named = MultiTargetConfig(allowed_targets=(r"http://hop\.internal\.test(/.*)?",))
    await probe_guard.check(httpx.Request("GET", "http://hop.internal.test/x"), named)


def test_what_counts_as_public() -> None:
    assert probe_guard.is_public("1.1.1.1") and probe_guard.is_public("2606:4700::1111")
    for address in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                    "100.64.0.1", "0.0.0.0", "::1", "fe80::1%eth0", "fc00::1", "224.0.0.1",
                    "::ffff:127.0.0.1", "240.0.0.1"):  # fmt: skip
        assert not probe_guard.is_public(address), address


async def test_the_exporter_never_fetches_itself(aiohttp_client: Any) -> None:
    client, _ = await start(aiohttp_client, allowed_targets=[LOOPBACK])
    own = str(client.make_url("/probe")) + "?target=http://127.0.0.1:9/x"
    response = await client.get("/probe", params={"target": own})
    assert response.status == 200
    assert re.search(r'statusprobe_page_up\{page="[^"]+"\} 0', await response.text())
    # The inner request was refused at once: one fetch, one refusal, no fan-out.
    assert await counted(client, "fetched") == 1
    assert await counted(client, "forbidden") == 1


async def test_concurrent_polls_are_capped_and_other_endpoints_answer(
    aiohttp_client: Any, upstream: tuple[Upstream, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, base = upstream
    monkeypatch.setattr(multi_target_module, "MAX_CONCURRENT_POLLS", 4)
    client, _ = await start(aiohttp_client, allowed_targets=[LOOPBACK], timeout="1s")
    probes = [client.get("/probe", params={"target": f"{base}/hang/{i}"}) for i in range(40)]
    healthy = asyncio.ensure_future(client.get("/-/healthy"))
    responses = await asyncio.gather(*probes)
    assert (await healthy).status == 200
    assert [r.status for r in responses] == [200] * 40
    assert sim.most_hanging <= 4
    bodies = [await r.text() for r in responses]
    assert all('reason="timeout"} 1' in body for body in bodies)


async def test_the_cache_keeps_only_the_page_bounds(
    aiohttp_client: Any, upstream: tuple[Upstream, str]
) -> None:
    _, base = upstream
    client, app = await start(aiohttp_client, allowed_targets=[LOOPBACK])
    response = await client.get("/probe", params={"target": f"{base}/huge"})
    assert response.status == 200
    assert re.search(r'statusprobe_page_up\{page="[^"]+"\} 1', await response.text())
    (target,) = app[MULTI_TARGET]._targets.values()
    snapshot = target.state.snapshot
    assert snapshot is not None and len(snapshot.components) == 500  # max_components
    assert target.state.dropped_count("component") == 30000 - 500


@pytest.mark.parametrize(
    "target", ["http://a\tb/", "http://127.0.0.1:99999/", "http://x/\x00", "ftp://x/"]
)
async def test_a_malformed_target_is_a_counted_400_every_time(
    aiohttp_client: Any, target: str
) -> None:
    client, _ = await start(aiohttp_client)
    for _ in range(2):
        response = await client.get("/probe", params={"target": target})
        assert response.status == 400, await response.text()
    assert await counted(client, "bad_request") == 2
