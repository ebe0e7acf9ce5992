"""The one outcome classification every probe type shares.

Pure functions: an HTTP status or an exception in, an `Outcome` (or a short,
secret-free description) out. Probe modules decide *when* something is a
failure (`expect.status_ok`, body matching); this module decides *which*
failure it is, so `http`, `anthropic` and `openai` probes count the same
event under the same `outcome` label.

Seam for LLM probes (a later issue, not implemented here): providers put the
precise reason in the error body (Anthropic `{"type": "error", "error": {"type":
"overloaded_error"}}`, OpenAI `{"error": {"type": ..., "code": ...}}`). That
helper belongs next to `classify_status` as `classify_error_body(status, payload)
-> Outcome`, refining what the status alone says (e.g. a 400 whose body says
`rate_limit_error`) and falling back to `classify_status(status)`.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Iterator

import httpx

from exporter.models import Outcome
from exporter.transport_errors import TransportFailure, classify_transport_error

_TRANSPORT_OUTCOMES: dict[TransportFailure, Outcome] = {
    "timeout": Outcome.TIMEOUT,
    "dns_error": Outcome.DNS_ERROR,
    "tls_error": Outcome.TLS_ERROR,
    "connect_error": Outcome.CONNECT_ERROR,
}

# Failures on the way to a response that are not the network's fault: the
# server answered with something we cannot follow (a redirect loop, a redirect
# to ftp://, a body we cannot decode), or we could not form a valid request.
_NOT_TRANSPORT = (
    httpx.TooManyRedirects,
    httpx.UnsupportedProtocol,
    httpx.DecodingError,
    httpx.LocalProtocolError,
    httpx.InvalidURL,
)

_MAX_DESCRIPTION = 160


def classify_status(code: int) -> Outcome:
    """The outcome of a response whose status was not the expected one."""
    if code in (401, 403):
        return Outcome.AUTH_ERROR
    if code == 429:
        return Outcome.RATE_LIMITED
    if code == 529:
        return Outcome.OVERLOADED
    if 500 <= code <= 599:
        return Outcome.SERVER_ERROR
    if 400 <= code <= 499:
        return Outcome.CLIENT_ERROR
    return Outcome.UNEXPECTED_RESPONSE


def classify_exception(exc: BaseException, *, response_started: bool) -> Outcome:
    """The outcome of a probe that ended with `exc`.

    Before the response started, transport failures map through
    `classify_transport_error` (timeout, dns_error, tls_error, connect_error;
    a server that closes or resets the connection without answering is a
    connect_error). Once the response started (status and headers received),
    a broken body is an unexpected_response; a timeout stays a timeout.
    Anything that is not a transport failure at all (a bug) is an
    unexpected_response.
    """
    if classify_transport_error(exc) == "timeout":
        return Outcome.TIMEOUT
    if response_started or isinstance(exc, _NOT_TRANSPORT):
        return Outcome.UNEXPECTED_RESPONSE
    if isinstance(exc, httpx.TransportError | OSError):
        return _TRANSPORT_OUTCOMES[classify_transport_error(exc)]
    return Outcome.UNEXPECTED_RESPONSE


def is_expected_failure(exc: BaseException) -> bool:
    """True for the failures a probe is there to observe; False means a bug."""
    return isinstance(exc, httpx.HTTPError | OSError | TimeoutError)


def describe_exception(exc: BaseException) -> str:
    """A short reason for `exc` that never quotes what we sent.

    Only text the OS, the TLS library or the HTTP framing produced is used:
    `ssl` verify messages and reasons, the OS's text for an errno, and the messages of
    `httpx.RemoteProtocolError` (about the server's framing). Other exception
    messages can quote a request (h11's "Illegal header value b'...'" quotes a
    header, token included), so for them only the type name is given. Callers
    still redact known secrets from the result.
    """
    for link in _chain(exc):
        if isinstance(link, ssl.SSLCertVerificationError) and link.verify_message:
            return _short(link.verify_message)
        if isinstance(link, ssl.SSLError) and link.reason:
            return _short(link.reason)
        if isinstance(link, OSError) and not isinstance(link, socket.gaierror) and link.errno:
            return _short(os.strerror(link.errno))  # "Connection refused", no address
        if isinstance(link, OSError) and link.strerror:
            return _short(link.strerror)
    if isinstance(exc, httpx.RemoteProtocolError) and str(exc):
        return _short(str(exc))
    return type(exc).__name__


def internal_error_detail(exc: BaseException) -> str:
    """The detail of a probe that failed because of a bug: the type only."""
    return f"internal error: {type(exc).__name__}"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DESCRIPTION else text[: _MAX_DESCRIPTION - 1] + "…"
