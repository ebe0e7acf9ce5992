"""Hostile upstream behaviours, one aiohttp handler each, shared by the fault suite and
bench/faults.py. Loopback only."""

from __future__ import annotations

import asyncio
import functools
import gzip
import socket
import struct
import zlib

from aiohttp import web

BOMB_EXPANDS_TO = 128 << 20  # bytes the stacked-gzip bomb decodes to


@functools.cache
def stacked_gzip_bomb() -> bytes:
    """`Content-Encoding: gzip, gzip` of 128 MiB of zeros: under 1 KB on the wire."""
    inner = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    chunk = bytes(1 << 20)
    layer = b"".join(inner.compress(chunk) for _ in range(BOMB_EXPANDS_TO >> 20)) + inner.flush()
    return gzip.compress(layer)


def _bomb(status: int, content_type: str, coding: str = "gzip, gzip") -> web.Response:
    return web.Response(
        body=stacked_gzip_bomb(),
        status=status,
        headers={"Content-Encoding": coding, "Content-Type": content_type},
    )


async def bomb_ok(request: web.Request) -> web.Response:
    return _bomb(200, "text/plain")


async def bomb_error(request: web.Request) -> web.Response:
    return _bomb(500, "application/json")


async def bomb_stream(request: web.Request) -> web.Response:
    return _bomb(200, "text/event-stream")


async def bomb_models(request: web.Request) -> web.Response:
    return _bomb(200, "application/json")


async def brotli_claimed(request: web.Request) -> web.Response:
    return _bomb(200, "text/plain", coding="br")


def decoding_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/bomb", bomb_ok)
    app.router.add_get("/error-bomb", bomb_error)
    app.router.add_post("/anthropic/v1/messages", bomb_stream)
    app.router.add_get("/openai/v1/models", bomb_models)
    app.router.add_get("/br", brotli_claimed)
    return app


# --- payloads that cost seconds to parse (fault 2) -------------------------------------


@functools.cache
def large_feed(items: int = 5000) -> bytes:
    entries = "".join(
        f"<item><title>Elevated errors on API {i}</title><link>https://status.example/{i}</link>"
        f"<guid>inc-{i}</guid><pubDate>Sat, 01 Nov 2026 10:{i % 60:02d}:00 GMT</pubDate>"
        f"<description>Resolved - all good {i}</description></item>"
        for i in range(items)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Example status</title>'
        f"<link>https://status.example</link>{entries}</channel></rss>"
    ).encode()


@functools.cache
def nested_rss(depth: int = 50000) -> bytes:
    """An `<rss>` root around deeply nested elements: not a feed."""
    return b'<rss version="2.0"><channel>' + b"<a>" * depth + b"</a>" * depth + b"</channel></rss>"


@functools.cache
def huge_statuspage(components: int = 30000) -> bytes:
    import json

    return json.dumps(
        {
            "page": {"id": "x", "name": "Huge", "updated_at": "2026-11-01T10:00:00Z"},
            "status": {"indicator": "none", "description": "All Systems Operational"},
            "components": [
                {"id": f"c{i}", "name": f"Component {i}", "status": "operational"}
                for i in range(components)
            ],
            "incidents": [],
            "scheduled_maintenances": [],
        }
    ).encode()


async def serve_large_feed(request: web.Request) -> web.Response:
    return web.Response(body=large_feed(), content_type="application/rss+xml")


async def serve_nested_rss(request: web.Request) -> web.Response:
    return web.Response(body=nested_rss(), content_type="application/rss+xml")


async def serve_huge_statuspage(request: web.Request) -> web.Response:
    return web.Response(body=huge_statuspage(), content_type="application/json")


async def serve_regex_bait(request: web.Request) -> web.Response:
    return web.Response(text="a" * (64 * 1024), content_type="text/plain")


def parsing_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/large.rss", serve_large_feed)
    app.router.add_get("/nested.rss", serve_nested_rss)
    app.router.add_get("/huge/api/v2/summary.json", serve_huge_statuspage)
    app.router.add_get("/regex-bait", serve_regex_bait)
    return app


# --- the faults that held before (HTML with 200, truncated JSON, endless bodies, ...) --

HOLD = 30.0  # seconds a hanging handler waits at most; the client's timeout ends it first


async def html_200(request: web.Request) -> web.Response:
    return web.Response(
        text="<html><body>Checking your browser…</body></html>", content_type="text/html"
    )


async def truncated_json(request: web.Request) -> web.Response:
    return web.Response(
        text='{"page": {"id": "x"}, "status": {"indic', content_type="application/json"
    )


async def endless(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    chunk = b"[" * 65536
    for _ in range(10_000):  # 640 MB at most; the client stops at its cap long before
        await response.write(chunk)
    return response


async def drip(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    for _ in range(int(HOLD * 10)):
        await response.write(b" ")
        await asyncio.sleep(0.1)
    return response


async def hang(request: web.Request) -> web.Response:
    await asyncio.sleep(HOLD)
    return web.Response(status=504)


async def reset(request: web.Request) -> web.Response:
    transport = request.transport
    assert transport is not None
    sock = transport.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()  # RST, no answer
    await asyncio.sleep(HOLD)
    return web.Response()


async def redirect_loop(request: web.Request) -> web.Response:
    raise web.HTTPFound(str(request.url))


async def sse_stall(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(b'event: message_start\ndata: {"type": "message_start"}\n\n')
    await asyncio.sleep(HOLD)
    return response


async def sse_garbage(request: web.Request) -> web.Response:
    return web.Response(body=bytes(range(256)) * 64, content_type="text/event-stream")


def held_app() -> web.Application:
    app = web.Application()
    for path, handler in {
        "/html/api/v2/summary.json": html_200,
        "/truncated/api/v2/summary.json": truncated_json,
        "/endless/api/v2/summary.json": endless,
        "/drip/api/v2/summary.json": drip,
        "/hang/api/v2/summary.json": hang,
        "/reset/api/v2/summary.json": reset,
        "/loop/api/v2/summary.json": redirect_loop,
    }.items():
        app.router.add_get(path, handler)
    app.router.add_post("/stall/v1/messages", sse_stall)
    app.router.add_post("/garbage/v1/messages", sse_garbage)
    return app
