"""Polite fetching: bounded decompression, Retry-After, conditional requests (ETag and
Last-Modified), against real aiohttp servers on loopback (never the internet)."""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import itertools
import json
import time
import tracemalloc
import zlib
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from random import Random
from typing import Any

import httpx
import pytest
import yaml
from aiohttp import web
from prometheus_client import CollectorRegistry

from exporter import sources
from exporter.config import StatusPageConfig, load_config, parse_config
from exporter.errors import PollFailed
from exporter.metrics import ExporterMetrics
from exporter.models import PollError
from exporter.runtime import Runtime
from exporter.scheduler import Item, Scheduler
from exporter.sources.backoff import MAX_BACKOFF, backoff_delay, parse_retry_after
from exporter.sources.client import PollClient, new_poll_client
from exporter.sources.decoding import BoundedDecoder, DecodingFailed, LimitExceeded
from exporter.sources.fetch import get_json
from exporter.sources.revalidate import ResponseStore, Stored
from tests.tools import serving

FIXTURES = Path(__file__).parent / "fixtures" / "statuspage"

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
    async with serving(sim.app()) as base:
        yield sim, base


@pytest.fixture
async def client() -> AsyncIterator[PollClient]:
    async with PollClient(httpx.AsyncClient(trust_env=False)) as c:
        yield c


async def _failure(client: PollClient, url: str, **kwargs: Any) -> PollFailed:
    with pytest.raises(PollFailed) as caught:
        await get_json(client, url, timeout=5.0, **kwargs)
    return caught.value


# --- decompression is bounded ------------------------------------------------------


async def test_a_gzip_bomb_is_too_large_quickly_without_expanding_it(
    client: PollClient, server: tuple[Server, str]
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
    client: PollClient, server: tuple[Server, str], kind: str
) -> None:
    _, base = server
    assert await get_json(client, f"{base}/deflate/{kind}", timeout=5.0) == DOCUMENT


async def test_a_coding_that_was_not_offered_is_invalid_json(
    client: PollClient, server: tuple[Server, str]
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
    async with PollClient(httpx.AsyncClient(event_hooks={"request": [record]})) as c:
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
    client: PollClient, server: tuple[Server, str], code: int, reason: str
) -> None:
    sim, base = server
    error = await _failure(client, f"{base}/status/{code}")
    assert (error.reason.value, error.retry_after) == (reason, 30.0)
    sim.retry_after = email.utils.formatdate(time.time() + 600, usegmt=True)
    error = await _failure(client, f"{base}/status/{code}")
    assert error.retry_after is not None and 590 <= error.retry_after <= 600


async def test_retry_after_on_other_statuses_is_ignored(
    client: PollClient, server: tuple[Server, str]
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


# --- conditional requests ------------------------------------------------------------

SUMMARY = (FIXTURES / "operational.json").read_bytes()  # a real summary.json's shape


class Validating:
    """A page that honours If-None-Match or If-Modified-Since, counting full bodies sent.

    `validator` is "etag", "last-modified" or "none"; `version` changes the page."""

    def __init__(self, validator: str, *, gzip_body: bool = False) -> None:
        self.validator = validator
        self.gzip_body = gzip_body
        self.version = 1
        self.bodies = 0
        self.not_modified = 0
        self.wire_bytes = 0  # body bytes actually sent
        self.extra_headers: dict[str, str] = {}
        self.seen: list[dict[str, str]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v2/summary.json", self.summary)
        app.router.add_get("/moved/api/v2/summary.json", self.moved)
        return app

    def _validators(self) -> dict[str, str]:
        if self.validator == "etag":
            return {"ETag": f'"v{self.version}"'}
        if self.validator == "last-modified":
            return {"Last-Modified": email.utils.formatdate(NOW + self.version, usegmt=True)}
        return {}

    async def summary(self, request: web.Request) -> web.Response:
        self.seen.append(dict(request.headers))
        validators = self._validators()
        asked = request.headers.get("If-None-Match") or request.headers.get("If-Modified-Since")
        if asked and asked in validators.values():
            self.not_modified += 1
            return web.Response(status=304, headers=validators)
        self.bodies += 1
        body = SUMMARY.replace(b"All Systems Operational", f"Version {self.version}".encode())
        headers = {"Content-Type": "application/json", **validators, **self.extra_headers}
        if self.gzip_body:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self.wire_bytes += len(body)
        return web.Response(body=body, headers=headers)

    async def moved(self, request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/api/v2/summary.json")


@pytest.fixture
async def polite() -> AsyncIterator[tuple[PollClient, ResponseStore]]:
    store = ResponseStore()
    async with new_poll_client(store=store) as c:
        yield c, store


def _page(url: str) -> StatusPageConfig:
    return StatusPageConfig.model_validate({"name": "acme", "url": url, "timeout": "2s"})


@pytest.mark.parametrize("validator", ["etag", "last-modified"])
async def test_a_304_reuses_the_stored_page_and_is_a_successful_poll(
    polite: tuple[PollClient, ResponseStore], validator: str
) -> None:
    client, store = polite
    sim = Validating(validator)
    async with serving(sim.app()) as base:
        snapshots = [await sources.poll(client, _page(base)) for _ in range(5)]
    assert (sim.bodies, sim.not_modified) == (1, 4)
    assert all(s == snapshots[0] for s in snapshots)
    assert snapshots[0].description == "Version 1"
    conditional = {"etag": "if-none-match", "last-modified": "if-modified-since"}[validator]
    assert conditional not in {k.lower() for k in sim.seen[0]}
    assert all(conditional in {k.lower() for k in seen} for seen in sim.seen[1:])
    assert (store.not_modified, store.saved_bytes) == (4, 4 * sim.wire_bytes)


async def test_a_changed_page_is_fetched_again_and_its_new_validator_kept(
    polite: tuple[PollClient, ResponseStore],
) -> None:
    client, _ = polite
    sim = Validating("etag")
    async with serving(sim.app()) as base:
        assert (await sources.poll(client, _page(base))).description == "Version 1"
        sim.version = 2
        assert (await sources.poll(client, _page(base))).description == "Version 2"
        assert (await sources.poll(client, _page(base))).description == "Version 2"
    assert (sim.bodies, sim.not_modified) == (2, 1)
    assert sim.seen[-1]["If-None-Match"] == '"v2"'


async def test_the_store_keeps_the_compressed_body_and_counts_wire_bytes_saved(
    polite: tuple[PollClient, ResponseStore],
) -> None:
    client, store = polite
    sim = Validating("etag", gzip_body=True)
    async with serving(sim.app()) as base:
        first = await sources.poll(client, _page(base))
        assert await sources.poll(client, _page(base)) == first
    assert sim.wire_bytes < len(SUMMARY)  # gzip on the wire
    assert store.total_bytes == sim.wire_bytes
    assert store.saved_bytes == sim.wire_bytes


async def test_measured_bytes_saved_over_an_hour_of_polls(
    polite: tuple[PollClient, ResponseStore],
) -> None:
    """60 polls of an unchanged page (an hour at the default 60s interval)."""
    client, store = polite
    plain, etag = Validating("none"), Validating("etag")
    async with serving(plain.app()) as base:
        for _ in range(60):
            await sources.poll(client, _page(base))
    async with serving(etag.app()) as base:
        for _ in range(60):
            await sources.poll(client, _page(base))
    assert plain.wire_bytes == 60 * len(SUMMARY.replace(b"All Systems Operational", b"Version 1"))
    assert etag.wire_bytes == plain.wire_bytes // 60  # one body, then 59 x 304
    assert store.saved_bytes == plain.wire_bytes - etag.wire_bytes


@pytest.mark.parametrize(
    "extra", [{"Cache-Control": "no-store"}, {"Cache-Control": "private, No-Store"}]
)
async def test_no_store_is_respected(
    polite: tuple[PollClient, ResponseStore], extra: dict[str, str]
) -> None:
    client, store = polite
    sim = Validating("etag")
    sim.extra_headers = extra
    async with serving(sim.app()) as base:
        for _ in range(3):
            await sources.poll(client, _page(base))
    assert (sim.bodies, sim.not_modified, len(store)) == (3, 0, 0)


async def test_a_page_without_validators_is_not_stored(
    polite: tuple[PollClient, ResponseStore],
) -> None:
    client, store = polite
    sim = Validating("none")
    async with serving(sim.app()) as base:
        await sources.poll(client, _page(base))
        await sources.poll(client, _page(base))
    assert (sim.bodies, len(store)) == (2, 0)


async def test_revalidation_follows_a_redirect(
    polite: tuple[PollClient, ResponseStore],
) -> None:
    client, _ = polite
    sim = Validating("etag")
    async with serving(sim.app()) as base:
        for _ in range(3):
            await sources.poll(client, _page(base + "/moved"))
    assert (sim.bodies, sim.not_modified) == (1, 2)


async def test_a_client_without_a_store_sends_plain_requests() -> None:
    sim = Validating("etag")
    async with new_poll_client() as client, serving(sim.app()) as base:
        await sources.poll(client, _page(base))
        await sources.poll(client, _page(base))
    assert (sim.bodies, sim.not_modified) == (2, 0)


async def test_a_body_abandoned_half_way_is_not_stored(
    polite: tuple[PollClient, ResponseStore],
) -> None:
    client, store = polite
    sim = Validating("etag")
    async with serving(sim.app()) as base:
        with pytest.raises(PollFailed):
            await get_json(client, base + "/api/v2/summary.json", timeout=2.0, max_bytes=100)
    assert len(store) == 0


def test_the_store_is_bounded() -> None:
    store = ResponseStore(max_entries=3, max_total_bytes=250, max_entry_bytes=100)
    for i in range(5):
        store.put((f"u{i}", "", ""), Stored((), b"x" * 80))
    assert len(store) == 3 and store.total_bytes == 240
    store.put(("big", "", ""), Stored((), b"x" * 101))  # over max_entry_bytes: not kept
    assert store.get(("big", "", "")) is None
    store.put(("u9", "", ""), Stored((), b"x" * 100))
    assert store.total_bytes <= 250
    assert store.get(("u0", "", "")) is None  # least recently used went first


# --- the scheduler honours the pause a poll asks for --------------------------------


class Limited:
    """A page that always answers 429, with `retry_after` unless it is None."""

    def __init__(self, retry_after: str | None) -> None:
        self.retry_after = retry_after
        self.hits = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v2/summary.json", self.summary)
        return app

    async def summary(self, request: web.Request) -> web.Response:
        self.hits += 1
        headers = {} if self.retry_after is None else {"Retry-After": self.retry_after}
        return web.Response(status=429, headers=headers)


async def _run_exporter(base: str, seconds: float, tmp_path: Path, sim: Limited) -> Runtime:
    path = tmp_path / "statusprobe.yml"
    raw = {"status_pages": [{"name": "acme", "url": base, "interval": "200ms"}]}
    path.write_text(yaml.safe_dump(raw))
    runtime = Runtime(load_config(path), path)
    await runtime.start()
    try:
        await asyncio.sleep(seconds)
        # A poll the page has just answered is cancelled by the stop before it records
        # its result; let it record (its answer is instant; at most 0.5 s), so what the
        # page counted and what the state counted compare.
        deadline = time.monotonic() + 0.5
        while _recorded(runtime) < sim.hits and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
    finally:
        await runtime.stop()
    return runtime


def _recorded(runtime: Runtime) -> int:
    page = runtime.state.page("acme")
    return page.error_count(PollError.RATE_LIMITED) if page is not None else 0


@pytest.mark.parametrize("form", ["seconds", "date"])
async def test_retry_after_holds_the_next_poll_back(form: str, tmp_path: Path) -> None:
    later = email.utils.formatdate(time.time() + 3, usegmt=True)
    retry_after = "1" if form == "seconds" else later
    sim = Limited(retry_after)
    async with serving(sim.app()) as base:
        runtime = await _run_exporter(base, 1.2, tmp_path, sim)
    # Every 200ms for 1.2s would be ~6 polls; Retry-After (1s, or a date 3s ahead) allows
    # the first one and at most one more.
    assert 1 <= sim.hits <= 2
    page = runtime.state.page("acme")
    assert page is not None and page.error_count(PollError.RATE_LIMITED) == sim.hits
    assert page.backoff_until is not None and page.backoff_until > time.time() - 1.2


async def test_a_bare_429_doubles_the_wait(tmp_path: Path) -> None:
    sim = Limited(None)
    async with serving(sim.app()) as base:
        await _run_exporter(base, 1.3, tmp_path, sim)
    # Waits of at least 0.4s, 0.8s after the first poll at 0s: 2 or 3 polls, not ~6.
    assert 2 <= sim.hits <= 3


async def test_the_scheduler_moves_a_paused_item_to_a_later_slot_of_its_phase() -> None:
    runs: list[float] = []

    async def job(item: Item) -> float | None:
        runs.append(loop.time())
        return 0.35 if len(runs) == 1 else None

    loop = asyncio.get_running_loop()
    scheduler = Scheduler({"page": job}, ExporterMetrics(CollectorRegistry()), rng=Random(1))
    config = parse_config(
        {"status_pages": [{"name": "a", "url": "http://x.test", "interval": "100ms"}]}
    )
    scheduler.apply(config)
    await asyncio.sleep(0.8)
    await scheduler.stop()
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    assert gaps[0] >= 0.35  # the pause was honoured ...
    assert all(0.03 < g < 0.2 for g in gaps[1:])  # ... and the cadence resumed
