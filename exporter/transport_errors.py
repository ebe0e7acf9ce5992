"""Map an httpx transport failure onto the label values probes and polls share."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from typing import Literal

import h11
import httpx

TransportFailure = Literal["timeout", "dns_error", "tls_error", "connect_error"]


def cause_chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then what caused it, and so on (each once): where the real failure hides."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def classify_transport_error(exc: BaseException) -> TransportFailure:
    """timeout, dns_error, tls_error or connect_error for an httpx/asyncio failure.

    httpx wraps the socket-level error; its cause chain tells the kind:
    `socket.gaierror` is name resolution, `ssl.SSLError` is the handshake or
    certificate (expired, unknown CA, wrong host, a plain-HTTP server behind an
    https:// URL). Anything else on the way to a response is a connect error,
    including a TLS server behind an http:// URL (it hangs up on the request).

    Only exception types are read, never message text: httpx and httpcore
    always chain the original error (`raise ... from exc`), and messages can
    quote what the server sent (h11's "illegal status line: bytearray(b'...')"),
    so a server answering garbage that mentions "SSL" must not be a tls_error.
    """
    for link in cause_chain(exc):
        if isinstance(link, httpx.TimeoutException | TimeoutError):
            return "timeout"
        if isinstance(link, socket.gaierror):
            return "dns_error"
        if isinstance(link, ssl.SSLError | ssl.CertificateError):
            return "tls_error"
    return "connect_error"


def invalid_http(exc: BaseException) -> bool:
    """True when the server answered, but not in valid HTTP (an invalid header line, a
    garbled status line): h11 rejected what it read. A connection closed without an
    answer is not this; it stays a connect_error."""
    return any(isinstance(link, h11.RemoteProtocolError) for link in cause_chain(exc))
