"""The `http` probe against real servers on loopback (aiohttp and raw asyncio sockets).

Every outcome is produced by a real server misbehaving in the matching way; TLS
uses a throwaway `trustme` CA. Nothing here reaches the internet.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import logging
import os
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from aiohttp import web
from aiohttp.test_utils import TestServer

from exporter import __version__
from exporter.config import HttpProbeConfig
from exporter.models import PHASES, Outcome, ProbeResult
from exporter.probes import RUNNERS, ProbeClients, run_probe
from exporter.probes import http as http_probe

PLANTED = "sk-test-PLANTED-0123456789"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def probe(url: str, **fields: Any) -> HttpProbeConfig:
    raw: dict[str, Any] = {
        "name": "test",
        "type": "http",
        "url": url,
        "interval": "5s",
        "timeout": "2s",
    }
    return HttpProbeConfig.model_validate(raw | fields)


def phases(result: ProbeResult) -> dict[str, float]:
    return dict(result.phases)


class Servers:
    """Starts loopback servers for one test and stops them all afterwards."""

    def __init__(self) -> None:
        self.release = asyncio.Event()  # set at teardown: hanging handlers return
        self.seen: list[dict[str, str]] = []  # request headers, in arrival order
        self.raw_seen: list[bytes] = []
        self._servers: list[TestServer] = []
        self._raw: list[asyncio.Server] = []

    async def http(self, handler: Handler, *, ssl_context: ssl.SSLContext | None = None) -> str:
        async def recording(request: web.Request) -> web.StreamResponse:
            self.seen.append(dict(request.headers))
            return await handler(request)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", recording)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server(ssl=ssl_context)
        self._servers.append(server)
        return str(server.make_url("/probe"))

    async def raw(self, handler: RawHandler) -> str:
        async def recording(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
                writer.close()
                return
            self.raw_seen.append(head)
            await handler(reader, writer)

        server = await asyncio.start_server(recording, "127.0.0.1", 0)
        self._raw.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/probe"

    async def hold(self, limit: float = 10.0) -> None:
        """Wait until teardown (bounded)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.release.wait(), limit)

    async def close(self) -> None:
        self.release.set()
        for server in self._servers:
            await server.close()
        for raw in self._raw:
            raw.close()
            await raw.wait_closed()


@pytest.fixture
async def servers() -> AsyncIterator[Servers]:
    s = Servers()
    yield s
    await s.close()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """Bound but not listening: connections are refused and the port stays ours."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def respond(status: int = 200, body: str = "ok", headers: dict[str, str] | None = None) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, text=body, headers=headers)

    return handler


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with SO_LINGER 0: the peer gets a TCP RST, not a FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


# --- success and phases -----------------------------------------------------------


async def test_success_has_dns_connect_ttfb_transfer(servers: Servers) -> None:
    url = await servers.http(respond(200, '{"ok": true}'))
    result = await http_probe.run(probe(url.replace("127.0.0.1", "localhost")))
    assert result.outcome is Outcome.SUCCESS, result.detail
    assert result.status_code == 200
    assert result.request_id == ""
    got = phases(result)
    assert set(got) == {"dns", "connect", "ttfb", "transfer"}  # no tls on http://
    assert [p for p, _ in result.phases] == [p for p in PHASES if p in got]  # PHASES order
    assert all(0 <= seconds <= result.duration for seconds in got.values())
    assert sum(got.values()) <= result.duration
    assert result.tls_not_after is None


async def test_ip_literal_host_has_no_dns_phase(servers: Servers) -> None:
    url = await servers.http(respond())
    result = await http_probe.run(probe(url))
    assert result.outcome is Outcome.SUCCESS
    assert "dns" not in phases(result)
    assert {"connect", "ttfb", "transfer"} <= set(phases(result))


async def test_request_carries_method_body_and_user_agent(servers: Servers) -> None:
    received: list[tuple[str, str]] = []

    async def echo(request: web.Request) -> web.StreamResponse:
        received.append((request.method, await request.text()))
        return web.Response(text="created", status=201)

    url = await servers.http(echo)
    result = await http_probe.run(probe(url, method="POST", body='{"q": 1}'))
    assert result.outcome is Outcome.SUCCESS
    assert received == [("POST", '{"q": 1}')]
    assert servers.seen[0]["User-Agent"] == f"statusprobe/{__version__}"

    result = await http_probe.run(probe(url, method="POST", headers={"user-agent": "mine/1"}))
    assert servers.seen[1]["User-Agent"] == "mine/1"


async def test_only_the_encodings_the_bounded_decoder_reads_are_offered(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever httpx could decode (brotli, zstd when installed), probes ask for gzip and
    deflate only: probes/body.py decodes those with a bound, and refuses the rest."""
    # What httpx offers by default where brotli and zstandard are installed.
    monkeypatch.setattr(httpx._client, "ACCEPT_ENCODING", "gzip, deflate, br, zstd")
    url = await servers.http(respond())
    assert (await http_probe.run(probe(url))).outcome is Outcome.SUCCESS
    assert servers.seen[0]["Accept-Encoding"] == "gzip, deflate"


async def test_basic_auth_is_sent(servers: Servers) -> None:
    url = await servers.http(respond())
    auth = {"username": "alice", "password": "s3cret-pass"}
    result = await http_probe.run(probe(url, basic_auth=auth))
    assert result.outcome is Outcome.SUCCESS
    expected = base64.b64encode(b"alice:s3cret-pass").decode()
    assert servers.seen[0]["Authorization"] == f"Basic {expected}"


@pytest.mark.parametrize(
    ("status", "codes", "outcome"),
    [
        (404, [404], Outcome.SUCCESS),
        (204, [200, 204], Outcome.SUCCESS),
        (200, [201], Outcome.UNEXPECTED_RESPONSE),
        (500, [200, 500], Outcome.SUCCESS),
    ],
)
async def test_expected_status_list(
    servers: Servers, status: int, codes: list[int], outcome: Outcome
) -> None:
    url = await servers.http(respond(status, "" if status == 204 else "x"))
    result = await http_probe.run(probe(url, expect={"status_codes": codes}))
    assert result.outcome is outcome, result.detail
    assert result.status_code == status


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (401, Outcome.AUTH_ERROR),
        (403, Outcome.AUTH_ERROR),
        (429, Outcome.RATE_LIMITED),
        (529, Outcome.OVERLOADED),
        (503, Outcome.SERVER_ERROR),
        (500, Outcome.SERVER_ERROR),
        (404, Outcome.CLIENT_ERROR),
    ],
)
async def test_status_outcomes(servers: Servers, status: int, outcome: Outcome) -> None:
    url = await servers.http(respond(status, "nope"))
    result = await http_probe.run(probe(url))
    assert result.outcome is outcome
    assert result.status_code == status
    assert result.detail == f"HTTP {status}, expected 2xx"
    assert "ttfb" in phases(result)


async def test_request_id_of_a_failure(servers: Servers) -> None:
    url = await servers.http(respond(500, "boom", {"request-id": "req_0123abc"}))
    result = await http_probe.run(probe(url))
    assert result.outcome is Outcome.SERVER_ERROR
    assert result.request_id == "req_0123abc"

    url = await servers.http(respond(429, "slow down", {"x-request-id": "xr-42"}))
    assert (await http_probe.run(probe(url))).request_id == "xr-42"


async def test_redirects(servers: Servers) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path == "/probe":
            raise web.HTTPFound("/final")
        return web.Response(text="landed")

    url = await servers.http(handler)
    followed = await http_probe.run(probe(url, expect={"body_contains": "landed"}))
    assert followed.outcome is Outcome.SUCCESS
    assert followed.status_code == 200
    not_followed = await http_probe.run(probe(url, follow_redirects=False))
    assert not_followed.outcome is Outcome.UNEXPECTED_RESPONSE
    assert not_followed.status_code == 302


# --- body expectations --------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expect", "outcome", "detail"),
    [
        ('{"status": "ok"}', {"body_contains": '"ok"'}, Outcome.SUCCESS, ""),
        ("all fine", {"body_contains": "healthy"}, Outcome.UNEXPECTED_RESPONSE, "contain"),
        ('{"id": 7}', {"body_regex": r'"id":\s*\d+'}, Outcome.SUCCESS, ""),
        ("id: seven", {"body_regex": r'"id":\s*\d+'}, Outcome.UNEXPECTED_RESPONSE, "match"),
        # A CDN or captive portal answering 200 with an HTML page.
        (
            "<html><body>Just a moment...</body></html>",
            {"body_regex": r"^\s*[{\[]"},
            Outcome.UNEXPECTED_RESPONSE,
            "match",
        ),
    ],
)
async def test_body_expectations(
    servers: Servers, body: str, expect: dict[str, str], outcome: Outcome, detail: str
) -> None:
    url = await servers.http(respond(200, body))
    result = await http_probe.run(probe(url, expect=expect))
    assert result.outcome is outcome
    assert detail in result.detail
    assert body not in result.detail  # says which expectation failed, never the body


async def test_body_is_capped_for_matching(servers: Servers) -> None:
    big = "a" * (http_probe.MAX_BODY_BYTES + 10) + "TAIL"
    url = await servers.http(respond(200, "HEAD" + big))
    head = await http_probe.run(probe(url, expect={"body_contains": "HEAD"}))
    assert head.outcome is Outcome.SUCCESS
    tail = await http_probe.run(probe(url, expect={"body_contains": "TAIL"}))
    assert tail.outcome is Outcome.UNEXPECTED_RESPONSE  # beyond the cap: not kept


async def test_body_regex_sees_only_the_first_64_kib(servers: Servers) -> None:
    window = http_probe.MAX_REGEX_BYTES
    assert window == 64 * 1024
    inside = "a" * (window - len("NEEDLE")) + "NEEDLE" + "b" * 100
    beyond = "a" * window + "NEEDLE"
    inside_url = await servers.http(respond(200, inside))
    beyond_url = await servers.http(respond(200, beyond))

    found = await http_probe.run(probe(inside_url, expect={"body_regex": "NEEDLE"}))
    assert found.outcome is Outcome.SUCCESS, found.detail  # ends exactly at the edge
    missed = await http_probe.run(probe(beyond_url, expect={"body_regex": "NEEDLE"}))
    assert missed.outcome is Outcome.UNEXPECTED_RESPONSE
    assert "does not match expect.body_regex" in missed.detail
    # body_contains still searches the whole kept body.
    contains = await http_probe.run(probe(beyond_url, expect={"body_contains": "NEEDLE"}))
    assert contains.outcome is Outcome.SUCCESS, contains.detail
    both = {"body_contains": "NEEDLE", "body_regex": "^a+$"}  # `$`: the window's end
    assert (await http_probe.run(probe(beyond_url, expect=both))).outcome is Outcome.SUCCESS


# --- timeouts ---------------------------------------------------------------------


async def test_hang_is_timeout(servers: Servers) -> None:
    async def hang(request: web.Request) -> web.StreamResponse:
        await servers.hold()
        return web.Response(text="late")

    url = await servers.http(hang)
    result = await http_probe.run(probe(url, timeout="500ms"))
    assert result.outcome is Outcome.TIMEOUT
    assert 0.4 <= result.duration < 1.5
    assert "waiting for response headers" in result.detail
    assert result.status_code == 0
    assert "connect" in phases(result)
    assert "ttfb" not in phases(result)


async def test_endless_drip_is_timeout_at_the_deadline(servers: Servers) -> None:
    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(400):  # 20 s at most; the probe gives up after 1 s
            if servers.release.is_set():
                break
            try:
                await response.write(b"x")
            except ConnectionError:
                break
            await asyncio.sleep(0.05)
        return response

    url = await servers.http(drip)
    result = await http_probe.run(probe(url, timeout="1s"))
    assert result.outcome is Outcome.TIMEOUT
    assert 0.9 <= result.duration < 2.0
    assert result.status_code == 200
    assert "reading the body" in result.detail


# --- connection failures ------------------------------------------------------------


async def test_closed_port_is_connect_error(closed_port: int) -> None:
    result = await http_probe.run(probe(f"http://127.0.0.1:{closed_port}/"))
    assert result.outcome is Outcome.CONNECT_ERROR
    assert "Connection refused" in result.detail
    assert result.status_code == 0
    assert "connect" not in phases(result)  # it did not complete


async def test_unresolvable_host_is_dns_error() -> None:
    result = await http_probe.run(probe("http://nonexistent.invalid/health"))
    assert result.outcome is Outcome.DNS_ERROR
    assert "cannot resolve nonexistent.invalid" in result.detail
    assert result.phases == ()


async def test_reset_before_response_is_connect_error(servers: Servers) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        reset(writer)

    url = await servers.raw(handler)
    result = await http_probe.run(probe(url))
    assert result.outcome is Outcome.CONNECT_ERROR, result.detail
    assert result.status_code == 0


async def test_close_in_aiohttp_handler_is_connect_error(servers: Servers) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        await servers.hold(1.0)
        return web.Response(text="never sent")

    url = await servers.http(handler)
    result = await http_probe.run(probe(url))
    assert result.outcome is Outcome.CONNECT_ERROR, result.detail


async def test_body_cut_off_is_unexpected_response(servers: Servers) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nrequest-id: req_cut\r\n\r\n")
        writer.write(b"partial body")
        await writer.drain()
        writer.close()

    url = await servers.raw(handler)
    result = await http_probe.run(probe(url))
    assert result.outcome is Outcome.UNEXPECTED_RESPONSE
    assert result.status_code == 200
    assert result.request_id == "req_cut"
    assert "response body broken" in result.detail
    assert "partial body" not in result.detail


# --- TLS -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


NOT_AFTER = dt.datetime(2031, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def server_ssl(ca: trustme.CA, *, not_after: dt.datetime = NOT_AFTER) -> ssl.SSLContext:
    cert = ca.issue_cert(
        "127.0.0.1",
        "localhost",
        not_before=min(not_after, dt.datetime.now(dt.UTC)) - dt.timedelta(days=30),
        not_after=not_after,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context


async def test_tls_with_ca_file(servers: Servers, ca: trustme.CA, ca_file: str) -> None:
    url = await servers.http(respond(), ssl_context=server_ssl(ca))
    assert url.startswith("https://")
    result = await http_probe.run(probe(url, tls={"ca_file": ca_file}))
    assert result.outcome is Outcome.SUCCESS, result.detail
    assert {"connect", "tls", "ttfb", "transfer"} <= set(phases(result))
    assert result.tls_not_after == pytest.approx(NOT_AFTER.timestamp(), abs=1)


async def test_tls_without_the_ca_is_tls_error(servers: Servers, ca: trustme.CA) -> None:
    url = await servers.http(respond(), ssl_context=server_ssl(ca))
    result = await http_probe.run(probe(url))
    assert result.outcome is Outcome.TLS_ERROR
    assert "certificate" in result.detail
    assert "tls" not in phases(result)


async def test_tls_insecure_skip_verify(servers: Servers, ca: trustme.CA) -> None:
    url = await servers.http(respond(), ssl_context=server_ssl(ca))
    result = await http_probe.run(probe(url, tls={"insecure_skip_verify": True}))
    assert result.outcome is Outcome.SUCCESS
    assert "tls" in phases(result)
    assert result.tls_not_after is None  # unverified: the peer cert is not parsed


async def test_expired_certificate_is_tls_error(
    servers: Servers, ca: trustme.CA, ca_file: str
) -> None:
    expired = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    url = await servers.http(respond(), ssl_context=server_ssl(ca, not_after=expired))
    result = await http_probe.run(probe(url, tls={"ca_file": ca_file}))
    assert result.outcome is Outcome.TLS_ERROR
    assert "expired" in result.detail


@pytest.fixture
def bad_ca_file(tmp_path: Path) -> str:
    path = tmp_path / "bad-ca.pem"
    path.write_text("not a certificate")
    return str(path)


async def test_invalid_ca_file_is_tls_error(bad_ca_file: str) -> None:
    config = probe("https://127.0.0.1:1/", tls={"ca_file": bad_ca_file})
    result = await http_probe.run(config)
    assert result.outcome is Outcome.TLS_ERROR
    assert "cannot load tls.ca_file" in result.detail


def test_ssl_context_is_cached_per_tls_config(ca_file: str) -> None:
    verify = probe("https://x.test/", tls={"ca_file": ca_file}).tls
    again = probe("https://y.test/", tls={"ca_file": ca_file}).tls
    default = probe("https://x.test/").tls
    insecure = probe("https://x.test/", tls={"insecure_skip_verify": True}).tls
    assert http_probe.ssl_context(verify) is http_probe.ssl_context(again)
    assert http_probe.ssl_context(default) is http_probe.ssl_context(default)
    contexts = {id(http_probe.ssl_context(t)) for t in (verify, default, insecure)}
    assert len(contexts) == 3
    assert http_probe.ssl_context(insecure).verify_mode is ssl.CERT_NONE
    # A rotated CA file (new mtime) gets a new context, built once again.
    before = http_probe.ssl_context(verify)
    stat = os.stat(ca_file)
    os.utime(ca_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    after = http_probe.ssl_context(verify)
    assert after is not before
    assert http_probe.ssl_context(again) is after


# --- secrets ---------------------------------------------------------------------


async def _echo_secret(request: web.Request) -> web.StreamResponse:
    authorization = request.headers.get("Authorization", "")
    return web.Response(
        status=500,
        text=f"you sent {authorization}",
        headers={"request-id": authorization, "x-debug": authorization},
    )


async def _start(kind: str, servers: Servers) -> str:
    if kind == "401":
        return await servers.http(respond(401, "unauthorized"))
    if kind == "500":
        return await servers.http(respond(500, "boom", {"request-id": "req_1"}))
    if kind == "hang":

        async def hang(request: web.Request) -> web.StreamResponse:
            await servers.hold()
            return web.Response()

        return await servers.http(hang)

    async def rst(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        reset(writer)

    return await servers.raw(rst)


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [
        ("401", Outcome.AUTH_ERROR),
        ("500", Outcome.SERVER_ERROR),
        ("hang", Outcome.TIMEOUT),
        ("reset", Outcome.CONNECT_ERROR),
    ],
)
async def test_secrets_never_leak(
    servers: Servers, caplog: pytest.LogCaptureFixture, kind: str, outcome: Outcome
) -> None:
    caplog.set_level(logging.DEBUG)
    url = await _start(kind, servers)
    config = probe(
        url + "?page=1",
        timeout="500ms",
        bearer_token=PLANTED,
        headers={"X-Api-Key": f"{PLANTED}-header"},
    )
    result = await run_probe(config)
    assert result.outcome is outcome

    # The server really got the secrets, so this test can fail.
    if kind == "reset":
        head = servers.raw_seen[0].decode()
        assert f"Authorization: Bearer {PLANTED}" in head
        assert f"X-Api-Key: {PLANTED}-header" in head
    else:
        assert servers.seen[0]["Authorization"] == f"Bearer {PLANTED}"
        assert servers.seen[0]["X-Api-Key"] == f"{PLANTED}-header"

    assert PLANTED not in repr(result)
    assert "page=1" not in repr(result)
    assert PLANTED not in repr(config)
    assert caplog.records, "DEBUG capture is on: httpx/httpcore should have logged"
    assert PLANTED not in caplog.text
    assert all(PLANTED not in record.getMessage() for record in caplog.records)


async def test_secrets_echoed_by_the_server_are_redacted_from_the_result(
    servers: Servers,
) -> None:
    # httpcore's own DEBUG log quotes response headers as received; in the
    # exporter, exporter.logs' redacting filter covers that. The result itself
    # must never carry the echo.
    url = await servers.http(_echo_secret)
    config = probe(url, bearer_token=PLANTED)
    result = await http_probe.run(config)
    assert result.outcome is Outcome.SERVER_ERROR
    assert servers.seen[0]["Authorization"] == f"Bearer {PLANTED}"
    assert result.request_id == "Bearer <redacted>"
    assert PLANTED not in repr(result)


def _redirecting_to(target: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(target)

    return handler


SECRET_HEADERS = {
    "X-Api-Key": f"{PLANTED}-header",
    "X-Tenant": "acme-internal",
    "Accept": "application/json",
}


@pytest.mark.parametrize("auth", ["bearer", "basic"])
@pytest.mark.parametrize("differs", ["port", "host"])
async def test_cross_origin_redirect_drops_credentials_and_headers(
    servers: Servers, auth: str, differs: str
) -> None:
    if differs == "port":  # A redirects to B, another server on 127.0.0.1
        url = await servers.http(_redirecting_to(await servers.http(respond(200, "landed"))))
    else:  # same port, another host: A redirects to itself under the name localhost

        async def handler(request: web.Request) -> web.StreamResponse:
            if request.host.startswith("127.0.0.1"):
                raise web.HTTPFound(f"http://localhost:{request.url.port}/landed")
            return web.Response(text="landed")

        url = await servers.http(handler)
    credentials: dict[str, Any] = (
        {"bearer_token": PLANTED}
        if auth == "bearer"
        else {"basic_auth": {"username": "alice", "password": PLANTED}}
    )
    config = probe(url, headers=SECRET_HEADERS, expect={"body_contains": "landed"}, **credentials)
    result = await http_probe.run(config)
    assert result.outcome is Outcome.SUCCESS, result.detail

    first, redirected = servers.seen[-2:]
    # A, the configured origin, got everything, so this test can fail.
    assert first["X-Api-Key"] == f"{PLANTED}-header"
    assert first["X-Tenant"] == "acme-internal"
    assert "Authorization" in first
    # B, another origin, got none of it; headers that authorize nothing stay.
    assert "Authorization" not in redirected
    assert "X-Api-Key" not in redirected
    assert "X-Tenant" not in redirected
    assert PLANTED not in repr(redirected)
    assert redirected["Accept"] == "application/json"
    assert redirected["User-Agent"] == f"statusprobe/{__version__}"


async def test_same_origin_redirect_keeps_credentials_and_headers(servers: Servers) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path == "/probe":
            raise web.HTTPFound("/final")
        return web.Response(text="landed")

    url = await servers.http(handler)
    config = probe(url, headers=SECRET_HEADERS, bearer_token=PLANTED)
    result = await http_probe.run(config)
    assert result.outcome is Outcome.SUCCESS, result.detail
    assert len(servers.seen) == 2
    for seen in servers.seen:
        assert seen["X-Api-Key"] == f"{PLANTED}-header"
        assert seen["X-Tenant"] == "acme-internal"
        assert seen["Authorization"] == f"Bearer {PLANTED}"


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("https://api.example.test/v1/x", True),  # same origin, another path
        ("https://api.example.test:443/", True),  # the default port, spelled out
        ("https://API.example.test/", True),  # hosts compare case-insensitively
        ("http://api.example.test/", False),  # the scheme differs
        ("https://api.example.test:8443/", False),  # the port differs
        ("https://other.example.test/", False),  # the host differs
    ],
)
async def test_credential_guard_compares_origins(target: str, kept: bool) -> None:
    # http -> https of one host (ports 80 and 443) cannot be served on loopback
    # without privileges; httpx keeps Authorization there, the guard does not.
    config = probe("https://api.example.test/health", headers=SECRET_HEADERS, bearer_token=PLANTED)
    guard = http_probe._credential_guard(config)
    request = httpx.Request("GET", target, headers=http_probe._headers(config))
    await guard(request)
    assert ("X-Api-Key" in request.headers) is kept
    assert ("X-Tenant" in request.headers) is kept
    assert ("Authorization" in request.headers) is kept
    assert request.headers["Accept"] == "application/json"


# --- the registry and its backstop --------------------------------------------------


def test_registry_has_http() -> None:
    assert RUNNERS["http"] is http_probe.run


async def test_run_probe_dispatches(servers: Servers) -> None:
    url = await servers.http(respond())
    assert (await run_probe(probe(url))).outcome is Outcome.SUCCESS


async def test_backstop_turns_an_overrun_into_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    async def stuck(config: HttpProbeConfig, clients: object) -> ProbeResult:
        await asyncio.sleep(30)
        raise AssertionError("not reached")

    monkeypatch.setitem(RUNNERS, "http", stuck)
    result = await run_probe(probe("http://127.0.0.1:1/", timeout="200ms"))
    assert result.outcome is Outcome.TIMEOUT
    assert 1.1 <= result.duration < 2.0  # timeout + 1 s grace


async def test_backstop_turns_a_bug_into_unexpected_response(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def buggy(config: HttpProbeConfig, clients: object) -> ProbeResult:
        raise RuntimeError(f"bad state near {PLANTED}")

    caplog.set_level(logging.DEBUG)
    monkeypatch.setitem(RUNNERS, "http", buggy)
    result = await run_probe(probe("http://127.0.0.1:1/"))
    assert result.outcome is Outcome.UNEXPECTED_RESPONSE
    assert result.detail == "internal error: RuntimeError"
    assert "RuntimeError" in caplog.text
    assert PLANTED not in caplog.text


async def test_cancellation_propagates(servers: Servers) -> None:
    async def hang(request: web.Request) -> web.StreamResponse:
        await servers.hold()
        return web.Response()

    url = await servers.http(hang)
    task = asyncio.create_task(run_probe(probe(url)))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# --- expect.body_json -------------------------------------------------------------

STATUS_JSON = (
    '{"status": {"indicator": "none"}, "components": [{"name": "API"}, {"name": "Web"}],'
    ' "page": {"id": null}, "count": 2, "ok": true}'
)


@pytest.mark.parametrize(
    ("check", "outcome", "detail"),
    [
        ({"path": "status.indicator", "equals": "none"}, Outcome.SUCCESS, ""),
        (
            {"path": "status.indicator", "equals": "major"},
            Outcome.UNEXPECTED_RESPONSE,
            "expect.body_json[0]: status.indicator does not equal the expected value",
        ),
        ({"path": "components.1.name", "equals": "Web"}, Outcome.SUCCESS, ""),
        ({"path": "components.1"}, Outcome.SUCCESS, ""),  # exists, any value
        (
            {"path": "components.2.name"},
            Outcome.UNEXPECTED_RESPONSE,
            "expect.body_json[0]: components.2.name is not in the body",
        ),
        ({"path": "page.id"}, Outcome.SUCCESS, ""),  # null exists
        ({"path": "page.id", "equals": None}, Outcome.SUCCESS, ""),
        ({"path": "count", "equals": 2}, Outcome.SUCCESS, ""),
        ({"path": "count", "equals": 2.0}, Outcome.SUCCESS, ""),
        ({"path": "count", "equals": "2"}, Outcome.UNEXPECTED_RESPONSE, "does not equal"),
        ({"path": "ok", "equals": True}, Outcome.SUCCESS, ""),
        ({"path": "ok", "equals": 1}, Outcome.UNEXPECTED_RESPONSE, "does not equal"),
        ({"path": "status.indicator.deeper"}, Outcome.UNEXPECTED_RESPONSE, "not in the body"),
    ],
)
async def test_body_json(
    servers: Servers, check: dict[str, Any], outcome: Outcome, detail: str
) -> None:
    url = await servers.http(respond(200, STATUS_JSON))
    result = await http_probe.run(probe(url, expect={"body_json": [check]}))
    assert result.outcome is outcome, result.detail
    assert detail in result.detail
    assert "API" not in result.detail and "none" not in result.detail  # never the body


async def test_body_json_needs_json(servers: Servers) -> None:
    url = await servers.http(respond(200, "<html>Just a moment...</html>"))
    check = {"body_json": [{"path": "status"}]}
    result = await http_probe.run(probe(url, expect=check))
    assert result.outcome is Outcome.UNEXPECTED_RESPONSE
    assert result.detail == "HTTP 200: body is not JSON (expect.body_json)"


async def test_every_body_json_check_must_hold(servers: Servers) -> None:
    url = await servers.http(respond(200, STATUS_JSON))
    checks = [{"path": "count", "equals": 2}, {"path": "status.indicator", "equals": "minor"}]
    result = await http_probe.run(probe(url, expect={"body_json": checks}))
    assert result.outcome is Outcome.UNEXPECTED_RESPONSE
    assert "expect.body_json[1]" in result.detail


# --- the error body refines the status ---------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "outcome", "detail"),
    [
        (
            503,
            '{"error": {"message": "x", "type": "server_error", "code": "server_is_overloaded"}}',
            Outcome.OVERLOADED,
            "HTTP 503, expected 2xx (server_error/server_is_overloaded)",
        ),
        (
            400,
            '{"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}}',
            Outcome.RATE_LIMITED,
            "HTTP 400, expected 2xx (rate_limit_error)",
        ),
        (500, "Internal Server Error", Outcome.SERVER_ERROR, "HTTP 500, expected 2xx"),
        (502, '{"error": "bad gateway"}', Outcome.SERVER_ERROR, "HTTP 502, expected 2xx (error)"),
    ],
)
async def test_error_body_refines_the_outcome(
    servers: Servers, status: int, body: str, outcome: Outcome, detail: str
) -> None:
    url = await servers.http(respond(status, body))
    result = await http_probe.run(probe(url))
    assert (result.outcome, result.detail) == (outcome, detail)


async def test_request_id_from_an_anthropic_error_body(servers: Servers) -> None:
    body = '{"type": "error", "error": {"type": "overloaded_error"}, "request_id": "req_b"}'
    url = await servers.http(respond(529, body))
    result = await http_probe.run(probe(url))
    assert (result.outcome, result.request_id) == (Outcome.OVERLOADED, "req_b")


async def test_a_slow_error_body_does_not_turn_a_500_into_a_timeout(servers: Servers) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 1000\r\n\r\n{")
        await writer.drain()
        await servers.hold(5.0)
        writer.close()

    url = await servers.raw(handler)
    result = await http_probe.run(probe(url, timeout="3s"))
    assert result.outcome is Outcome.SERVER_ERROR
    assert 1.0 <= result.duration < 2.0  # exchange.ERROR_BODY_WAIT, not the timeout


# --- reuse_connections ----------------------------------------------------------------


@pytest.mark.parametrize("reuse", [False, True])
async def test_connection_reuse(servers: Servers, reuse: bool) -> None:
    peers: set[object] = set()

    async def handler(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        peers.add(request.transport.get_extra_info("peername"))
        return web.Response(text="ok")

    url = (await servers.http(handler)).replace("127.0.0.1", "localhost")
    clients = ProbeClients()
    config = probe(url, reuse_connections=reuse)
    try:
        first = await run_probe(config, clients)
        second = await run_probe(config, clients)
    finally:
        await clients.aclose()
    assert first.outcome is second.outcome is Outcome.SUCCESS
    assert "connect" in phases(first)
    if reuse:
        assert "connect" not in phases(second)
        assert "dns" not in phases(first)  # a kept connection resolves nothing: not measured
        assert len(peers) == 1
    else:
        assert {"dns", "connect"} <= set(phases(second))
        assert len(peers) == 2
