"""The plain `http` probe: one request, judged against `expect`.

`run(config)` never raises (except `asyncio.CancelledError`): every failure is a
`ProbeResult` with an `Outcome`. Phases are disjoint, so they stack:

- `dns`: our own timed `getaddrinfo` of the URL's host before the request
  (omitted for an IP-literal host, and with `reuse_connections`, where a
  kept-alive connection resolves nothing). The connect goes to the addresses
  found (network.py); a redirect to another host is looked up inside `connect`.
- `connect`: the `connect_tcp` step (TCP handshake), summed over redirects.
- `tls`: the `start_tls` step (full handshake: no session resumption).
- `ttfb`: request headers sent -> response headers received (summed over
  redirects): the server's think time plus one round trip.
- `transfer`: reading the final response body, up to `MAX_BODY_BYTES`.

A phase that did not happen is omitted. Each run opens a new connection unless
`reuse_connections` (clients.py): without it, a run's requests go through a
transport of their own without a pool (single_use.py). The `detail` of a result never holds header
values, tokens, the URL (query string, userinfo) or the response body.

Body expectations: `expect.body_contains` is looked for in the whole kept body
(up to `MAX_BODY_BYTES`, 1 MiB); `expect.body_regex` only sees its first
`MAX_REGEX_BYTES` (64 KiB). Matching runs in a thread of its own (offload.py)
within the probe's timeout, and a regex's cost grows with the text it scans (far
worse than linearly when it backtracks), so the window is kept small; an end
anchor such as `$` then means the end of that window, not of the body.
`expect.body_json` parses the kept body as JSON and checks dotted paths (jsonpath.py).

A response whose status fails the probe is classified by `outcome.classify_error`:
the head of its body (64 KiB, read for at most a second) may be a provider's
error JSON that names the reason (`{"error": {"code": "server_is_overloaded"}}`
on a 503 is `overloaded`); otherwise the status alone decides.

Credentials stay with the configured origin: when a redirect leads to another
origin (scheme, host or port differ from the configured URL's), that request
carries neither `Authorization` (bearer token, basic auth) nor the configured
`headers`, except the few that describe the request rather than authorize it
(`_CROSS_ORIGIN_SAFE`). httpx itself only drops `Authorization`, and keeps it
on an http -> https upgrade of the same host.

The client ignores proxy and .netrc settings from the environment
(`trust_env=False`): a probe measures the direct path from this vantage point.
"""

from __future__ import annotations

import asyncio
import functools
import json
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from exporter.config import Expect, HttpProbeConfig
from exporter.models import Outcome, ProbeResult
from exporter.offload import check_off_loop
from exporter.probes.body_regex import TIMEOUT as REGEX_TIMEOUT
from exporter.probes.body_regex import RegexTimedOut, body_matches
from exporter.probes.clients import ProbeClients, lease, new_client
from exporter.probes.exchange import (
    MAX_BODY_BYTES,
    USER_AGENT,
    read_body,
    read_error_body,
    request_id,
    resolve,
)
from exporter.probes.jsonpath import json_problem
from exporter.probes.llm_errors import ProviderError, parse_error
from exporter.probes.network import AsyncioBackend
from exporter.probes.outcome import classify_error, classify_status, describe_exception
from exporter.probes.results import failure, result
from exporter.probes.single_use import transport
from exporter.probes.tls import ssl_context
from exporter.probes.trace import Trace

__all__ = ["MAX_BODY_BYTES", "MAX_REGEX_BYTES", "USER_AGENT", "run", "ssl_context"]

MAX_REGEX_BYTES = 64 * 1024  # the head of the kept body that expect.body_regex sees
# Configured headers a cross-origin redirect may still carry: the Fetch standard's
# CORS-safelisted request headers, plus User-Agent. They say what the request is and
# what it accepts (a 307/308 resends the body, which still needs its Content-Type);
# none of them authorizes anything. Every other configured header is dropped.
_CROSS_ORIGIN_SAFE = frozenset(
    {"accept", "accept-language", "content-language", "content-type", "user-agent"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


async def run(config: HttpProbeConfig, clients: ProbeClients | None = None) -> ProbeResult:
    """Probe `config.url` once; the result says what happened, it never raises.

    `clients` keeps the pooled client of a probe with `reuse_connections`; without
    it every run has a client of its own.
    """
    started = time.perf_counter()
    trace = Trace()
    try:
        context = ssl_context(config.tls)
    except OSError as exc:  # ssl.SSLError is an OSError
        detail = f"cannot load tls.ca_file: {describe_exception(exc)}"
        return result(config, trace, started, Outcome.TLS_ERROR, detail)
    try:
        headers = _headers(config)
    except ValueError as exc:  # e.g. a non-ASCII header value
        detail = f"cannot build the request: {type(exc).__name__} in a header"
        return result(config, trace, started, Outcome.UNEXPECTED_RESPONSE, detail)
    try:
        async with asyncio.timeout(config.effective_timeout):
            exchange = await _exchange(config, clients, context, headers, trace)
            if config.expect.body_regex is None:
                return _judge(config, trace, started, exchange)
            # A regex may backtrack for seconds: off the loop, within the probe's timeout.
            return await check_off_loop(_judge, config, trace, started, exchange)
    except Exception as exc:  # CancelledError is a BaseException: it propagates
        return failure(config, trace, started, exc)


# --- the exchange ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Exchange:
    status: int
    body: bytes | None  # None when not read (the status already failed the probe)
    encoding: str = "utf-8"
    error: ProviderError | None = None  # what a failed response's body said


async def _exchange(
    config: HttpProbeConfig,
    clients: ProbeClients | None,
    context: ssl.SSLContext,
    headers: httpx.Headers,
    trace: Trace,
) -> _Exchange:
    url = parsed_url(config.url)
    backend = AsyncioBackend()
    if not config.reuse_connections:
        await resolve(url, trace, backend)

    def make(limits: httpx.Limits | None) -> httpx.AsyncClient:
        return _client(config, transport(context, limits, backend))

    async with lease(clients, config, make) as held:
        try:
            request = held.client.build_request(
                config.method,
                url,
                headers=headers,
                content=config.body.encode("utf-8") if config.body is not None else None,
                extensions={"trace": trace},
            )
            response = await held.client.send(request, stream=True)
            try:
                return await _receive(config, response, trace)
            finally:
                await response.aclose()
        finally:
            held.remember(trace)


def _client(config: HttpProbeConfig, transport: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
    auth = None
    if config.basic_auth is not None:
        auth = httpx.BasicAuth(config.basic_auth.username, config.basic_auth.password_value())
    return new_client(
        transport,
        follow_redirects=config.follow_redirects,
        auth=auth,
        request_hook=_credential_guard(config),
    )


def _credential_guard(config: HttpProbeConfig) -> Callable[[httpx.Request], Awaitable[None]]:
    """A request hook that keeps credentials from leaving the configured origin.

    httpx runs request hooks on every request it sends, redirects included, after
    it has built the redirected request (copying the previous request's headers,
    minus `Authorization` when the origin changes, except on an http -> https
    upgrade of the same host). A hook is the smallest correct seam: the request
    is still ours to edit, and redirect handling (limits, method rewriting, the
    trace extension) stays httpx's. A header once dropped stays dropped, since
    each redirect copies the previous request's headers.
    """
    origin = _origin(parsed_url(config.url))
    dropped = {"authorization"} | {
        name.lower() for name in config.headers if name.lower() not in _CROSS_ORIGIN_SAFE
    }

    async def guard(request: httpx.Request) -> None:
        if _origin(request.url) != origin:
            for name in dropped:
                request.headers.pop(name, None)

    return guard


@functools.lru_cache(maxsize=16384)
def parsed_url(url: str) -> httpx.URL:
    """A probe's URL, parsed once rather than twice per run (httpx.URL is immutable)."""
    return httpx.URL(url)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port), the port made explicit: http://h/ is http://h:80/."""
    port = url.port if url.port is not None else _DEFAULT_PORTS.get(url.scheme)
    return url.scheme, url.host, port


def _headers(config: HttpProbeConfig) -> httpx.Headers:
    """The request headers; secrets are revealed only here, into the request."""
    headers = httpx.Headers(
        {name: value.get_secret_value() for name, value in config.headers.items()}
    )
    if "user-agent" not in headers:
        headers["User-Agent"] = USER_AGENT
    token = config.bearer_token or config.bearer_token_file
    if token is not None:
        headers["Authorization"] = f"Bearer {token.get_secret_value()}"
    return headers


async def _receive(config: HttpProbeConfig, response: httpx.Response, trace: Trace) -> _Exchange:
    trace.response_started = True
    trace.last_status = response.status_code
    trace.request_id = request_id(response.headers)
    if not config.expect.status_ok(response.status_code):
        return _Exchange(response.status_code, None, error=await _error(response, trace))
    body = await read_body(response, trace)
    if not _checks_body(config.expect):  # the charset (a Content-Type parse) is not needed
        return _Exchange(response.status_code, body)
    return _Exchange(response.status_code, body, response.charset_encoding or "utf-8")


async def _error(response: httpx.Response, trace: Trace) -> ProviderError | None:
    """The provider error a failed response's body describes, if it is one."""
    if response.status_code < 400 or response.request.method == "HEAD":
        return None
    body = await read_error_body(response, trace)
    try:
        error = parse_error(json.loads(body.decode("utf-8", errors="replace")))
    except (ValueError, RecursionError):
        return None
    if error is not None and not trace.request_id:
        trace.request_id = error.request_id
    return error


# --- results -----------------------------------------------------------------


def _judge(
    config: HttpProbeConfig, trace: Trace, started: float, exchange: _Exchange
) -> ProbeResult:
    status = exchange.status
    if exchange.body is None:
        detail = f"HTTP {status}, expected {_expected_status(config.expect)}"
        error = exchange.error
        if error is None:
            return result(config, trace, started, classify_status(status), detail)
        outcome = classify_error(status, error.kinds, error.message)
        return result(config, trace, started, outcome, f"{detail} ({error.label})")
    problem = _body_problem(config.expect, exchange.body, exchange.encoding)
    if problem:
        detail = f"HTTP {status}: {problem}"
        return result(config, trace, started, Outcome.UNEXPECTED_RESPONSE, detail)
    return result(config, trace, started, Outcome.SUCCESS, f"HTTP {status}")


def _expected_status(expect: Expect) -> str:
    if not expect.status_codes:
        return "2xx"
    return "one of " + ", ".join(str(code) for code in expect.status_codes)


def _body_problem(expect: Expect, body: bytes, encoding: str) -> str:
    """Which body expectation failed, without quoting the body; "" when none."""
    if not _checks_body(expect):
        return ""
    if expect.body_contains is not None and expect.body_contains not in _decode(body, encoding):
        return "body does not contain expect.body_contains"
    if expect.body_regex is not None:
        # A multi-byte character cut at the window's edge decodes to U+FFFD: harmless.
        head = _decode(body[:MAX_REGEX_BYTES], encoding)
        try:
            if not body_matches(expect.body_regex, head):
                return "body does not match expect.body_regex"
        except RegexTimedOut:
            return f"expect.body_regex did not finish within {REGEX_TIMEOUT:g}s"
    return json_problem(expect.body_json, _decode(body, encoding))


def _checks_body(expect: Expect) -> bool:
    return (
        expect.body_contains is not None or expect.body_regex is not None or bool(expect.body_json)
    )


def _decode(body: bytes, encoding: str) -> str:
    try:
        return body.decode(encoding, errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")
