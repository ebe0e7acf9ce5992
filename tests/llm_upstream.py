"""A simulated Anthropic + OpenAI API on loopback, driven by `Reply` scripts.

One aiohttp app speaks both providers' wire formats (tests/llm_wire.py names the
documentation each shape follows):

    POST /v1/messages           Anthropic Messages API, streamed
    POST /v1/chat/completions   OpenAI Chat Completions, streamed
    POST /v1/responses          OpenAI Responses API, streamed
    GET  /v1/models             the model list (Anthropic's shape when x-api-key is sent)

Every request is answered after a `Reply`: the next one queued in `sim.queue`, else
`sim.reply`. A `Reply` is a frozen description of one behaviour (a status and
error type, an HTML page, a stream with delays, an error event after N tokens, a
stall, a cut, a reset, a hang), so a scenario is a list of them. The server
records every request (`sim.requests`) and every TCP connection it accepted
(`sim.connections`). `sim.api_key`, when set, makes any other key a 401.

Nothing waits unbounded: hangs and stalls end at `close()` or after `HOLD_LIMIT`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import socket
import ssl
import struct
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import trustme
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests import llm_wire as wire

HOLD_LIMIT = 30.0  # seconds a hang or a stall lasts at most
_KEY_HEADERS = frozenset({"x-api-key", "authorization"})


@dataclass(frozen=True)
class Reply:
    """How the simulated API answers one request."""

    status: int = 200
    error: str = ""  # >= 400: the error type (Anthropic) or type (OpenAI); "" = by status
    code: str | None = None  # OpenAI's error code
    message: str = ""  # the error message; "" = a default
    body: str | None = None  # answer this body instead (an HTML page, say)
    content_type: str = "text/html"  # ... with this content type
    tokens: tuple[str, ...] = ("ok", "!")
    first_token_delay: float = 0.0  # seconds between the stream's start and the first token
    token_delay: float = 0.0  # seconds between tokens
    error_after: int | None = None  # send an error event after this many tokens
    stream_error: str = "overloaded_error"  # ... of this type (OpenAI: code)
    failed_event: bool = False  # Responses API: send `response.failed`, not `error`
    stall_after: int | None = None  # stop sending (keep the stream open) after N tokens
    ping_every: float | None = None  # while stalled, send keep-alives this often
    cut_after: int | None = None  # close the connection after N tokens, without the end
    incomplete: bool = False  # Responses API: end with `response.incomplete`
    reset: bool = False  # reset the TCP connection instead of answering
    hang: bool = False  # never answer (until the server closes)
    request_id: str = "req_sim_0001"  # sent as request-id / x-request-id; "" = no header
    echo_key: bool = False  # send the credentials back in headers and in the body


@dataclass(frozen=True)
class Seen:
    api: str  # anthropic | chat | responses | models
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any] | None


@dataclass
class LLMUpstream:
    reply: Reply = field(default_factory=Reply)
    queue: deque[Reply] = field(default_factory=deque)
    api_key: str | None = None
    requests: list[Seen] = field(default_factory=list)
    peers: set[tuple[str, int]] = field(default_factory=set)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    _server: TestServer | None = None

    @property
    def connections(self) -> int:
        """TCP connections accepted so far (distinct client ports)."""
        return len(self.peers)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/messages", self._anthropic)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/responses", self._responses)
        app.router.add_get("/v1/models", self._models)
        return app

    async def start(self, ssl_context: ssl.SSLContext | None = None) -> str:
        """Serve on 127.0.0.1; returns the base URL (http:// or https://)."""
        self._server = TestServer(self.app(), host="127.0.0.1")
        await self._server.start_server(ssl=ssl_context)
        return str(self._server.make_url("")).rstrip("/")

    async def close(self) -> None:
        self.release.set()
        if self._server is not None:
            await self._server.close()

    # --- handlers -------------------------------------------------------------

    async def _anthropic(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "anthropic")

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "chat")

    async def _responses(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "responses")

    async def _models(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "models")

    async def _serve(self, request: web.Request, api: str) -> web.StreamResponse:
        reply = self.queue.popleft() if self.queue else self.reply
        body = await request.json() if request.can_read_body else None
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(Seen(api, request.method, request.path, headers, body))
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer:
            self.peers.add((peer[0], peer[1]))
        anthropic = api == "anthropic" or (api == "models" and "x-api-key" in request.headers)
        key = _key(request)
        echo = " ".join(_credentials(request))
        if reply.reset:
            return await self._reset(request)
        if reply.hang:
            await self._hold()
            return web.Response(status=504)
        if self.api_key is not None and key != self.api_key:
            reply = Reply(status=401, request_id=reply.request_id, echo_key=reply.echo_key)
        headers = _headers(reply, anthropic, echo)
        if reply.body is not None:
            kind = reply.content_type
            return web.Response(
                status=reply.status, text=reply.body, content_type=kind, headers=headers
            )
        if reply.status >= 400:
            message = f"bad credentials {echo}" if reply.echo_key else reply.message
            payload = (
                wire.anthropic_error(reply.status, reply.error, message, reply.request_id)
                if anthropic
                else wire.openai_error(reply.status, reply.error, reply.code, message)
            )
            return web.json_response(payload, status=reply.status, headers=headers)
        if api == "models":
            models = wire.anthropic_models() if anthropic else wire.openai_models()
            return web.json_response(models, headers=headers)
        return await self._stream(request, api, reply, headers)

    async def _stream(
        self, request: web.Request, api: str, reply: Reply, headers: dict[str, str]
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers=headers)
        response.content_type = "text/event-stream"
        response.headers["Cache-Control"] = "no-cache"
        await response.prepare(request)
        script = _Script(api)
        for frame in script.start():
            await response.write(frame)
        for i, token in enumerate(reply.tokens):
            if await self._interrupt(request, response, script, reply, i):
                return response
            await asyncio.sleep(reply.first_token_delay if i == 0 else reply.token_delay)
            await response.write(script.token(token))
        if await self._interrupt(request, response, script, reply, len(reply.tokens)):
            return response
        for frame in script.end(reply):
            await response.write(frame)
        return response

    async def _interrupt(
        self,
        request: web.Request,
        response: web.StreamResponse,
        script: _Script,
        reply: Reply,
        sent: int,
    ) -> bool:
        """Apply what the reply wants after `sent` tokens; True when the stream is over."""
        if reply.error_after == sent:
            await response.write(script.error(reply))
            return True
        if reply.cut_after == sent:
            assert request.transport is not None
            request.transport.close()
            return True
        if reply.stall_after == sent:
            await self._stall(response, script, reply.ping_every)
            return True
        return False

    async def _stall(
        self, response: web.StreamResponse, script: _Script, ping_every: float | None
    ) -> None:
        if ping_every is None:
            await self._hold()
            return
        loop = asyncio.get_running_loop()
        until = loop.time() + HOLD_LIMIT
        while not self.release.is_set() and loop.time() < until:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), ping_every)
            with contextlib.suppress(ConnectionError):
                await response.write(script.keepalive())

    async def _hold(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.release.wait(), HOLD_LIMIT)

    async def _reset(self, request: web.Request) -> web.StreamResponse:
        """Close with SO_LINGER 0: the client gets a TCP RST, not a FIN."""
        assert request.transport is not None
        sock = request.transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        request.transport.abort()
        await self._hold()
        return web.Response(status=500)


class _Script:
    """The frames of one stream in one API's format."""

    def __init__(self, api: str) -> None:
        self.api = api
        self.responses = wire.ResponsesEvents()
        self.tokens = 0

    def start(self) -> list[bytes]:
        if self.api == "anthropic":
            return wire.anthropic_start("claude-haiku-4-5")
        if self.api == "chat":
            return wire.chat_start()
        return self.responses.start()

    def token(self, text: str) -> bytes:
        self.tokens += 1
        if self.api == "anthropic":
            return wire.anthropic_token(text)
        if self.api == "chat":
            return wire.chat_token(text)
        return self.responses.token(text)

    def end(self, reply: Reply) -> list[bytes]:
        if self.api == "anthropic":
            return wire.anthropic_end(self.tokens)
        if self.api == "chat":
            return wire.chat_end()
        return self.responses.end(reply.incomplete)

    def error(self, reply: Reply) -> bytes:
        if self.api == "anthropic":
            return wire.anthropic_stream_error(reply.stream_error)
        if self.api == "chat":
            return wire.chat_stream_error("server_error", reply.stream_error)
        return self.responses.error(reply.stream_error, reply.failed_event)

    def keepalive(self) -> bytes:
        return wire.anthropic_event("ping") if self.api == "anthropic" else b": keep-alive\n\n"


def _key(request: web.Request) -> str:
    if "x-api-key" in request.headers:
        return request.headers["x-api-key"]
    return request.headers.get("Authorization", "").removeprefix("Bearer ")


def _credentials(request: web.Request) -> list[str]:
    """The API key and the values of other headers that look like credentials."""
    names = re.compile(r"authorization|api-key|token|secret", re.I)
    return [_key(request)] + [
        v for k, v in request.headers.items() if names.search(k) and k.lower() not in _KEY_HEADERS
    ]


def _headers(reply: Reply, anthropic: bool, echo: str) -> dict[str, str]:
    headers = {}
    if reply.request_id:
        headers["request-id" if anthropic else "x-request-id"] = reply.request_id
    if reply.echo_key:
        headers |= {"request-id": echo, "x-request-id": echo, "x-echo": echo}
    return headers


@contextlib.asynccontextmanager
async def running(
    sim: LLMUpstream, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[str]:
    """Serve `sim` for the duration of the block; yields its base URL."""
    base = await sim.start(ssl_context)
    try:
        yield base
    finally:
        await sim.close()


def server_tls(ca: trustme.CA, *, not_after: dt.datetime | None = None) -> ssl.SSLContext:
    """A server context with a certificate for 127.0.0.1 and localhost from `ca`."""
    now = dt.datetime.now(dt.UTC)
    not_after = not_after or now + dt.timedelta(days=365)
    cert = ca.issue_cert(
        "127.0.0.1",
        "localhost",
        not_before=min(not_after, now) - dt.timedelta(days=30),
        not_after=not_after,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context
