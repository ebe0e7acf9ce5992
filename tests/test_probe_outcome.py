"""The one outcome classification all probe types share (exporter/probes/outcome.py).

Exceptions are real ones, produced by httpx against loopback sockets, so the
tests follow whatever cause chain httpx actually builds.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest
import trustme

from exporter.models import Outcome
from exporter.probes.outcome import (
    classify_error,
    classify_exception,
    classify_status,
    describe_exception,
    internal_error_detail,
    is_expected_failure,
)

PLANTED = "sk-test-PLANTED-0123456789"

RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (401, Outcome.AUTH_ERROR),
        (403, Outcome.AUTH_ERROR),
        (429, Outcome.RATE_LIMITED),
        (529, Outcome.OVERLOADED),
        (500, Outcome.SERVER_ERROR),
        (502, Outcome.SERVER_ERROR),
        (503, Outcome.SERVER_ERROR),
        (599, Outcome.SERVER_ERROR),
        (404, Outcome.CLIENT_ERROR),
        (400, Outcome.CLIENT_ERROR),
        (418, Outcome.CLIENT_ERROR),
        (302, Outcome.UNEXPECTED_RESPONSE),
        (304, Outcome.UNEXPECTED_RESPONSE),
        (200, Outcome.UNEXPECTED_RESPONSE),
        (204, Outcome.UNEXPECTED_RESPONSE),
        (101, Outcome.UNEXPECTED_RESPONSE),
    ],
)
def test_classify_status(code: int, outcome: Outcome) -> None:
    assert classify_status(code) is outcome


# --- real exceptions -----------------------------------------------------------


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound but not listening: connecting is refused, and nobody can take it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[RawHandler], Awaitable[int]]]:
    servers: list[asyncio.Server] = []

    async def start(handler: RawHandler) -> int:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def _failure_of(
    url: str, *, read_timeout: float = 2.0, headers: dict[str, str] | None = None
) -> BaseException:
    with pytest.raises(httpx.HTTPError) as info:
        async with httpx.AsyncClient(timeout=read_timeout, trust_env=False) as client:
            await client.get(url, headers=headers)
    return info.value


async def test_refused_connection_is_connect_error(closed_port: int) -> None:
    exc = await _failure_of(f"http://127.0.0.1:{closed_port}/")
    assert classify_exception(exc, response_started=False) is Outcome.CONNECT_ERROR
    assert describe_exception(exc) == "Connection refused"
    assert is_expected_failure(exc)


async def test_unresolvable_host_is_dns_error() -> None:
    exc = await _failure_of("http://nonexistent.invalid/")
    assert classify_exception(exc, response_started=False) is Outcome.DNS_ERROR


async def test_gaierror_itself_is_dns_error() -> None:
    loop = asyncio.get_running_loop()
    with pytest.raises(socket.gaierror) as info:
        await loop.getaddrinfo("nonexistent.invalid", 80)
    assert classify_exception(info.value, response_started=False) is Outcome.DNS_ERROR


async def test_untrusted_certificate_is_tls_error() -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=server_ctx)
    try:
        port = server.sockets[0].getsockname()[1]
        exc = await _failure_of(f"https://127.0.0.1:{port}/")  # certifi roots only
    finally:
        server.close()
        await server.wait_closed()
    assert classify_exception(exc, response_started=False) is Outcome.TLS_ERROR
    assert "certificate" in describe_exception(exc)


async def test_silent_server_is_timeout_before_and_after_response_start(
    raw_server: Callable[[RawHandler], Awaitable[int]],
) -> None:
    done = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.wait_for(done.wait(), 5)
        writer.close()

    port = await raw_server(handler)
    try:
        exc = await _failure_of(f"http://127.0.0.1:{port}/", read_timeout=0.2)
    finally:
        done.set()
    assert isinstance(exc, httpx.ReadTimeout)
    assert classify_exception(exc, response_started=False) is Outcome.TIMEOUT
    assert classify_exception(exc, response_started=True) is Outcome.TIMEOUT
    assert classify_exception(TimeoutError(), response_started=True) is Outcome.TIMEOUT


async def test_close_without_response_is_connect_error(
    raw_server: Callable[[RawHandler], Awaitable[int]],
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    port = await raw_server(handler)
    exc = await _failure_of(f"http://127.0.0.1:{port}/")
    assert isinstance(exc, httpx.RemoteProtocolError)
    assert classify_exception(exc, response_started=False) is Outcome.CONNECT_ERROR


async def test_body_cut_off_is_unexpected_response(
    raw_server: Callable[[RawHandler], Awaitable[int]],
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
        await writer.drain()
        writer.close()

    port = await raw_server(handler)
    exc = await _failure_of(f"http://127.0.0.1:{port}/")
    assert isinstance(exc, httpx.RemoteProtocolError)
    assert classify_exception(exc, response_started=True) is Outcome.UNEXPECTED_RESPONSE
    assert "received 10 bytes, expected 1000" in describe_exception(exc)


async def test_illegal_header_is_not_a_network_failure_and_is_not_quoted(
    raw_server: Callable[[RawHandler], Awaitable[int]],
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    port = await raw_server(handler)
    exc = await _failure_of(
        f"http://127.0.0.1:{port}/", headers={"Authorization": f"Bearer {PLANTED}\nX: y"}
    )
    assert isinstance(exc, httpx.LocalProtocolError)
    assert PLANTED in str(exc)  # h11 quotes the header: why messages are not used
    assert classify_exception(exc, response_started=False) is Outcome.UNEXPECTED_RESPONSE
    assert PLANTED not in describe_exception(exc)


def test_redirect_loop_is_unexpected_response() -> None:
    exc = httpx.TooManyRedirects("Exceeded maximum allowed redirects.")
    assert classify_exception(exc, response_started=False) is Outcome.UNEXPECTED_RESPONSE


@pytest.mark.parametrize("exc", [KeyError("x"), TypeError("x"), RuntimeError(PLANTED)])
def test_a_bug_is_unexpected_response(exc: Exception) -> None:
    assert not is_expected_failure(exc)
    assert classify_exception(exc, response_started=False) is Outcome.UNEXPECTED_RESPONSE
    assert internal_error_detail(exc) == f"internal error: {type(exc).__name__}"
    assert PLANTED not in describe_exception(exc)


# --- provider-described failures (classify_error) ------------------------------------


@pytest.mark.parametrize(
    ("status", "kinds", "message", "outcome"),
    [
        # Anthropic, https://docs.claude.com/en/api/errors
        (401, ("authentication_error",), "", Outcome.AUTH_ERROR),
        (403, ("permission_error",), "", Outcome.AUTH_ERROR),
        (429, ("rate_limit_error",), "", Outcome.RATE_LIMITED),
        (529, ("overloaded_error",), "Overloaded", Outcome.OVERLOADED),
        (500, ("api_error",), "", Outcome.SERVER_ERROR),
        (400, ("invalid_request_error",), "", Outcome.CLIENT_ERROR),
        (404, ("not_found_error",), "", Outcome.CLIENT_ERROR),
        (413, ("request_too_large",), "", Outcome.CLIENT_ERROR),
        (402, ("billing_error",), "", Outcome.CLIENT_ERROR),
        # OpenAI, https://platform.openai.com/docs/guides/error-codes
        (401, ("invalid_request_error", "invalid_api_key"), "", Outcome.AUTH_ERROR),
        (403, ("invalid_request_error", "unsupported_country"), "", Outcome.AUTH_ERROR),
        (429, ("requests", "rate_limit_exceeded"), "", Outcome.RATE_LIMITED),
        (429, ("insufficient_quota", "insufficient_quota"), "", Outcome.RATE_LIMITED),
        (429, ("requests",), "The engine is currently overloaded", Outcome.OVERLOADED),
        (503, ("server_error",), "That model is currently overloaded", Outcome.OVERLOADED),
        (503, ("service_unavailable_error", "server_is_overloaded"), "", Outcome.OVERLOADED),
        (500, ("server_error",), "", Outcome.SERVER_ERROR),
        (404, ("invalid_request_error", "model_not_found"), "", Outcome.CLIENT_ERROR),
        # the body refines an ambiguous status
        (400, ("rate_limit_error",), "", Outcome.RATE_LIMITED),
        (500, ("overloaded_error",), "", Outcome.OVERLOADED),
        (502, ("unknown_thing",), "", Outcome.SERVER_ERROR),
        (418, (), "", Outcome.CLIENT_ERROR),
        (301, (), "", Outcome.UNEXPECTED_RESPONSE),
        # an error event inside a stream that started with 200
        (200, ("overloaded_error",), "", Outcome.OVERLOADED),
        (200, ("rate_limit_error",), "", Outcome.RATE_LIMITED),
        (200, ("api_error",), "", Outcome.SERVER_ERROR),
        (200, ("brand_new_error",), "", Outcome.SERVER_ERROR),
        (200, (), "", Outcome.SERVER_ERROR),
        (200, ("OVERLOADED_ERROR",), "", Outcome.OVERLOADED),  # case does not matter
    ],
)
def test_classify_error(
    status: int, kinds: tuple[str, ...], message: str, outcome: Outcome
) -> None:
    assert classify_error(status, kinds, message) is outcome


def test_classify_error_agrees_with_classify_status_without_a_body() -> None:
    for code in range(300, 600):
        assert classify_error(code) is classify_status(code), code


def test_overloaded_is_a_word_in_the_message() -> None:
    assert classify_error(500, (), "the queue is not overloadedness") is Outcome.SERVER_ERROR
    assert classify_error(500, (), "Overloaded.") is Outcome.OVERLOADED
