"""Fault 5: `/-/reload` is costly and open. Concurrent reloads share one, browsers on
other origins cannot trigger it, and `--no-web.enable-lifecycle` turns it off."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from aiohttp.test_utils import TestClient

from exporter.config import load_config
from exporter.http.app import RELOADER, create_app
from exporter.http.reloads import Reloader, cross_origin
from exporter.runtime import Runtime

Client = TestClient  # type: ignore[type-arg]


def write_config(path: Path, pages: int = 1) -> Path:
    raw = {
        "status_pages": [
            {"name": f"p{i}", "url": f"http://127.0.0.1:9/{i}", "interval": "1h"}
            for i in range(pages)
        ]
    }
    path.write_text(yaml.safe_dump(raw))
    return path


async def test_concurrent_reloads_share_one(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.yml")
    runtime = Runtime(load_config(path), path)
    reloader = Reloader(runtime)
    await asyncio.gather(*(reloader.reload() for _ in range(50)))
    assert reloader.runs == 1
    # Requests that arrive while a reload runs wait for one more, which reads the file
    # as it is after them; all of them share it.
    write_config(path, pages=2)
    first = asyncio.ensure_future(reloader.reload())
    async with asyncio.timeout(10):
        while reloader.runs < 2:
            await asyncio.sleep(0)
    later = [asyncio.ensure_future(reloader.reload()) for _ in range(20)]
    await asyncio.gather(first, *later)
    assert reloader.runs == 3
    assert [p.name for p in runtime.config.status_pages] == ["p0", "p1"]


async def test_200_concurrent_http_reloads_cost_a_few_and_scrapes_answer(
    tmp_path: Path, aiohttp_client: object
) -> None:
    path = write_config(tmp_path / "c.yml", pages=50)
    app = create_app(Runtime(load_config(path), path))
    client: Client = await aiohttp_client(app)  # type: ignore[operator]
    posts = [client.post("/-/reload") for _ in range(200)]
    scrape = client.get("/metrics")
    *responses, metrics = await asyncio.gather(*posts, scrape)
    assert [r.status for r in responses] == [200] * 200
    assert metrics.status == 200
    assert app[RELOADER].runs <= 3


async def test_cross_origin_reloads_are_refused(tmp_path: Path, aiohttp_client: object) -> None:
    path = write_config(tmp_path / "c.yml")
    app = create_app(Runtime(load_config(path), path))
    client: Client = await aiohttp_client(app)  # type: ignore[operator]
    host = f"{client.host}:{client.port}"
    evil = await client.post("/-/reload", headers={"Origin": "http://evil.example"})
    assert evil.status == 403
    fetch = await client.post("/-/reload", headers={"Sec-Fetch-Site": "cross-site"})
    assert fetch.status == 403
    assert app[RELOADER].runs == 0
    same = await client.post("/-/reload", headers={"Origin": f"http://{host}"})
    assert same.status == 200
    assert (await client.post("/-/reload")).status == 200  # curl, a reloader sidecar


def test_the_lifecycle_flag_is_on_by_default_and_can_be_turned_off() -> None:
    from exporter.cli import _parser

    assert _parser().parse_args(["run"]).lifecycle is True
    assert _parser().parse_args(["run", "--no-web.enable-lifecycle"]).lifecycle is False


def test_cross_origin_rules() -> None:
    assert cross_origin({"Origin": "null"}, "a:1")
    assert cross_origin({"Origin": "http://a:2"}, "a:1")
    assert not cross_origin({"Origin": "https://A:1"}, "a:1")
    assert not cross_origin({"Sec-Fetch-Site": "same-origin"}, "a:1")
    assert not cross_origin({}, "a:1")


async def test_the_lifecycle_endpoint_can_be_turned_off(
    tmp_path: Path, aiohttp_client: object
) -> None:
    path = write_config(tmp_path / "c.yml")
    app = create_app(Runtime(load_config(path), path), lifecycle=False)
    client: Client = await aiohttp_client(app)  # type: ignore[operator]
    response = await client.post("/-/reload")
    assert response.status == 403
    assert "not enabled" in await response.text()
    assert app[RELOADER].runs == 0
