"""The fault table: each hostile upstream next to a control page and probe, before and after.

Run: python bench/faults.py            (about 2 minutes)
     python bench/faults.py --after    (the shipped code only, about 1 minute)

Each case runs tests/faults/harness.run_fault (a healthy control page and probe every
second, /metrics scraped every 250 ms, the hostile item on loopback) for at least 3 s and
until the hostile item was counted, and prints: the counted reason, the worst /metrics
latency during the case, how many control runs happened against how many were due,
and the peak RSS growth. "before" re-creates the old code path in the same process,
side by side with "after":

  decoding  httpx's own decoder (`response.aiter_bytes()`) instead of probes/body.py
  parsing   status-page parses on the event loop (an inline executor instead of the
            parse pool) and `body_regex` with Python's `re` on the loop
  /probe    no cap on concurrent /probe polls (only the HTTP pool's 100 connections)

The other cases have no old path to switch back to: they are shown after only. Results
and the reference machine's numbers: docs/security.md.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import gc
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.setswitchinterval(0.001)  # as `statusprobe run` sets it

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402

from exporter import offload  # noqa: E402
from exporter.config import parse_config  # noqa: E402
from exporter.http import multi_target  # noqa: E402
from exporter.http.app import create_app  # noqa: E402
from exporter.probes import exchange, http, stream  # noqa: E402
from exporter.runtime import Runtime  # noqa: E402
from tests import resolver  # noqa: E402
from tests.faults import harness, hostile  # noqa: E402
from tests.faults.harness import run_fault  # noqa: E402

resolver.install()  # the unresolvable-name case never asks the system resolver

Items = Callable[[str], dict[str, Any]]


def page(name: str, path: str, provider: str = "statuspage", **extra: Any) -> Items:
    def items(base: str) -> dict[str, Any]:
        url = path if path.startswith(("http://", "https://")) else f"{base}{path}"
        entry = {"name": name, "provider": provider, "url": url, "interval": "2s"}
        return {"status_pages": [{**entry, "timeout": "1s", **extra}]}

    return items


def probe(name: str, path: str, **extra: Any) -> Items:
    def items(base: str) -> dict[str, Any]:
        entry = {"name": name, "url": f"{base}{path}", "interval": "2s", "timeout": "2s"}
        return {"probes": [{**entry, "type": "http", **extra}]}

    return items


LLM = {"api_key": "sk-test"}
CASES: list[tuple[str, str, Callable[[], web.Application], Items]] = [
    # (case, old path, app, items)
    ("gzip,gzip body", "decoding", hostile.decoding_app,
     probe("p", "/bomb", expect={"body_contains": "ok"})),
    ("gzip,gzip error body", "decoding", hostile.decoding_app, probe("p", "/error-bomb")),
    ("gzip,gzip anthropic stream", "decoding", hostile.decoding_app,
     probe("p", "/anthropic", type="anthropic", **LLM)),
    ("gzip,gzip openai models", "decoding", hostile.decoding_app,
     probe("p", "/openai", type="openai", mode="models", **LLM)),
    ("5,000-item feed", "parsing", hostile.parsing_app,
     page("p", "/large.rss", provider="feed", timeout="2s")),
    ("50,000-deep nested rss", "parsing", hostile.parsing_app,
     page("p", "/nested.rss", provider="feed", timeout="2s")),
    ("30,000-component page", "parsing", hostile.parsing_app,
     page("p", "/huge", timeout="2s")),
    ("body_regex .*x over 64 KiB", "parsing", hostile.parsing_app,
     probe("p", "/regex-bait", expect={"body_regex": ".*x"})),
    ("HTML with 200", "", hostile.held_app, page("p", "/html")),
    ("truncated JSON", "", hostile.held_app, page("p", "/truncated")),
    ("endless body", "", hostile.held_app, page("p", "/endless")),
    ("drip", "", hostile.held_app, page("p", "/drip")),
    ("hang", "", hostile.held_app, page("p", "/hang")),
    ("reset", "", hostile.held_app, page("p", "/reset")),
    ("redirect loop", "", hostile.held_app, page("p", "/loop")),
    ("unresolvable name", "", hostile.held_app, page("p", "http://status.example.invalid")),
    ("stalled SSE stream", "", hostile.held_app, probe("p", "/stall", type="anthropic", **LLM)),
    ("garbage SSE stream", "", hostile.held_app,
     probe("p", "/garbage", type="anthropic", **LLM)),
]  # fmt: skip


class _Inline(concurrent.futures.Executor):
    """Runs the work at once, on the calling thread: the event loop, as before."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


@contextlib.contextmanager
def old(path: str) -> Iterator[None]:
    saved: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, value: Any) -> None:
        saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    if path == "decoding":
        raw = lambda response, wire_limit=None: response.aiter_bytes()  # noqa: E731
        patch(exchange, "aiter_decoded", raw)
        patch(stream, "aiter_decoded", raw)
    if path == "parsing":
        patch(offload, "PARSE_POOL", _Inline())
        patch(offload, "CHECK_POOL", _Inline())
        patch(http, "body_matches", lambda pattern, text: re.search(pattern, text) is not None)
    try:
        yield
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)


def reason(runtime: Runtime) -> str:
    state = runtime.state.snapshot()
    if "p" in state.pages:
        p = state.pages["p"]
        return "up" if p.up else p.last_error.partition(":")[0] or "-"
    last = state.probes["p"].last
    return last.outcome.value if last is not None else "-"


def counted(runtime: Runtime) -> bool:
    state = runtime.state.snapshot()
    if "p" in state.pages:
        return state.pages["p"].polled
    return state.probes["p"].last is not None


FLOOD = 1000  # concurrent /probe requests, each for a different hanging target


async def probe_flood(unbounded: bool) -> tuple[float, float, int]:
    """FLOOD concurrent /probe requests for hanging targets (1 s timeout) while /metrics
    is scraped every 250 ms: worst scrape latency (from when it was due), peak RSS
    growth, and the most polls the hanging upstream saw at once. `unbounded`: the cap
    on concurrent /probe polls lifted, as before."""
    hanging = 0
    most = 0
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        nonlocal hanging, most
        hanging += 1
        most = max(most, hanging)
        try:
            await asyncio.wait_for(release.wait(), timeout=30)
        except TimeoutError:
            pass
        finally:
            hanging -= 1
        return web.Response(status=504)

    upstream_app = web.Application()
    upstream_app.router.add_get("/{tail:.*}", hang)
    upstream = TestServer(upstream_app, host="127.0.0.1")
    await upstream.start_server()
    base = str(upstream.make_url("")).rstrip("/")
    loopback = {"allowed_targets": [r"http://127\.0\.0\.1:\d+(/.*)?"], "timeout": "1s"}
    config = parse_config({"multi_target": loopback})
    saved = multi_target.MAX_CONCURRENT_POLLS
    if unbounded:
        multi_target.MAX_CONCURRENT_POLLS = 1_000_000
    server = TestServer(create_app(Runtime(config, None)), host="127.0.0.1")
    await server.start_server()
    # Two sessions without a connection limit: scrapes never queue behind the flood on
    # the client's side.
    scraper_session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    flood_session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    worst = 0.0
    stop = asyncio.Event()

    async def scrape() -> None:
        nonlocal worst
        due = time.perf_counter()
        while not stop.is_set():
            async with scraper_session.get(server.make_url("/metrics")) as response:
                await response.read()
            done = time.perf_counter()
            worst = max(worst, done - due)
            due = max(due + 0.25, done)
            await asyncio.sleep(due - done)

    try:
        harness._reset_peak()
        before = harness._status_kb("VmRSS")
        scraper = asyncio.create_task(scrape())
        await asyncio.sleep(0.5)
        url = server.make_url("/probe")

        async def one(i: int) -> int:
            params = {"target": f"{base}/hang/{i}"}
            async with flood_session.get(url, params=params) as response:
                await response.read()
                return response.status

        statuses = await asyncio.gather(*(one(i) for i in range(FLOOD)))
        stop.set()
        await scraper
        growth = (harness._status_kb("VmHWM") - before) / 1024
        assert statuses == [200] * FLOOD, statuses
        return worst, growth, most
    finally:
        multi_target.MAX_CONCURRENT_POLLS = saved
        release.set()
        await scraper_session.close()
        await flood_session.close()
        await server.close()
        await upstream.close()


async def main(after_only: bool) -> None:
    header = ("case", "code", "reason", "worst scrape", "control runs/due", "RSS growth")
    rows = [header]
    for case, path, app, items in CASES:
        for label in ("before", "after") if path and not after_only else ("after",):
            with old(path) if label == "before" else contextlib.nullcontext():
                gc.collect()
                run = await run_fault(app(), items, counted, window=3.0, max_seconds=40.0)
            runs = f"{min(run.control_polls, run.control_probes)}/{run.due:.0f}"
            rows.append(
                (
                    case,
                    label,
                    reason(run.runtime),
                    f"{run.worst_scrape * 1000:.0f} ms",
                    runs,
                    f"{run.rss_growth_mb:+.0f} MB",
                )
            )
            print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    for label in ("before", "after") if not after_only else ("after",):
        worst, growth, most = await probe_flood(unbounded=label == "before")
        runs = f"{most} polls at once"
        row = (f"{FLOOD} /probe, hanging targets", label, "timeout", f"{worst * 1000:.0f} ms",
               runs, f"{growth:+.0f} MB")  # fmt: skip
        rows.append(row)
        print(" | ".join(row), file=sys.stderr, flush=True)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--after", action="store_true", help="the shipped code only")
    asyncio.run(main(parser.parse_args().after))
