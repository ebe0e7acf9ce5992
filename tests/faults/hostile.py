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
