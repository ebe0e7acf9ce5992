"""Hostile upstream behaviours, one aiohttp handler each, shared by the fault suite and
bench/faults.py. Loopback only."""

from __future__ import annotations

import functools
import gzip
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
