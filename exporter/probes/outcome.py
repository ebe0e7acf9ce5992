"""The one outcome classification every probe type shares.

Pure functions: an HTTP status or an exception in, an `Outcome` (or a short,
secret-free description) out. Probe modules decide *when* something is a
failure (`expect.status_ok`, body matching); this module decides *which*
failure it is, so `http`, `anthropic` and `openai` probes count the same
event under the same `outcome` label.

Providers put the precise reason in the error body (Anthropic `{"type": "error",
"error": {"type": "overloaded_error"}}`, OpenAI `{"error": {"type": ..., "code":
...}}`) and in error events inside a stream. `classify_error(status, kinds,
message)` refines what the status alone says with those names (llm_errors.py
parses the shapes); every probe type uses it for error responses.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
from collections.abc import Iterable

import httpx

from exporter.models import Outcome
from exporter.transport_errors import (
    TransportFailure,
    cause_chain,
    classify_transport_error,
    invalid_http,
)

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
    if response_started or isinstance(exc, _NOT_TRANSPORT) or invalid_http(exc):
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
    for link in cause_chain(exc):
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


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DESCRIPTION else text[: _MAX_DESCRIPTION - 1] + "…"


# --- provider-described failures ------------------------------------------------

# The providers' own names for a failure (Anthropic `error.type`; OpenAI `error.type`
# and `error.code`; the `code` of OpenAI Responses stream errors), by the outcome they
# mean. Checked in this order, so an OpenAI error `{"type": "invalid_request_error",
# "code": "invalid_api_key"}` is an auth_error, not a client_error.
_OVERLOADED_KINDS = frozenset({"overloaded_error", "server_is_overloaded", "engine_overloaded"})
_KIND_OUTCOMES: tuple[tuple[frozenset[str], Outcome], ...] = (
    (
        frozenset(
            {
                "authentication_error",
                "permission_error",
                "invalid_api_key",
                "invalid_authentication",
                "unauthorized",
                "permission_denied",
            }
        ),
        Outcome.AUTH_ERROR,
    ),
    (
        frozenset({"rate_limit_error", "rate_limit_exceeded", "insufficient_quota"}),
        Outcome.RATE_LIMITED,
    ),
    (
        frozenset(
            {
                "api_error",
                "server_error",
                "internal_error",
                "internal_server_error",
                "service_unavailable",
                "service_unavailable_error",
                "timeout_error",
            }
        ),
        Outcome.SERVER_ERROR,
    ),
    (
        frozenset(
            {
                "invalid_request_error",
                "not_found_error",
                "request_too_large",
                "billing_error",
                "model_not_found",
                "context_length_exceeded",
            }
        ),
        Outcome.CLIENT_ERROR,
    ),
)
_OVERLOADED_TEXT = re.compile(r"\boverloaded\b", re.IGNORECASE)


def classify_error(status: int, kinds: Iterable[str] = (), message: str = "") -> Outcome:
    """The outcome of a failure the provider described itself.

    `status` is the HTTP status of an error response, or the 200 of a stream in
    which an error event arrived; `kinds` are the provider's names for the error
    (Anthropic `error.type`; OpenAI `error.type` and `error.code`); `message` is
    its human text, only ever searched for "overloaded".

    1. overloaded: status 529, a kind saying so (`overloaded_error`,
       `server_is_overloaded`, `engine_overloaded`) or "overloaded" in the
       message (OpenAI's "That model is currently overloaded", sent as 429 or 503);
    2. else 401/403 auth_error and 429 rate_limited: these statuses are unambiguous
       (an OpenAI 401 says `invalid_request_error`, a 403 region block too);
    3. else the first known kind: auth_error, rate_limited, server_error,
       client_error (`_KIND_OUTCOMES`), which refines an ambiguous status (a 400
       whose body says `rate_limit_error`) and names an error event in a stream;
    4. else a status other than 2xx alone (`classify_status`);
    5. else (an unknown error event inside a stream that started with 200)
       server_error: the provider itself reported a failure.
    """
    names = {kind.lower() for kind in kinds if kind}
    if status == 529 or names & _OVERLOADED_KINDS or _OVERLOADED_TEXT.search(message):
        return Outcome.OVERLOADED
    if status in (401, 403, 429):
        return classify_status(status)
    for known, outcome in _KIND_OUTCOMES:
        if names & known:
            return outcome
    if status >= 300:
        return classify_status(status)
    return Outcome.SERVER_ERROR
