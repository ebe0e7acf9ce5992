"""Bounded client connections: a header-read deadline and a connection cap.

aiohttp has neither: a client that opens a connection and drips its request headers a
byte at a time holds a file descriptor for as long as it likes, and a thousand of them
take every descriptor the process has, so no scrape gets in. Here every connection is
wrapped:

- **Header deadline** (Go's `ReadHeaderTimeout`): once the first byte of a request
  arrives, its header block must be complete within `header_timeout`, or the connection
  is closed. TLS handshakes get the same deadline.
- **Cap**: at most `max_connections` at once. At the cap, a new connection takes the
  place of the oldest one that is not being answered (still reading headers, or idle
  between keep-alive requests), so dripping clients cannot starve scrapes; when every
  connection is busy answering, the new one is closed.

Each closed connection is counted in `statusprobe_web_connections_closed_total{reason}`.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, cast

from prometheus_client import Counter

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 10.0  # seconds from a request's first byte to the end of its headers
MAX_CONNECTIONS = 256  # a few Prometheus servers and browsers need a handful
REASONS = ("header_timeout", "evicted", "connection_limit")


class ConnectionGuard:
    """A protocol factory that wraps aiohttp's, enforcing the deadline and the cap."""

    def __init__(
        self,
        factory: Callable[[], asyncio.Protocol],
        closed: Counter,
        *,
        header_timeout: float = HEADER_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.factory = factory
        self.closed = closed
        self.header_timeout = header_timeout
        self.max_connections = max_connections
        # Open connections, oldest first.
        self.open: OrderedDict[_Guarded, None] = OrderedDict()

    def __call__(self) -> asyncio.Protocol:
        return _Guarded(self, self.factory())

    def admit(self, connection: _Guarded) -> bool:
        if len(self.open) >= self.max_connections:
            idle = next((c for c in self.open if not c.answering()), None)
            if idle is None:
                self.closed.labels("connection_limit").inc()
                return False
            self.closed.labels("evicted").inc()
            idle.close()
        self.open[connection] = None
        return True


class _Guarded(asyncio.Protocol):
    """One connection: forwards to aiohttp's RequestHandler, watches the header deadline."""

    def __init__(self, guard: ConnectionGuard, inner: asyncio.Protocol) -> None:
        self.guard = guard
        self.inner = inner
        self.transport: asyncio.Transport | None = None
        self.admitted = False
        self.deadline: asyncio.TimerHandle | None = None
        self.requests_at_arm = 0

    # aiohttp counts the requests whose headers it has parsed; a change means a header
    # block ended. (A private attribute, stable across aiohttp 3.x; tests pin it.)
    def _requests(self) -> int:
        count: int = getattr(self.inner, "_request_count", 0)
        return count

    def answering(self) -> bool:
        """True while a request of this connection is being handled."""
        return getattr(self.inner, "_current_request", None) is not None

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        if not self.guard.admit(self):
            self.transport.abort()
            return
        self.admitted = True
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if not self.admitted:
            return
        before = self._requests()
        self.inner.data_received(data)
        if self.deadline is None and self._requests() == before:
            # Part of a header block: it has header_timeout to complete.
            self.requests_at_arm = before
            loop = asyncio.get_running_loop()
            self.deadline = loop.call_later(self.guard.header_timeout, self._expired)

    def _expired(self) -> None:
        self.deadline = None
        if self._requests() != self.requests_at_arm or self.answering():
            return  # the headers arrived; the next bytes arm a new deadline
        self.guard.closed.labels("header_timeout").inc()
        self.close()

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.admitted else None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
        self.guard.open.pop(self, None)
        if self.admitted:
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # anything else aiohttp asks of its protocol


async def start_server(
    factory: Callable[[], asyncio.Protocol],
    sock: socket.socket,
    ssl_context: ssl.SSLContext | None,
    closed: Counter,
    *,
    header_timeout: float = HEADER_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> asyncio.Server:
    """Serve `factory` (an aiohttp runner's `server`) on `sock` behind a ConnectionGuard."""
    guard = ConnectionGuard(
        factory, closed, header_timeout=header_timeout, max_connections=max_connections
    )
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        guard,
        sock=sock,
        ssl=ssl_context,
        ssl_handshake_timeout=header_timeout if ssl_context is not None else None,
        backlog=128,
    )
