"""The sockets under the probes' httpx clients: asyncio streams instead of anyio's.

httpcore (under httpx) reaches the network through a pluggable backend; its default
goes through anyio, which does TLS in Python on a memory BIO and wraps every read
and write in cancel scopes. `AsyncioBackend` uses the event loop's own streams
instead, so TLS runs in the loop's transport (in C under uvloop), and it connects to
the addresses the probe has already resolved and timed (`pin`), so a probe's host is
looked up once, not twice. That is most of a fresh-connection probe's CPU
(docs/benchmarks.md). Everything above it (httpcore's connection handling and trace
events, httpx's redirects, errors and timeouts) is unchanged.

Errors are httpcore's, chained to the original (`raise ConnectError from OSError`),
as the anyio backend raises them, so `transport_errors.classify_transport_error`
sees `socket.gaierror` and `ssl.SSLError` in the cause chain as before.

Closing a TLS stream does not wait for the server's close_notify (anyio's backend,
as httpcore uses it, does not send one either): a server that never answers it
must not hold a probe.
"""

# ruff: noqa: ASYNC109  (httpcore's backend interface takes `timeout` arguments)
from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import select
import socket
import ssl
from asyncio import staggered
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import httpcore
import httpx
from httpcore import (
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    WriteError,
    WriteTimeout,
)

# httpcore's interface: setsockopt arguments, and `timeout` parameters on async methods.
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)
# One entry of getaddrinfo(): family, type, proto, canonname, sockaddr.
AddrInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple[Any, ...]]
HAPPY_EYEBALLS_DELAY = 0.25  # RFC 8305's recommended connection attempt delay


@contextlib.contextmanager
def _mapped(timeout_error: type[Exception], other: type[Exception]) -> Iterator[None]:
    try:
        yield
    except TimeoutError as exc:
        raise timeout_error(str(exc)) from exc
    except OSError as exc:  # ssl.SSLError and socket.gaierror are OSErrors
        raise other(str(exc)) from exc


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._tls = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _mapped(ReadTimeout, ReadError):
            if timeout is None:  # no timer to set: the probe run's deadline bounds it
                return await self._reader.read(max_bytes)
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        with _mapped(WriteTimeout, WriteError):
            self._writer.write(buffer)
            if timeout is None:
                await self._writer.drain()
                return
            async with asyncio.timeout(timeout):
                await self._writer.drain()

    async def aclose(self) -> None:
        if self._tls:
            self._writer.transport.abort()  # no close_notify: see the module's doc
        else:
            self._writer.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with _mapped(ConnectTimeout, ConnectError):
                async with asyncio.timeout(timeout):
                    await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except BaseException:
            self._writer.transport.abort()
            raise
        self._tls = True
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object") if self._tls else None
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        if info == "socket":
            return self._writer.get_extra_info("socket")
        if info == "is_readable":
            return _readable(self._writer.get_extra_info("socket"))
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Connects with asyncio streams; to `pin`ned addresses when the probe resolved them."""

    def __init__(self) -> None:
        self._pinned: dict[tuple[str, int], Sequence[AddrInfo]] = {}

    def pin(self, host: str, port: int, addresses: Sequence[AddrInfo]) -> None:
        """Connect to these addresses (from the probe's own, timed lookup) for host:port."""
        self._pinned[(host, port)] = addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        options = list(socket_options or ())
        with _mapped(ConnectTimeout, ConnectError):
            async with asyncio.timeout(timeout):
                addresses = self._pinned.get((host, port)) or _literal(host, port)
                if addresses is None:
                    loop = asyncio.get_running_loop()
                    addresses = list(await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM))
                sock = await _connect_any(addresses, local_address, options)
                try:
                    reader, writer = await asyncio.open_connection(sock=sock)
                except BaseException:
                    sock.close()
                    raise
        return AsyncioStream(reader, writer)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        with _mapped(ConnectTimeout, ConnectError):
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_unix_connection(path)
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ProbeTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over `AsyncioBackend` (HTTP/1.1, no proxies: the direct path)."""

    def __init__(
        self, ssl_context: ssl.SSLContext, limits: httpx.Limits, backend: AsyncioBackend
    ) -> None:
        # Not super().__init__(): it builds an anyio-backed pool only to be replaced.
        # httpx's transport uses nothing but `_pool` (requests, errors, closing).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=backend,
        )


def _literal(host: str, port: int) -> list[AddrInfo] | None:
    """The address of an IP-literal host without a lookup; None for a name."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if ip.version == 4:
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port))]
    return [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port, 0, 0))]


async def _connect_any(
    addresses: Sequence[AddrInfo], local_address: str | None, options: list[SocketOption]
) -> socket.socket:
    """A connected socket to the first address that answers: RFC 8305 Happy Eyeballs,
    families interleaved, a new attempt every 250 ms or as soon as one fails."""
    if not addresses:
        raise OSError("getaddrinfo returned no addresses")
    ordered = _interleave(addresses)
    if len(ordered) == 1:
        return await _connect_one(ordered[0], local_address, options)
    attempts = [(lambda info=info: _connect_one(info, local_address, options)) for info in ordered]
    winner, _, errors = await staggered.staggered_race(attempts, HAPPY_EYEBALLS_DELAY)
    if winner is None:
        last = next((e for e in reversed(errors) if e is not None), None)
        raise last if last is not None else OSError("no address could be connected")
    sock: socket.socket = winner
    return sock


async def _connect_one(
    info: AddrInfo, local_address: str | None, options: list[SocketOption]
) -> socket.socket:
    family, kind, proto, _, address = info
    sock = socket.socket(family, kind, proto)
    try:
        sock.setblocking(False)
        for option in options:
            sock.setsockopt(*option)
        if local_address is not None:
            sock.bind((local_address, 0))
        await asyncio.get_running_loop().sock_connect(sock, address)
    except BaseException:
        sock.close()
        raise
    return sock


def _interleave(addresses: Sequence[AddrInfo]) -> list[AddrInfo]:
    """The first family's first address, then the other family's first, and so on."""
    by_family: dict[int, list[AddrInfo]] = {}
    for info in addresses:
        by_family.setdefault(info[0], []).append(info)
    queues = list(by_family.values())
    ordered: list[AddrInfo] = []
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop(0))
    return ordered


def _readable(sock: object) -> bool:
    """Whether a read would return at once (data or EOF): an idle connection the server
    closed. Unknown sockets count as readable, so the pool drops them."""
    fileno = getattr(sock, "fileno", None)
    fd = fileno() if callable(fileno) else -1
    if not isinstance(fd, int) or fd < 0:
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))
