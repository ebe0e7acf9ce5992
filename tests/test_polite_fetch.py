"""Polite fetching: bounded decompression, Retry-After, conditional requests (ETag and
Last-Modified), against real aiohttp servers on loopback (never the internet)."""

from __future__ import annotations

import email.utils
import gzip
import json
import time
import tracemalloc
import zlib
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from exporter.errors import PollFailed
from exporter.models import PollError
from exporter.sources.backoff import MAX_BACKOFF, backoff_delay, parse_retry_after
from exporter.sources.decoding import BoundedDecoder, DecodingFailed, LimitExceeded
from exporter.sources.fetch import get_json

MiB = 1024 * 1024
NOW = 1_777_000_000.0


def _gzip_bomb(expanded_mib: int) -> bytes:
    """A gzip body of zeros: ~1 KiB on the wire per MiB it expands to."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = b"\0" * MiB
    return b"".join(
        [compressor.compress(zeros) for _ in range(expanded_mib)] + [compressor.flush()]
    )


BOMB = _gzip_bomb(256)
DOCUMENT = {"status": {"indicator": "none"}, "padding": "abc" * 2000}


class Server:
    """Routes for the fetch tests; `bodies` counts the full bodies each path sent."""

    def __init__(self) -> None:
        self.bodies: Counter[str] = Counter()
        self.retry_after = "30"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/bomb", self.bomb)
        app.router.add_get("/deflate/{kind}", self.deflate)
        app.router.add_get("/br", self.brotli)
        app.router.add_get("/status/{code}", self.status)
        return app

    async def bomb(self, request: web.Request) -> web.Response:
        headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
        return web.Response(body=BOMB, headers=headers)

    async def deflate(self, request: web.Request) -> web.Response:
        raw = json.dumps(DOCUMENT).encode()
        if request.match_info["kind"] == "zlib":
            body = zlib.compress(raw)
        else:  # raw deflate, without the zlib wrapper, as some servers send it
            compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
            body = compressor.compress(raw) + compressor.flush()
        return web.Response(body=body, headers={"Content-Encoding": "deflate"})

    async def brotli(self, request: web.Request) -> web.Response:
        return web.Response(body=b"\x0b\x02\x80{}\x03", headers={"Content-Encoding": "br"})

    async def status(self, request: web.Request) -> web.Response:
        return web.Response(
            status=int(request.match_info["code"]), headers={"Retry-After": self.retry_after}
        )


@pytest.fixture
async def server() -> AsyncIterator[tuple[Server, str]]:
    sim = Server()
    test_server = TestServer(sim.app(), host="127.0.0.1")
    await test_server.start_server()
    try:
        yield sim, str(test_server.make_url("")).rstrip("/")
    finally:
        await test_server.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as c:
        yield c


async def _failure(client: httpx.AsyncClient, url: str, **kwargs: Any) -> PollFailed:
    with pytest.raises(PollFailed) as caught:
        await get_json(client, url, timeout=5.0, **kwargs)
    return caught.value


# --- decompression is bounded ------------------------------------------------------


async def test_a_gzip_bomb_is_too_large_quickly_without_expanding_it(
    client: httpx.AsyncClient, server: tuple[Server, str]
) -> None:
    _, base = server
    assert len(BOMB) < MiB // 2  # 256 MiB of zeros, in about 256 KiB
    tracemalloc.start()
    try:
        started = time.monotonic()
        error = await _failure(client, base + "/bomb", max_bytes=MiB)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (error.reason, error.detail) == (PollError.TOO_LARGE, f"the body exceeds {MiB} bytes")
    assert elapsed < 2.0
    # httpx's own decoder held ~64 MiB per network chunk here; ours about the cap.
    assert peak < 4 * MiB, f"peak {peak / MiB:.1f} MiB"


def test_the_decoder_never_holds_much_more_than_the_limit() -> None:
    decoder = BoundedDecoder("gzip", 10 * MiB)
    with pytest.raises(LimitExceeded):
        decoder.feed(BOMB)
    assert len(decoder.finish()) <= 10 * MiB + 64 * 1024


def test_the_encoded_size_is_capped_too() -> None:
    # Bytes after the end of a gzip stream decode to nothing but still count.
    decoder = BoundedDecoder("gzip", 1000)
    decoder.feed(gzip.compress(b"{}"))
    with pytest.raises(LimitExceeded):
        decoder.feed(b"\0" * 1000)


def test_identity_and_stacked_codings_decode() -> None:
    for coding, body in [
        ("", b"{}"),
        ("identity", b"{}"),
        ("gzip", gzip.compress(b"{}")),
        ("x-gzip", gzip.compress(b"{}")),
        ("deflate, gzip", gzip.compress(zlib.compress(b"{}"))),
    ]:
        decoder = BoundedDecoder(coding, 1000)
        decoder.feed(body)
        assert decoder.finish() == b"{}", coding


def test_a_body_split_into_single_bytes_decodes() -> None:
    decoder = BoundedDecoder("gzip", MiB)
    for byte in gzip.compress(json.dumps(DOCUMENT).encode()):
        decoder.feed(bytes([byte]))
    assert json.loads(decoder.finish()) == DOCUMENT


@pytest.mark.parametrize("kind", ["zlib", "raw"])
async def test_deflate_with_or_without_the_zlib_wrapper_decodes(
    client: httpx.AsyncClient, server: tuple[Server, str], kind: str
) -> None:
    _, base = server
    assert await get_json(client, f"{base}/deflate/{kind}", timeout=5.0) == DOCUMENT


async def test_a_coding_that_was_not_offered_is_invalid_json(
    client: httpx.AsyncClient, server: tuple[Server, str]
) -> None:
    _, base = server
    error = await _failure(client, base + "/br")
    assert (error.reason, error.detail) == (
        PollError.INVALID_JSON,
        "the body's content encoding is corrupt",
    )
    with pytest.raises(DecodingFailed):
        BoundedDecoder("gzip, br", 1000)


async def test_only_gzip_and_deflate_are_offered(server: tuple[Server, str]) -> None:
    seen: list[str] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request.headers["accept-encoding"])

    _, base = server
    async with httpx.AsyncClient(event_hooks={"request": [record]}) as c:
        await get_json(c, f"{base}/deflate/zlib", timeout=5.0)
    assert seen == ["gzip, deflate"]


# --- Retry-After -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        (email.utils.formatdate(NOW + 90, usegmt=True), 90.0),
        (email.utils.formatdate(NOW - 90, usegmt=True), 0.0),  # a date in the past: now
        (None, None),
        ("", None),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00", None),  # no zone: not an HTTP-date
    ],
)
def test_retry_after_is_seconds_or_an_http_date(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(("code", "reason"), [(429, "rate_limited"), (503, "http_error")])
async def test_429_and_503_carry_retry_after(
    client: httpx.AsyncClient, server: tuple[Server, str], code: int, reason: str
) -> None:
    sim, base = server
    error = await _failure(client, f"{base}/status/{code}")
    assert (error.reason.value, error.retry_after) == (reason, 30.0)
    sim.retry_after = email.utils.formatdate(time.time() + 600, usegmt=True)
    error = await _failure(client, f"{base}/status/{code}")
    assert error.retry_after is not None and 590 <= error.retry_after <= 600


async def test_retry_after_on_other_statuses_is_ignored(
    client: httpx.AsyncClient, server: tuple[Server, str]
) -> None:
    _, base = server
    assert (await _failure(client, f"{base}/status/500")).retry_after is None


def test_backoff_honours_retry_after_within_an_hour() -> None:
    limited = PollFailed(PollError.RATE_LIMITED, "HTTP 429", retry_after=30.0)
    assert backoff_delay(limited, interval=60.0, streak=1) == 30.0
    huge = PollFailed(PollError.HTTP_ERROR, "HTTP 503", retry_after=86400.0)
    assert backoff_delay(huge, interval=60.0, streak=0) == MAX_BACKOFF == 3600.0


def test_a_429_without_retry_after_doubles_the_wait() -> None:
    bare = PollFailed(PollError.RATE_LIMITED, "HTTP 429")
    waits = [backoff_delay(bare, interval=60.0, streak=n) for n in range(1, 7)]
    assert waits == [120.0, 240.0, 480.0, 960.0, 1920.0, 3600.0]


def test_other_failures_keep_the_interval() -> None:
    assert (
        backoff_delay(PollFailed(PollError.HTTP_ERROR, "HTTP 503"), interval=60, streak=0) is None
    )
    assert backoff_delay(PollFailed(PollError.TIMEOUT, "slow"), interval=60, streak=0) is None
