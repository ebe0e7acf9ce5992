"""A simulated Anthropic + OpenAI API on loopback, driven by `Reply` scripts.

One aiohttp app speaks both providers' wire formats (exporter/scenarios/wire.py names the
documentation each shape follows; exporter/scenarios/replies.py serves a `Reply`):

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
import ssl
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import trustme
from aiohttp import web
from aiohttp.test_utils import TestServer

from exporter.scenarios.replies import HOLD_LIMIT, Reply, answer, api_key

__all__ = ["HOLD_LIMIT", "LLMUpstream", "Reply", "Seen", "running", "server_tls"]


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
        wrong_key = self.api_key is not None and api_key(request) != self.api_key
        if wrong_key and not (reply.reset or reply.hang):
            reply = Reply(status=401, request_id=reply.request_id, echo_key=reply.echo_key)
        return await answer(request, api, reply, self.release)


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
