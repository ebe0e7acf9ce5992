"""A fresh run's own connection (exporter/probes/single_use.py): no pool, one connection.

The server here is a few lines of asyncio that count the connections they accept and
answer by path, so a test sees exactly how many connections a run opened and whether
each was closed when the run ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpcore
import pytest

from exporter.config import HttpProbeConfig, parse_config
from exporter.models import Outcome
from exporter.probes import run_probe
from exporter.probes.clients import ProbeClients


@dataclass
class Counting:
    """How many connections were accepted, and how many the client has closed."""

    port: int = 0
    accepted: int = 0
    closed: int = 0
    paths: list[str] = field(default_factory=list)
    cookies: list[str] = field(default_factory=list)  # each request's Cookie header
    other_port: int = 0  # where /away redirects to

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                self.paths.append(path)
                cookie = [v for k, _, v in _fields(head) if k == "cookie"]
                self.cookies.append(cookie[0] if cookie else "")
                writer.write(self._answer(path))
                await writer.drain()
                if path in ("/close", "/switch"):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection
        finally:
            self.closed += 1
            writer.close()

    def _answer(self, path: str) -> bytes:
        if path == "/here":
            return _response("302 Found", b"", location="/ok")
        if path == "/close":  # the server closes after this redirect
            return _response("302 Found", b"", location="/ok", close=True)
        if path == "/switch":  # switches protocols, then hangs up
            return b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
        if path == "/bake":
            return _response("302 Found", b"", location="/ok", cookie="run=1")
        if path == "/away":
            return _response("302 Found", b"", location=f"http://127.0.0.1:{self.other_port}/ok")
        return _response("200 OK", b"fine")


def _fields(head: bytes) -> list[tuple[str, str, str]]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    return [
        (name.strip().lower(), sep, value.strip())
        for name, sep, value in (line.partition(":") for line in lines if line)
    ]


def _response(
    status: str, body: bytes, *, location: str = "", close: bool = False, cookie: str = ""
) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}"]
    if location:
        lines.append(f"Location: {location}")
    if cookie:
        lines.append(f"Set-Cookie: {cookie}; Path=/")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@contextlib.asynccontextmanager
async def counting_server() -> AsyncIterator[Counting]:
    counting = Counting()
    server = await asyncio.start_server(counting.serve, "127.0.0.1", 0)
    counting.port = server.sockets[0].getsockname()[1]
    async with server:
        yield counting


@pytest.fixture
def no_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any use of httpcore's connection pool fails the test."""

    async def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("a fresh run went through httpcore's connection pool")

    monkeypatch.setattr(httpcore.AsyncConnectionPool, "handle_async_request", refuse)


def _probe(url: str, **extra: object) -> HttpProbeConfig:
    raw = {"name": "p", "type": "http", "url": url, "interval": "30s", **extra}
    config = parse_config({"probes": [raw]}).probes[0]
    assert isinstance(config, HttpProbeConfig)
    return config


async def _settle(server: Counting, closed: int) -> None:
    """Wait (briefly) until the server has seen `closed` connections end."""
    async with asyncio.timeout(5):
        while server.closed < closed:
            await asyncio.sleep(0.01)


@pytest.mark.usefixtures("no_pool")
async def test_every_fresh_run_opens_one_connection_and_closes_it() -> None:
    async with counting_server() as server:
        config = _probe(f"http://127.0.0.1:{server.port}/ok")
        results = [await run_probe(config, ProbeClients()) for _ in range(3)]
        await _settle(server, 3)
    assert [r.outcome for r in results] == [Outcome.SUCCESS] * 3
    assert all({"connect", "ttfb", "transfer"} <= set(dict(r.phases)) for r in results)
    assert server.accepted == 3 and server.closed == 3


@pytest.mark.usefixtures("no_pool")
@pytest.mark.parametrize(
    ("start", "connections"),
    [("/here", 1), ("/close", 2)],
    ids=["same-origin-reuses-the-connection", "after-connection-close-a-new-one"],
)
async def test_a_same_origin_redirect_reuses_the_runs_connection_unless_closed(
    start: str, connections: int
) -> None:
    async with counting_server() as server:
        result = await run_probe(_probe(f"http://127.0.0.1:{server.port}{start}"))
        await _settle(server, connections)
    assert result.outcome is Outcome.SUCCESS, result.detail
    assert server.paths == [start, "/ok"]
    assert server.accepted == connections  # one connect phase per connection
    assert result.phases[0][0] == "connect"


@pytest.mark.usefixtures("no_pool")
async def test_a_cross_origin_redirect_closes_the_first_connection() -> None:
    async with counting_server() as first, counting_server() as second:
        first.other_port = second.port
        result = await run_probe(_probe(f"http://127.0.0.1:{first.port}/away"))
        await _settle(first, 1)
        await _settle(second, 1)
    assert result.outcome is Outcome.SUCCESS, result.detail
    assert (first.accepted, second.accepted) == (1, 1)
    assert (first.paths, second.paths) == (["/away"], ["/ok"])


async def test_a_cookie_a_redirect_sets_is_sent_within_the_run_only() -> None:
    # probes/cookies.py skips the cookie jar for responses without Set-Cookie only.
    async with counting_server() as server:
        config = _probe(f"http://127.0.0.1:{server.port}/bake")
        results = [await run_probe(config) for _ in range(2)]
    assert [r.outcome for r in results] == [Outcome.SUCCESS] * 2
    assert server.paths == ["/bake", "/ok"] * 2
    assert server.cookies == ["", "run=1"] * 2  # the next run starts without it


async def test_a_pooled_probe_still_keeps_its_connection() -> None:
    async with counting_server() as server:
        config = _probe(f"http://127.0.0.1:{server.port}/ok", reuse_connections=True)
        clients = ProbeClients()
        results = [await run_probe(config, clients) for _ in range(3)]
        assert server.accepted == 1 and server.closed == 0
        await clients.aclose()
        await _settle(server, 1)
    assert [r.outcome for r in results] == [Outcome.SUCCESS] * 3


@pytest.mark.usefixtures("no_pool")
async def test_debug_records_are_httpcores_without_the_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="httpcore")
    async with counting_server() as server:
        result = await run_probe(_probe(f"http://127.0.0.1:{server.port}/ok?key=s3cr3t"))
    assert result.outcome is Outcome.SUCCESS, result.detail
    records = [(r.name, r.getMessage()) for r in caplog.records if r.name.startswith("httpcore")]
    names = [message.split(" ", 1)[0] for _, message in records]
    assert names == [
        "connect_tcp.started",
        "connect_tcp.complete",
        "send_request_headers.started",
        "send_request_headers.complete",
        "send_request_body.started",
        "send_request_body.complete",
        "receive_response_headers.started",
        "receive_response_headers.complete",
        "receive_response_body.started",
        "receive_response_body.complete",
    ]
    assert records[0][0] == "httpcore.connection" and records[2][0] == "httpcore.http11"
    assert "request=<Request [b'GET']>" in records[2][1]
    assert not any("s3cr3t" in message for _, message in records)


@pytest.mark.parametrize("upgrade", [True, False])
async def test_a_protocol_switch_ends_the_run_instead_of_spinning(upgrade: bool) -> None:
    # After a 101, h11 answers "paused" at once without reading: a loop waiting for a
    # response there would never yield to the event loop again, timeout or not.
    headers = {"Upgrade": "websocket"} if upgrade else {}
    async with counting_server() as server:
        url = f"http://127.0.0.1:{server.port}/switch"
        async with asyncio.timeout(5):
            result = await run_probe(_probe(url, headers=headers, timeout="2s"))
    assert result.outcome is not Outcome.SUCCESS
    if upgrade:  # asked for: the 101 is the response, and not a 2xx
        assert result.status_code == 101 and result.detail == "HTTP 101, expected 2xx"
    else:  # not asked for: h11's protocol error, as under httpcore
        assert result.outcome is Outcome.UNEXPECTED_RESPONSE
        assert "without a pending proposal" in result.detail
