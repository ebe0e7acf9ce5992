"""`classify_transport_error` (exporter/transport_errors.py) on real failures.

Every exception is produced by httpx against a loopback server (or the tests'
simulated resolver, tests/resolver.py, for a `.invalid` name), so the tests follow
the cause chain httpx and httpcore really build; nothing is hand-constructed and
nothing leaves the host.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest
import trustme

from exporter.transport_errors import classify_transport_error

RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Start = Callable[..., Awaitable[int]]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def trusting(ca: trustme.CA) -> ssl.SSLContext:
    """A client context that trusts the throwaway CA (and nothing else)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(context)
    return context


def server_tls(ca: trustme.CA, *, expired: bool = False) -> ssl.SSLContext:
    now = dt.datetime.now(dt.UTC)
    not_after = now - dt.timedelta(days=1) if expired else now + dt.timedelta(days=30)
    cert = ca.issue_cert(
        "127.0.0.1", not_before=not_after - dt.timedelta(days=60), not_after=not_after
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    """Start a raw asyncio server on loopback; returns its port. All stopped afterwards."""
    servers: list[asyncio.Server] = []

    async def starter(handler: RawHandler, *, tls: ssl.SSLContext | None = None) -> int:
        server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=tls)
        servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    yield starter
    for server in servers:
        server.close()
        await server.wait_closed()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """Bound but not listening: connections are refused and the port stays ours."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


async def answer_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A plain HTTP/1.1 server: answers whatever arrives, then hangs up."""
    try:
        await asyncio.wait_for(reader.read(4096), 2)
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
    except (ConnectionError, TimeoutError, ssl.SSLError):
        pass
    finally:
        writer.close()


async def failure_of(url: str, *, verify: ssl.SSLContext | bool = True) -> BaseException:
    with pytest.raises(httpx.HTTPError) as info:
        async with httpx.AsyncClient(verify=verify, timeout=3, trust_env=False) as client:
            await client.get(url)
    return info.value


async def test_expired_certificate_is_tls_error(
    start: Start, ca: trustme.CA, trusting: ssl.SSLContext
) -> None:
    port = await start(answer_ok, tls=server_tls(ca, expired=True))
    exc = await failure_of(f"https://127.0.0.1:{port}/", verify=trusting)
    assert "expired" in str(exc)  # the failure we meant, not some other one
    assert classify_transport_error(exc) == "tls_error"


async def test_unknown_ca_is_tls_error(start: Start, ca: trustme.CA) -> None:
    port = await start(answer_ok, tls=server_tls(ca))
    exc = await failure_of(f"https://127.0.0.1:{port}/")  # certifi roots only
    assert "local issuer" in str(exc)
    assert classify_transport_error(exc) == "tls_error"


async def test_certificate_for_another_host_is_tls_error(
    start: Start, ca: trustme.CA, trusting: ssl.SSLContext
) -> None:
    port = await start(answer_ok, tls=server_tls(ca))  # for 127.0.0.1 only
    exc = await failure_of(f"https://localhost:{port}/", verify=trusting)
    assert "Hostname mismatch" in str(exc)
    assert classify_transport_error(exc) == "tls_error"


async def test_plain_http_server_on_a_tls_url_is_tls_error(
    start: Start, trusting: ssl.SSLContext
) -> None:
    port = await start(answer_ok)  # answers the ClientHello with "HTTP/1.1 400"
    exc = await failure_of(f"https://127.0.0.1:{port}/", verify=trusting)
    assert isinstance(exc, httpx.ConnectError)
    assert classify_transport_error(exc) == "tls_error"


async def test_tls_server_on_an_http_url_is_connect_error(start: Start, ca: trustme.CA) -> None:
    port = await start(answer_ok, tls=server_tls(ca))  # drops the plaintext request
    exc = await failure_of(f"http://127.0.0.1:{port}/")
    assert isinstance(exc, httpx.RemoteProtocolError)
    assert classify_transport_error(exc) == "connect_error"


async def test_garbage_mentioning_ssl_is_not_a_tls_error(start: Start) -> None:
    # h11 quotes the bad status line in its message: message text is the
    # server's, so it must not decide the kind (this was a tls_error).
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"SSL [SSL: CERTIFICATE_VERIFY_FAILED] TLS nonsense\r\n\r\n")
        await writer.drain()
        writer.close()

    port = await start(garbage)
    exc = await failure_of(f"http://127.0.0.1:{port}/")
    assert isinstance(exc, httpx.RemoteProtocolError)
    assert "CERTIFICATE_VERIFY_FAILED" in str(exc)
    assert classify_transport_error(exc) == "connect_error"


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_unresolvable_name_is_dns_error(scheme: str) -> None:
    exc = await failure_of(f"{scheme}://nonexistent.invalid/")
    assert isinstance(exc, httpx.ConnectError)
    assert classify_transport_error(exc) == "dns_error"


async def test_refused_connection_is_connect_error(closed_port: int) -> None:
    exc = await failure_of(f"https://127.0.0.1:{closed_port}/")
    assert isinstance(exc, httpx.ConnectError)
    assert classify_transport_error(exc) == "connect_error"


async def test_silent_server_is_timeout(start: Start) -> None:
    release = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.wait_for(release.wait(), 5)
        writer.close()

    port = await start(silent)
    try:
        with pytest.raises(httpx.ReadTimeout) as info:
            async with httpx.AsyncClient(timeout=0.2, trust_env=False) as client:
                await client.get(f"http://127.0.0.1:{port}/")
    finally:
        release.set()
    assert classify_transport_error(info.value) == "timeout"


def test_dns_failures_are_simulated_not_asked_of_the_system() -> None:
    import socket

    from tests import resolver

    before = len(resolver.lookups)
    with pytest.raises(socket.gaierror) as info:
        socket.getaddrinfo("nonexistent.invalid", 80)
    assert info.value.errno == socket.EAI_NONAME
    assert resolver.lookups[before:] == ["nonexistent.invalid"]
    assert socket.getaddrinfo("127.0.0.1", 80)  # literals still work
