"""One probe run's HTTP/1.1 connection, without a connection pool.

A run that opens a fresh connection (every run without `reuse_connections`) has no
use for httpcore's pool: its connection is new, used by one request at a time, and
closed when the run ends. The pool still costs a probe run a third of its Python
time (anyio locks and cancel scopes per request, each asking sniffio which event
loop runs, connection bookkeeping, a close chain through four layers; see
docs/benchmarks.md). `SingleUseTransport` is an httpx transport that speaks
HTTP/1.1 with h11 on an `AsyncioBackend` stream directly, as httpcore's HTTP/1.1
connection does, and nothing else:

- the same trace events as httpcore (`connection.connect_tcp`, `connection.start_tls`,
  `http11.send_request_headers`, ... with `.started`/`.complete`/`.failed` and the
  same `return_value`s), so the phases are measured at the same points;
- the same errors: httpcore's exceptions (the backend's, and `RemoteProtocolError`
  or `LocalProtocolError` for h11's), mapped to httpx's by httpx's own mapping, with
  the cause chain kept (`transport_errors.py` reads it);
- the same protocol choices: HTTP/1.1 only (ALPN `http/1.1`), a write error while
  sending the request still reads the response (a server may answer early and close),
  64 KiB reads, at most 100 KiB of headers.

Within the run, a redirect to the same origin reuses the connection when the
previous response left it reusable (both sides done, no `Connection: close`, and
the server has not closed it), as the pool did; closing the transport closes it.
"""

# ruff: noqa: ASYNC109  (timeouts travel as values, as in httpcore's interfaces)
from __future__ import annotations

import logging
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import h11
import httpcore
import httpx
from httpx._transports.default import map_httpcore_exceptions  # httpx's own mapping

from exporter.probes.network import AsyncioBackend, ProbeTransport

READ_NUM_BYTES = 64 * 1024  # as httpcore reads
MAX_INCOMPLETE_EVENT_SIZE = 100 * 1024  # the most response head h11 buffers, as httpcore
_DEFAULT_PORTS = {b"http": 80, b"https": 443}
# httpcore's loggers: with debug logging on, a run logs what httpcore's pool would.
_CONNECTION_LOG = logging.getLogger("httpcore.connection")
_HTTP11_LOG = logging.getLogger("httpcore.http11")

TraceHook = Callable[[str, dict[str, Any]], Awaitable[None]]
Origin = tuple[bytes, bytes, int]


def transport(
    ssl_context: ssl.SSLContext, limits: httpx.Limits | None, backend: AsyncioBackend
) -> httpx.AsyncBaseTransport:
    """A run's transport: single-use without `limits`, else a pool with those limits."""
    if limits is None:
        return SingleUseTransport(ssl_context, backend)
    return ProbeTransport(ssl_context, limits, backend)


class _Connection:
    """One HTTP/1.1 connection: a network stream and its h11 state."""

    def __init__(self, origin: Origin, stream: httpcore.AsyncNetworkStream) -> None:
        self.origin = origin
        self.stream = stream
        self.h11 = h11.Connection(
            our_role=h11.CLIENT, max_incomplete_event_size=MAX_INCOMPLETE_EVENT_SIZE
        )

    async def send(self, event: h11.Event, timeout: float | None) -> None:
        data = self.h11.send(event)
        if data:
            await self.stream.write(data, timeout=timeout)

    async def receive(self, timeout: float | None) -> h11.Event | type[h11.PAUSED]:
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpcore.RemoteProtocolError(str(exc)) from exc
            if event is not h11.NEED_DATA:
                return event  # type: ignore[return-value]  # NEED_DATA is excluded above
            data = await self.stream.read(READ_NUM_BYTES, timeout=timeout)
            if data == b"" and self.h11.their_state is h11.SEND_RESPONSE:
                raise httpcore.RemoteProtocolError(
                    "Server disconnected without sending a response."
                )
            self.h11.receive_data(data)

    def reusable(self) -> bool:
        """Both sides finished the exchange and the server has not closed the socket."""
        if self.h11.our_state is not h11.DONE or self.h11.their_state is not h11.DONE:
            return False
        return not self.stream.get_extra_info("is_readable")

    async def aclose(self) -> None:
        await self.stream.aclose()


class _Traced:
    """httpcore's `Trace`: `<prefix>.<name>.started|complete|failed` to the request's
    trace extension, and the same debug records on httpcore's loggers."""

    __slots__ = ("_debug", "_hook", "_info", "_logger", "_name", "return_value")

    def __init__(
        self, hook: TraceHook | None, logger: logging.Logger, name: str, info: dict[str, Any]
    ) -> None:
        self._hook = hook
        self._logger = logger
        self._debug = logger.isEnabledFor(logging.DEBUG)
        self._name = name
        self._info = info
        self.return_value: object = None

    async def __aenter__(self) -> _Traced:
        await self._emit("started", self._info)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, _: object
    ) -> None:
        if exc is None:
            await self._emit("complete", {"return_value": self.return_value})
        else:
            await self._emit("failed", {"exception": exc})

    async def _emit(self, stage: str, info: dict[str, Any]) -> None:
        if self._hook is not None:
            await self._hook(f"{self._logger.name.rpartition('.')[2]}.{self._name}.{stage}", info)
        if self._debug:
            if not info or ("return_value" in info and info["return_value"] is None):
                self._logger.debug("%s.%s", self._name, stage)
            else:
                args = " ".join(f"{key}={value!r}" for key, value in info.items())
                self._logger.debug("%s.%s %s", self._name, stage, args)


class _Named:
    """What httpcore's debug records show of a request: its method, never its URL."""

    __slots__ = ("method",)

    def __init__(self, method: str) -> None:
        self.method = method.encode("ascii", errors="replace")

    def __repr__(self) -> str:
        return f"<Request [{self.method!r}]>"


class SingleUseTransport(httpx.AsyncBaseTransport):
    """httpx transport for one run: HTTP/1.1 on fresh `AsyncioBackend` connections."""

    def __init__(self, ssl_context: ssl.SSLContext, backend: AsyncioBackend) -> None:
        self._ssl_context = ssl_context
        self._backend = backend
        self._idle: _Connection | None = None  # left reusable by the last response
        self._busy: _Connection | None = None  # carrying a response not yet closed
        self.connections = 0  # opened so far (for tests)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        extensions = request.extensions
        hook: TraceHook | None = extensions.get("trace")
        timeouts: Mapping[str, float | None] = extensions.get("timeout", {})
        url = request.url
        scheme = url.raw_scheme
        origin = (scheme, url.raw_host, url.port or _DEFAULT_PORTS.get(scheme, 80))
        with map_httpcore_exceptions():
            connection = await self._connection(origin, hook, timeouts, extensions)
            self._busy = connection
            try:
                return await self._exchange(connection, request, hook, timeouts)
            except BaseException:
                self._busy = None
                await connection.aclose()
                raise

    async def aclose(self) -> None:
        for connection in (self._idle, self._busy):
            if connection is not None:
                await connection.aclose()
        self._idle = self._busy = None

    async def _connection(
        self,
        origin: Origin,
        hook: TraceHook | None,
        timeouts: Mapping[str, float | None],
        extensions: Mapping[str, Any],
    ) -> _Connection:
        idle, self._idle = self._idle, None
        if idle is not None:
            if idle.origin == origin and idle.reusable():
                idle.h11.start_next_cycle()
                return idle
            await idle.aclose()
        scheme, raw_host, port = origin
        host = raw_host.decode("ascii")
        timeout = timeouts.get("connect")
        info: dict[str, Any] = {
            "host": host,
            "port": port,
            "local_address": None,
            "timeout": timeout,
            "socket_options": None,
        }
        async with _Traced(hook, _CONNECTION_LOG, "connect_tcp", info) as traced:
            stream = await self._backend.connect_tcp(host, port, timeout=timeout)
            traced.return_value = stream
        self.connections += 1
        if scheme == b"https":
            server_hostname = extensions.get("sni_hostname") or host
            info = {
                "ssl_context": self._ssl_context,
                "server_hostname": server_hostname,
                "timeout": timeout,
            }
            try:
                async with _Traced(hook, _CONNECTION_LOG, "start_tls", info) as traced:
                    stream = await stream.start_tls(
                        self._ssl_context, server_hostname=server_hostname, timeout=timeout
                    )
                    traced.return_value = stream
            except BaseException:
                await stream.aclose()
                raise
        return _Connection(origin, stream)

    async def _exchange(
        self,
        connection: _Connection,
        request: httpx.Request,
        hook: TraceHook | None,
        timeouts: Mapping[str, float | None],
    ) -> httpx.Response:
        write, read = timeouts.get("write"), timeouts.get("read")
        info = {"request": _Named(request.method)}
        try:
            async with _Traced(hook, _HTTP11_LOG, "send_request_headers", info):
                try:
                    event = h11.Request(
                        method=request.method,
                        target=request.url.raw_path,
                        headers=request.headers.raw,
                    )
                except h11.LocalProtocolError as exc:
                    raise httpcore.LocalProtocolError(str(exc)) from exc
                await connection.send(event, write)
            async with _Traced(hook, _HTTP11_LOG, "send_request_body", info):
                assert isinstance(request.stream, httpx.AsyncByteStream)
                async for chunk in request.stream:
                    await connection.send(h11.Data(data=chunk), write)
                await connection.send(h11.EndOfMessage(), write)
        except httpcore.WriteError:
            pass  # the server may have answered early and closed: read its response
        async with _Traced(hook, _HTTP11_LOG, "receive_response_headers", info) as traced:
            while True:
                head = await connection.receive(read)
                if isinstance(head, h11.Response):
                    break
                if isinstance(head, h11.InformationalResponse):
                    if head.status_code == 101:  # switched protocols: that is the answer
                        break
                    continue  # 100 Continue and the like: the response follows
                # PAUSED comes back at once, with nothing read: looping would hang the loop.
                raise httpcore.RemoteProtocolError(f"{type(head).__name__} before a response")
            http_version = b"HTTP/" + head.http_version
            headers = head.headers.raw_items()
            traced.return_value = (http_version, head.status_code, head.reason, headers)
        return httpx.Response(
            status_code=head.status_code,
            headers=headers,
            stream=_Body(self, connection, hook, read),
            extensions={
                "http_version": http_version,
                "reason_phrase": head.reason,
                "network_stream": connection.stream,
            },
        )

    async def _release(self, connection: _Connection) -> None:
        """A response is closed: keep its connection for a redirect, or close it."""
        if self._busy is connection:
            self._busy = None
        if connection.reusable() and self._idle is None:
            self._idle = connection
        else:
            await connection.aclose()


class _Body(httpx.AsyncByteStream):
    """A response body read from its connection; closing it releases the connection."""

    def __init__(
        self,
        transport: SingleUseTransport,
        connection: _Connection,
        hook: TraceHook | None,
        timeout: float | None,
    ) -> None:
        self._transport = transport
        self._connection = connection
        self._hook = hook
        self._timeout = timeout
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            with map_httpcore_exceptions():
                async with _Traced(self._hook, _HTTP11_LOG, "receive_response_body", {}):
                    while True:
                        event = await self._connection.receive(self._timeout)
                        if not isinstance(event, h11.Data):
                            break  # EndOfMessage; PAUSED after a protocol switch
                        yield bytes(event.data)
        except BaseException:
            self._closed = True
            self._transport._busy = None
            await self._connection.aclose()
            raise

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._transport._release(self._connection)
