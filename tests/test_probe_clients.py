"""Who owns a probe's client (exporter/probes/clients.py), and the runtime closing them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import yaml

from exporter.config import HttpProbeConfig, load_config
from exporter.probes.clients import ProbeClients, lease, pooled_limits
from exporter.runtime import Runtime
from tests.upstream import Upstream


def config(name: str = "p", **fields: Any) -> HttpProbeConfig:
    raw = {"name": name, "type": "http", "url": "http://127.0.0.1:1/", "reuse_connections": True}
    return HttpProbeConfig.model_validate(raw | fields)


def factory(made: list[httpx.AsyncClient], asked: list[httpx.Limits | None] | None = None) -> Any:
    def make(limits: httpx.Limits | None) -> httpx.AsyncClient:
        if asked is not None:
            asked.append(limits)
        client = httpx.AsyncClient(limits=limits or httpx.Limits())
        made.append(client)
        return client

    return make


async def test_without_reuse_every_run_gets_a_client_closed_after_it() -> None:
    made: list[httpx.AsyncClient] = []
    asked: list[httpx.Limits | None] = []
    clients = ProbeClients()
    for owner in (clients, None):
        async with lease(owner, config(reuse_connections=False), factory(made, asked)) as held:
            assert not held.pooled and not held.client.is_closed
        assert held.client.is_closed
    async with lease(None, config(), factory(made, asked)) as held:  # no owner: nothing is kept
        assert not held.pooled
    assert len(made) == 3 and clients.kept() == []
    assert asked == [None, None, None]  # a run's own client has no pool (single_use.py)


async def test_a_kept_client_serves_every_run_until_the_config_changes() -> None:
    made: list[httpx.AsyncClient] = []
    clients = ProbeClients()
    for _ in range(3):
        async with clients.lease(config(), factory(made)) as held:
            assert held.pooled
    assert len(made) == 1 and not made[0].is_closed
    async with clients.lease(config(interval="1m"), factory(made)):
        pass
    await asyncio.sleep(0)  # the replaced client closes in the background
    await asyncio.sleep(0)
    assert len(made) == 2 and made[0].is_closed and not made[1].is_closed
    await clients.aclose()
    assert made[1].is_closed and clients.kept() == []


async def test_retain_closes_the_clients_of_removed_and_changed_probes() -> None:
    made: list[httpx.AsyncClient] = []
    clients = ProbeClients()
    for name in ("kept", "changed", "removed"):
        async with clients.lease(config(name), factory(made)):
            pass
    clients.retain([config("kept"), config("changed", timeout="5s")])
    assert clients.kept() == ["kept"]
    await clients.aclose()  # also waits for the two being closed
    assert all(client.is_closed for client in made)


def test_pooled_connections_outlive_the_interval() -> None:
    limits = pooled_limits(config(interval="30s"))
    assert limits.keepalive_expiry == 75.0  # 2 x 30s + the 15s timeout


async def test_the_runtime_closes_kept_clients_on_reload_and_stop(
    upstream: tuple[Upstream, str], tmp_path: Path
) -> None:
    sim, base = upstream
    path = tmp_path / "statusprobe.yml"
    probe = {"type": "http", "url": f"{base}/api/x", "interval": "1s", "reuse_connections": True}
    path.write_text(yaml.safe_dump({"probes": [probe | {"name": "a"}, probe | {"name": "b"}]}))
    runtime = Runtime(load_config(path), path)
    await runtime.start()
    try:
        async with asyncio.timeout(5):
            while runtime.probe_clients.kept() != ["a", "b"]:
                await asyncio.sleep(0.02)
        path.write_text(yaml.safe_dump({"probes": [probe | {"name": "a"}]}))
        runtime.reload()
        assert runtime.probe_clients.kept() == ["a"]
        async with asyncio.timeout(5):
            while sim.hits["api"] < 4:
                await asyncio.sleep(0.02)
        assert runtime.probe_clients.kept() == ["a"]
    finally:
        await runtime.stop()
    assert runtime.probe_clients.kept() == []
