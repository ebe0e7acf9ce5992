"""Fault 4: clients that open connections and drip their headers must not take every
file descriptor and starve scrapes. Behaviour, not wall clock: the scrape is answered
while more drippers than the cap hold connections, and each is closed and counted."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml
from aiohttp import web

from exporter.config import load_config
from exporter.http.app import create_app
from exporter.http.connections import start_server
from exporter.runtime import Runtime

CAP = 20
HEADER_TIMEOUT = 0.5


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[str, Runtime]]:
    path = tmp_path / "c.yml"
    path.write_text(yaml.safe_dump({"status_pages": []}))
    runtime = Runtime(load_config(path), path)
    runner = web.AppRunner(create_app(runtime), access_log=None)
    await runner.setup()
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    assert runner.server is not None
    server = await start_server(
        runner.server,
        sock,
        None,
        runtime.metrics.web_connections_closed,
        header_timeout=HEADER_TIMEOUT,
        max_connections=CAP,
    )
    try:
        yield f"http://127.0.0.1:{port}", runtime
    finally:
        server.close()
        await runner.cleanup()


def closed(runtime: Runtime, reason: str) -> float:
    return runtime.metrics.web_connections_closed.labels(reason)._value.get()


async def drip(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    await writer.drain()
    return reader, writer


async def test_drippers_beyond_the_cap_do_not_starve_a_scrape(
    served: tuple[str, Runtime],
) -> None:
    url, runtime = served
    drippers = [await drip(url) for _ in range(3 * CAP)]
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{url}/metrics", timeout=30)
    assert response.status_code == 200
    # The oldest drippers made room; every one still open is within the cap.
    assert closed(runtime, "evicted") >= 2 * CAP
    alive = 0
    for reader, writer in drippers:
        try:
            if await asyncio.wait_for(reader.read(1), timeout=0.01) == b"":
                continue
        except TimeoutError:
            alive += 1
        except ConnectionError:
            continue
        finally:
            writer.close()
    assert alive <= CAP


async def test_headers_not_complete_in_time_close_the_connection(
    served: tuple[str, Runtime],
) -> None:
    url, runtime = served
    reader, writer = await drip(url)
    async with asyncio.timeout(30):  # a bound for a broken build, not the measurement
        assert await reader.read() == b""
    writer.close()
    assert closed(runtime, "header_timeout") == 1


async def test_an_idle_keep_alive_connection_is_not_a_slow_header(
    served: tuple[str, Runtime],
) -> None:
    url, runtime = served
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=1)) as client:
        for _ in range(3):
            assert (await client.get(f"{url}/-/healthy")).status_code == 200
            await asyncio.sleep(2 * HEADER_TIMEOUT)  # idle longer than the header deadline
    assert closed(runtime, "header_timeout") == 0
