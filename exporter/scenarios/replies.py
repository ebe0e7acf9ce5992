"""How a simulated LLM API answers one request: a `Reply`, served in a provider's wire format.

A `Reply` is a frozen description of one behaviour: a status and error type, an HTML page,
a stream with delays, an error event after N tokens, a stall, a cut, a reset, a hang.
`answer()` serves it to an aiohttp request in the format of one API:

    anthropic   POST /v1/messages           Anthropic Messages API, streamed
    chat        POST /v1/chat/completions   OpenAI Chat Completions, streamed
    responses   POST /v1/responses          OpenAI Responses API, streamed
    models      GET  /v1/models             the model list (Anthropic's shape with x-api-key)

The shapes are wire.py's, each written after the provider's documentation. Nothing waits
unbounded: hangs and stalls end when `release` is set or after `HOLD_LIMIT`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import struct
from dataclasses import dataclass

from aiohttp import web

from exporter.scenarios import wire

HOLD_LIMIT = 30.0  # seconds a hang or a stall lasts at most
APIS = ("anthropic", "chat", "responses", "models")
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
    hang: bool = False  # never answer (until released)
    request_id: str = "req_sim_0001"  # sent as request-id / x-request-id; "" = no header
    echo_key: bool = False  # send the credentials back in headers and in the body


async def answer(
    request: web.Request, api: str, reply: Reply, release: asyncio.Event
) -> web.StreamResponse:
    """Serve `reply` to `request` in the wire format of `api` (one of `APIS`)."""
    anthropic = api == "anthropic" or (api == "models" and "x-api-key" in request.headers)
    echo = " ".join(credentials(request))
    if reply.reset:
        return await _reset(request, release)
    if reply.hang:
        await hold(release)
        return web.Response(status=504)
    headers = _headers(reply, anthropic, echo)
    if reply.body is not None:
        return web.Response(
            status=reply.status, text=reply.body, content_type=reply.content_type, headers=headers
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
    return await _stream(request, api, reply, headers, release)


def api_key(request: web.Request) -> str:
    """The key the request carries: `x-api-key`, else the bearer token."""
    if "x-api-key" in request.headers:
        return request.headers["x-api-key"]
    return request.headers.get("Authorization", "").removeprefix("Bearer ")


def credentials(request: web.Request) -> list[str]:
    """The API key and the values of other headers that look like credentials."""
    names = re.compile(r"authorization|api-key|token|secret", re.I)
    return [api_key(request)] + [
        v for k, v in request.headers.items() if names.search(k) and k.lower() not in _KEY_HEADERS
    ]


async def hold(release: asyncio.Event) -> None:
    """Wait until `release` is set, at most `HOLD_LIMIT` seconds."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(release.wait(), HOLD_LIMIT)


async def _stream(
    request: web.Request,
    api: str,
    reply: Reply,
    headers: dict[str, str],
    release: asyncio.Event,
) -> web.StreamResponse:
    response = web.StreamResponse(headers=headers)
    response.content_type = "text/event-stream"
    response.headers["Cache-Control"] = "no-cache"
    await response.prepare(request)
    script = _Script(api)
    for frame in script.start():
        await response.write(frame)
    for i, token in enumerate(reply.tokens):
        if await _interrupt(request, response, script, reply, i, release):
            return response
        await asyncio.sleep(reply.first_token_delay if i == 0 else reply.token_delay)
        await response.write(script.token(token))
    if await _interrupt(request, response, script, reply, len(reply.tokens), release):
        return response
    for frame in script.end(reply):
        await response.write(frame)
    return response


async def _interrupt(
    request: web.Request,
    response: web.StreamResponse,
    script: _Script,
    reply: Reply,
    sent: int,
    release: asyncio.Event,
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
        await _stall(response, script, reply.ping_every, release)
        return True
    return False


async def _stall(
    response: web.StreamResponse,
    script: _Script,
    ping_every: float | None,
    release: asyncio.Event,
) -> None:
    if ping_every is None:
        await hold(release)
        return
    loop = asyncio.get_running_loop()
    until = loop.time() + HOLD_LIMIT
    while not release.is_set() and loop.time() < until:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(release.wait(), ping_every)
        with contextlib.suppress(ConnectionError):
            await response.write(script.keepalive())


async def _reset(request: web.Request, release: asyncio.Event) -> web.StreamResponse:
    """Close with SO_LINGER 0: the client gets a TCP RST, not a FIN."""
    assert request.transport is not None
    sock = request.transport.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    request.transport.abort()
    await hold(release)
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


def _headers(reply: Reply, anthropic: bool, echo: str) -> dict[str, str]:
    headers = {}
    if reply.request_id:
        headers["request-id" if anthropic else "x-request-id"] = reply.request_id
    if reply.echo_key:
        headers |= {"request-id": echo, "x-request-id": echo, "x-echo": echo}
    return headers
