"""The probes' network backend: one lookup per run, Happy Eyeballs, httpcore's errors."""

from __future__ import annotations

import asyncio
import socket

import httpcore
import pytest

from exporter.config import parse_config
from exporter.models import Outcome
from exporter.probes import run_probe
from exporter.probes.network import AddrInfo, AsyncioBackend
from tests.upstream import Upstream


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every host name passed to socket.getaddrinfo (what loop.getaddrinfo calls)."""
    seen: list[str] = []
    real = socket.getaddrinfo

    def counting(host: object, *args: object, **kwargs: object) -> object:
        seen.append(str(host))
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    return seen


def _probe(url: str, **extra: object) -> object:
    raw = {"name": "p", "type": "http", "url": url, "interval": "30s", **extra}
    return parse_config({"probes": [raw]}).probes[0]


async def test_a_run_looks_its_host_up_once_and_times_it(
    upstream: tuple[Upstream, str], lookups: list[str]
) -> None:
    _, base = upstream  # listens on 127.0.0.1 only; localhost may resolve ::1 first
    url = base.replace("127.0.0.1", "localhost") + "/api/v2/summary.json"
    result = await run_probe(_probe(url))  # type: ignore[arg-type]
    assert result.outcome is Outcome.SUCCESS, result.detail
    assert lookups == ["localhost"]
    assert "dns" in dict(result.phases)
    assert {"connect", "ttfb"} <= set(dict(result.phases))


async def test_an_ip_literal_host_is_not_looked_up(
    upstream: tuple[Upstream, str], lookups: list[str]
) -> None:
    _, base = upstream
    result = await run_probe(_probe(base + "/api/v2/summary.json"))  # type: ignore[arg-type]
    assert result.outcome is Outcome.SUCCESS, result.detail
    assert lookups == []
    assert "dns" not in dict(result.phases)


async def test_a_pooled_client_looks_up_per_new_connection(
    upstream: tuple[Upstream, str], lookups: list[str]
) -> None:
    from exporter.probes import ProbeClients

    _, base = upstream
    url = base.replace("127.0.0.1", "localhost") + "/api/v2/summary.json"
    config = _probe(url, reuse_connections=True)
    clients = ProbeClients()
    try:
        first = await run_probe(config, clients)  # type: ignore[arg-type]
        second = await run_probe(config, clients)  # type: ignore[arg-type]
    finally:
        await clients.aclose()
    assert (first.outcome, second.outcome) == (Outcome.SUCCESS, Outcome.SUCCESS)
    assert lookups == ["localhost"]  # the second run reused the connection
    assert "connect" not in dict(second.phases)


def _refused_address() -> AddrInfo:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", port))


async def test_the_next_address_is_tried_when_one_refuses(upstream: tuple[Upstream, str]) -> None:
    _, base = upstream
    port = int(base.rpartition(":")[2])
    good: AddrInfo = (
        socket.AF_INET,
        socket.SOCK_STREAM,
        socket.IPPROTO_TCP,
        "",
        ("127.0.0.1", port),
    )
    backend = AsyncioBackend()
    backend.pin("example.invalid", port, [_refused_address(), good])
    stream = await backend.connect_tcp("example.invalid", port, timeout=5)
    try:
        assert stream.get_extra_info("server_addr") == ("127.0.0.1", port)
        assert stream.get_extra_info("is_readable") is False
        await stream.write(b"GET /api/v2/summary.json HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
        assert (await stream.read(12, timeout=5)).startswith(b"HTTP/1.1 200")
    finally:
        await stream.aclose()


@pytest.mark.parametrize("options", [[], [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]])
async def test_a_local_address_and_socket_options_are_applied(
    upstream: tuple[Upstream, str], options: list[tuple[int, int, int]]
) -> None:
    _, base = upstream
    port = int(base.rpartition(":")[2])
    backend = AsyncioBackend()
    stream = await backend.connect_tcp(
        "127.0.0.1", port, timeout=5, local_address="127.0.0.1", socket_options=options
    )
    try:
        assert stream.get_extra_info("client_addr")[0] == "127.0.0.1"
        keepalive = stream.get_extra_info("socket").getsockopt(
            socket.SOL_SOCKET, socket.SO_KEEPALIVE
        )
        assert bool(keepalive) is bool(options)
        await stream.write(b"GET /api/v2/summary.json HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
        assert (await stream.read(12, timeout=5)).startswith(b"HTTP/1.1 200")
    finally:
        await stream.aclose()


async def test_every_address_refusing_is_httpcores_connect_error() -> None:
    backend = AsyncioBackend()
    backend.pin("example.invalid", 80, [_refused_address(), _refused_address()])
    with pytest.raises(httpcore.ConnectError) as caught:
        await backend.connect_tcp("example.invalid", 80, timeout=5)
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


async def test_a_lookup_failure_keeps_the_gaierror_in_the_chain() -> None:
    backend = AsyncioBackend()
    with pytest.raises(httpcore.ConnectError) as caught:
        await backend.connect_tcp("no-such-host.invalid", 80, timeout=5)
    assert isinstance(caught.value.__cause__, socket.gaierror)


async def test_a_silent_server_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # never answers; returns when the client closes

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
        with pytest.raises(httpcore.ReadTimeout):
            await stream.read(100, timeout=0.05)
        await stream.aclose()
    finally:
        server.close()
        await server.wait_closed()
