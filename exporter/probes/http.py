"""The plain `http` probe: one request on a fresh connection, judged against `expect`.

`run(config)` never raises (except `asyncio.CancelledError`): every failure is a
`ProbeResult` with an `Outcome`. Phases are disjoint, so they stack:

- `dns`: our own timed `getaddrinfo` of the URL's host before the request
  (omitted for an IP-literal host). httpcore resolves again inside its
  connect; with a caching resolver (nscd, systemd-resolved, node-local DNS)
  that second lookup is a cache hit, otherwise `connect` includes it.
- `connect`: httpcore's `connect_tcp` (TCP handshake), summed over redirects.
- `tls`: httpcore's `start_tls` (full handshake: no session resumption).
- `ttfb`: request headers sent -> response headers received (summed over
  redirects): the server's think time plus one round trip.
- `transfer`: reading the final response body, up to `MAX_BODY_BYTES`.

A phase that did not happen is omitted. The `detail` of a result never holds
header values, tokens, the URL (query string, userinfo) or the response body.

Body expectations: `expect.body_contains` is looked for in the whole kept body
(up to `MAX_BODY_BYTES`, 1 MiB); `expect.body_regex` only sees its first
`MAX_REGEX_BYTES` (64 KiB). Matching runs on the event loop, and a regex's cost
grows with the text it scans (far worse than linearly when it backtracks), so
the window is kept small; an end anchor such as `$` then means the end of
that window, not of the body.

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
import base64
import functools
import ipaddress
import logging
import os
import re
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import certifi
import httpx

from exporter import __version__
from exporter.config import Expect, HttpProbeConfig, TLSConfig
from exporter.models import PHASES, Outcome, ProbeResult
from exporter.probes.outcome import (
    classify_exception,
    classify_status,
    describe_exception,
    internal_error_detail,
    is_expected_failure,
)

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1 << 20  # kept for matching; reading stops there
MAX_REGEX_BYTES = 64 * 1024  # the head of the kept body that expect.body_regex sees
USER_AGENT = f"statusprobe/{__version__}"
_REQUEST_ID_HEADERS = ("request-id", "x-request-id")
_MAX_REQUEST_ID = 128
_MIN_REDACTED_SECRET = 4  # shorter "secrets" would shred every detail
# Configured headers a cross-origin redirect may still carry: the Fetch standard's
# CORS-safelisted request headers, plus User-Agent. They say what the request is and
# what it accepts (a 307/308 resends the body, which still needs its Content-Type);
# none of them authorizes anything. Every other configured header is dropped.
_CROSS_ORIGIN_SAFE = frozenset(
    {"accept", "accept-language", "content-language", "content-type", "user-agent"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_STEPS = {
    "connect_tcp": "connecting",
    "start_tls": "in the TLS handshake",
    "send_request_headers": "sending the request",
    "send_request_body": "sending the request",
    "receive_response_headers": "waiting for response headers",
}


async def run(config: HttpProbeConfig) -> ProbeResult:
    """Probe `config.url` once; the result says what happened, it never raises."""
    started = time.perf_counter()
    trace = _Trace()
    try:
        context = ssl_context(config.tls)
    except OSError as exc:  # ssl.SSLError is an OSError
        detail = f"cannot load tls.ca_file: {describe_exception(exc)}"
        return _result(config, trace, started, Outcome.TLS_ERROR, detail)
    try:
        headers = _headers(config)
    except ValueError as exc:  # e.g. a non-ASCII header value
        detail = f"cannot build the request: {type(exc).__name__} in a header"
        return _result(config, trace, started, Outcome.UNEXPECTED_RESPONSE, detail)
    try:
        async with asyncio.timeout(config.effective_timeout):
            exchange = await _exchange(config, context, headers, trace)
        return _judge(config, trace, started, exchange)
    except Exception as exc:  # CancelledError is a BaseException: it propagates
        return _failure(config, trace, started, exc)


# --- TLS ---------------------------------------------------------------------


def ssl_context(tls: TLSConfig) -> ssl.SSLContext:
    """The client SSL context for `tls`, built once per distinct TLS config.

    Building a context (loading the CA bundle) costs milliseconds, so contexts
    are cached; the CA file's mtime is part of the key so a rotated CA is
    picked up. Verification is on unless `insecure_skip_verify`; `ca_file`
    adds a CA to certifi's bundle (the same roots httpx uses by default).
    """
    if tls.insecure_skip_verify:
        return _cached_context(None, 0, insecure=True)
    if tls.ca_file is None:
        return _cached_context(None, 0, insecure=False)
    ca_file = str(tls.ca_file)
    return _cached_context(ca_file, os.stat(ca_file).st_mtime_ns, insecure=False)


@functools.lru_cache(maxsize=64)
def _cached_context(ca_file: str | None, stamp: int, *, insecure: bool) -> ssl.SSLContext:
    if insecure:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_file is not None:
        context.load_verify_locations(cafile=ca_file)
    return context


def _not_after(stream: object) -> float | None:
    """The peer certificate's notAfter, unix seconds; None when unverified/unknown."""
    get_extra_info = getattr(stream, "get_extra_info", None)
    ssl_object = get_extra_info("ssl_object") if callable(get_extra_info) else None
    if not isinstance(ssl_object, ssl.SSLObject | ssl.SSLSocket):
        return None
    cert = ssl_object.getpeercert()  # {} when verification is disabled
    not_after = cert.get("notAfter") if cert else None
    return float(ssl.cert_time_to_seconds(not_after)) if isinstance(not_after, str) else None


# --- tracing -----------------------------------------------------------------


class _Trace:
    """Phase timings and progress, fed by httpcore's `trace` request extension."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.step = "starting"
        self.response_started = False
        self.last_status = 0
        self.request_id = ""
        self.tls_not_after: float | None = None
        self._began: dict[str, float] = {}

    def add(self, phase: str, seconds: float) -> None:
        self.totals[phase] = self.totals.get(phase, 0.0) + max(seconds, 0.0)

    def phases(self) -> tuple[tuple[str, float], ...]:
        return tuple((phase, self.totals[phase]) for phase in PHASES if phase in self.totals)

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        # event: "<module>.<operation>.<started|complete|failed>",
        # e.g. "connection.connect_tcp.started", "http11.receive_response_headers.complete".
        operation, _, stage = event.partition(".")[2].rpartition(".")
        now = time.perf_counter()
        if stage == "started":
            self._began[operation] = now
            self.step = _STEPS.get(operation, self.step)
            return
        began = self._began.get(operation)
        if stage != "complete" or began is None:
            return
        if operation == "connect_tcp":
            self.add("connect", now - began)
        elif operation == "start_tls":
            self.add("tls", now - began)
            self.tls_not_after = _not_after(info.get("return_value"))
        elif operation == "receive_response_headers":
            sent = self._began.get("send_request_headers", began)
            self.add("ttfb", now - sent)
            self.last_status = _status_of(info.get("return_value"))


def _status_of(value: object) -> int:
    # return_value of receive_response_headers: (http_version, status, reason, headers)
    if isinstance(value, tuple) and len(value) > 1 and isinstance(value[1], int):
        return value[1]
    return 0


# --- the exchange ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Exchange:
    status: int
    body: bytes | None  # None when not read (the status already failed the probe)
    encoding: str = "utf-8"


async def _exchange(
    config: HttpProbeConfig, context: ssl.SSLContext, headers: httpx.Headers, trace: _Trace
) -> _Exchange:
    url = httpx.URL(config.url)
    await _resolve(url, trace)
    async with _client(config, context) as client:
        request = client.build_request(
            config.method,
            url,
            headers=headers,
            content=config.body.encode("utf-8") if config.body is not None else None,
            extensions={"trace": trace},
        )
        response = await client.send(request, stream=True)
        try:
            return await _receive(config, response, trace)
        finally:
            await response.aclose()


async def _resolve(url: httpx.URL, trace: _Trace) -> None:
    """Time the name resolution of the URL's host (the `dns` phase)."""
    host = url.raw_host.decode("ascii")
    if _is_ip(host):
        return
    trace.step = "resolving the host"
    port = url.port or (443 if url.scheme == "https" else 80)
    loop = asyncio.get_running_loop()
    began = time.perf_counter()
    await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    trace.add("dns", time.perf_counter() - began)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _client(config: HttpProbeConfig, context: ssl.SSLContext) -> httpx.AsyncClient:
    """A client of its own per run, so every probe opens (and times) a new connection."""
    auth = None
    if config.basic_auth is not None:
        auth = httpx.BasicAuth(config.basic_auth.username, config.basic_auth.password_value())
    return httpx.AsyncClient(
        verify=context,
        timeout=config.effective_timeout,
        follow_redirects=config.follow_redirects,
        auth=auth,
        trust_env=False,  # no proxies or .netrc from the environment: measure the direct path
        event_hooks={"request": [_credential_guard(config)]},
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
    origin = _origin(httpx.URL(config.url))
    dropped = {"authorization"} | {
        name.lower() for name in config.headers if name.lower() not in _CROSS_ORIGIN_SAFE
    }

    async def guard(request: httpx.Request) -> None:
        if _origin(request.url) != origin:
            for name in dropped:
                request.headers.pop(name, None)

    return guard


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


async def _receive(config: HttpProbeConfig, response: httpx.Response, trace: _Trace) -> _Exchange:
    trace.response_started = True
    trace.last_status = response.status_code
    trace.request_id = _request_id(response.headers)
    if not config.expect.status_ok(response.status_code):
        return _Exchange(response.status_code, None)
    body = await _read_body(response, trace)
    return _Exchange(response.status_code, body, response.charset_encoding or "utf-8")


async def _read_body(response: httpx.Response, trace: _Trace) -> bytes:
    """Up to MAX_BODY_BYTES of the (decoded) body; reading stops at the cap."""
    trace.step = "reading the body"
    began = time.perf_counter()
    kept = bytearray()
    async for chunk in response.aiter_bytes():
        kept += chunk[: MAX_BODY_BYTES - len(kept)]
        if len(kept) >= MAX_BODY_BYTES:
            break
    trace.add("transfer", time.perf_counter() - began)
    return bytes(kept)


def _request_id(headers: httpx.Headers) -> str:
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return "".join(c for c in value if c.isprintable())[:_MAX_REQUEST_ID]
    return ""


# --- results -----------------------------------------------------------------


def _judge(
    config: HttpProbeConfig, trace: _Trace, started: float, exchange: _Exchange
) -> ProbeResult:
    status = exchange.status
    if exchange.body is None:
        detail = f"HTTP {status}, expected {_expected_status(config.expect)}"
        return _result(config, trace, started, classify_status(status), detail)
    problem = _body_problem(config.expect, exchange.body, exchange.encoding)
    if problem:
        detail = f"HTTP {status}: {problem}"
        return _result(config, trace, started, Outcome.UNEXPECTED_RESPONSE, detail)
    return _result(config, trace, started, Outcome.SUCCESS, f"HTTP {status}")


def _expected_status(expect: Expect) -> str:
    if not expect.status_codes:
        return "2xx"
    return "one of " + ", ".join(str(code) for code in expect.status_codes)


def _body_problem(expect: Expect, body: bytes, encoding: str) -> str:
    """Which body expectation failed, without quoting the body; "" when none."""
    if expect.body_contains is None and expect.body_regex is None:
        return ""
    if expect.body_contains is not None and expect.body_contains not in _decode(body, encoding):
        return "body does not contain expect.body_contains"
    if expect.body_regex is not None:
        # A multi-byte character cut at the window's edge decodes to U+FFFD: harmless.
        head = _decode(body[:MAX_REGEX_BYTES], encoding)
        if re.search(expect.body_regex, head) is None:
            return "body does not match expect.body_regex"
    return ""


def _decode(body: bytes, encoding: str) -> str:
    try:
        return body.decode(encoding, errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")


def _failure(config: HttpProbeConfig, trace: _Trace, started: float, exc: Exception) -> ProbeResult:
    if not is_expected_failure(exc):
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
        # The type and place only: an exception's message may quote a secret.
        log.error("probe %s: internal error %s at %s", config.name, type(exc).__name__, where)
        detail = internal_error_detail(exc)
        return _result(config, trace, started, Outcome.UNEXPECTED_RESPONSE, detail)
    outcome = classify_exception(exc, response_started=trace.response_started)
    return _result(config, trace, started, outcome, _failure_detail(config, trace, outcome, exc))


def _failure_detail(
    config: HttpProbeConfig, trace: _Trace, outcome: Outcome, exc: Exception
) -> str:
    reason = describe_exception(exc)
    if outcome is Outcome.TIMEOUT:
        return f"no complete response within {config.effective_timeout:g}s ({trace.step})"
    if outcome is Outcome.DNS_ERROR:
        return f"cannot resolve {httpx.URL(config.url).host}: {reason}"
    if outcome is Outcome.TLS_ERROR:
        return f"TLS handshake failed: {reason}"
    if outcome is Outcome.CONNECT_ERROR:
        return f"connection failed ({trace.step}): {reason}"
    if trace.response_started:
        return f"HTTP {trace.last_status}: response body broken: {reason}"
    return f"request failed: {reason}"


def _result(
    config: HttpProbeConfig,
    trace: _Trace,
    started: float,
    outcome: Outcome,
    detail: str,
) -> ProbeResult:
    result = ProbeResult(
        outcome=outcome,
        duration=time.perf_counter() - started,
        status_code=trace.last_status,
        phases=trace.phases(),
        detail=_redact(detail, config),
        request_id="" if outcome is Outcome.SUCCESS else _redact(trace.request_id, config),
        tls_not_after=trace.tls_not_after,
    )
    log.debug("probe %s: %s (%s)", config.name, result.outcome, result.detail)
    return result


def _redact(text: str, config: HttpProbeConfig) -> str:
    """Belt and braces: no secret of the probe survives into a result, even echoed."""
    if not text:
        return text
    for secret in _secrets(config):
        text = text.replace(secret, "<redacted>")
    return text


def _secrets(config: HttpProbeConfig) -> list[str]:
    secrets = config.secret_values()
    if config.basic_auth is not None:
        userpass = f"{config.basic_auth.username}:{config.basic_auth.password_value()}"
        secrets.append(base64.b64encode(userpass.encode("utf-8")).decode("ascii"))
    return [s for s in secrets if len(s) >= _MIN_REDACTED_SECRET]
