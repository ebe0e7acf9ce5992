"""Does rendering /metrics off the event loop keep probe timing honest? Old vs new renderer.

Run: python bench/event_loop.py

Serves exporter.http.app.create_app on 127.0.0.1 (a Runtime with no items, its State then
filled with the largest bench size) and, in alternating windows, lets a client in a
separate process scrape continuously, with Prometheus's headers (OpenMetrics, gzip):
  * /metrics-old: the handler as it was before the native writer (exporter/exposition/),
    prometheus_client's encoder over the whole registry in asyncio.to_thread;
  * /metrics-thread: exposition.render in asyncio.to_thread, as shipped until the render
    was written in steps;
  * /metrics: as shipped, exposition.render_async, on the loop in steps of a few ms;
    scraped back to back, few entries change between two scrapes, so its line cache is
    nearly always warm;
  * /metrics-cold: the same with an empty line cache at every scrape (a new collector over
    the same State; the other collectors left out), the worst case: the first scrape after
    a start or reload, when every entry is rendered;
  * /metrics-inline: exposition.render on the loop in one go.
Meanwhile a sampler on the loop sleeps 1 ms over and over and records how late it wakes:
that lateness is what a probe's timer would suffer. In every window, idle included, a
task records probe results and page polls at the rate of 5000 probes every 30 s and 300
pages every 60 s. The GIL switch interval is 1 ms, as `statusprobe run` sets it.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import statistics
import sys
import time

from aiohttp import web
from prometheus_client.exposition import choose_encoder
from workload import SIZES, fill_state, make_config, make_result, make_snapshot

from exporter.config import Config, parse_config
from exporter.exposition.native import Exposition
from exporter.http.app import RUNTIME, create_app
from exporter.runtime import Runtime

WINDOW_S = 6.0  # per mode per round
ROUNDS = 2
MAX_SAMPLES = 200_000
SWITCH_INTERVAL = 0.001  # what `statusprobe run` sets (exporter/cli.py)
# What Prometheus 3 sends: OpenMetrics is chosen, and the body is gzipped.
SCRAPE_HEADERS = {
    "Accept": "application/openmetrics-text;version=1.0.0;escaping=underscores,"
    "text/plain;version=1.0.0;escaping=underscores;q=0.5,*/*;q=0.1",
    "Accept-Encoding": "gzip",
}
RATIOS = ("lag p50 ms", "lag p99 ms", "lag max ms", "time in stalls >10ms %", "scrape p50 ms")
MODES = {  # name: path (None: no scrapes)
    "idle": None,
    "old, to_thread": "/metrics-old",
    "new, to_thread": "/metrics-thread",
    "new, in steps (shipped)": "/metrics",
    "new cold, in steps": "/metrics-cold",
    "new, inline": "/metrics-inline",
}


def _response(request: web.Request, body: bytes, content_type: str) -> web.Response:
    response = web.Response(body=body, headers={"Content-Type": content_type})
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response.enable_compression(web.ContentCoding.gzip)
    return response


async def metrics_old(request: web.Request) -> web.Response:
    """The /metrics handler before the native writer: prometheus_client's encoder."""
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    body = await asyncio.to_thread(encoder, request.app[RUNTIME].exposition.registry)
    return _response(request, body, content_type)


async def metrics_cold(request: web.Request) -> web.Response:
    """The shipped renderer with an empty line cache: a new exposition of the same State."""
    runtime = request.app[RUNTIME]
    fresh = Exposition(runtime.state, runtime.registry)
    accept = request.headers.get("Accept", "")
    body, content_type = await fresh.render_async(accept)
    return _response(request, body, content_type)


async def metrics_thread(request: web.Request) -> web.Response:
    """The shipped renderer in a thread, as /metrics served it before the steps."""
    accept = request.headers.get("Accept", "")
    body, content_type = await asyncio.to_thread(request.app[RUNTIME].exposition.render, accept)
    return _response(request, body, content_type)


async def metrics_inline(request: web.Request) -> web.Response:
    """The shipped renderer in one go on the loop: the render blocks the loop."""
    accept = request.headers.get("Accept", "")
    body, content_type = request.app[RUNTIME].exposition.render(accept)
    return _response(request, body, content_type)


def client(port: int, path: str, seconds: float) -> None:
    """Child process: GET path until the deadline (and at most 1000 times); print latencies."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(latencies) < 1000:
        start = time.perf_counter()
        conn.request("GET", path, headers=SCRAPE_HEADERS)
        response = conn.getresponse()
        response.read()
        assert response.status == 200, response.status
        latencies.append(time.perf_counter() - start)
    conn.close()
    print(json.dumps(latencies))


async def sample_lag(stop: asyncio.Event) -> list[float]:
    lags: list[float] = []
    while not stop.is_set() and len(lags) < MAX_SAMPLES:
        start = time.perf_counter()
        await asyncio.sleep(0.001)
        lags.append(time.perf_counter() - start - 0.001)
    return lags


async def churn(runtime: Runtime, config: Config, stop: asyncio.Event) -> None:
    """Record probe results and page polls at production rates, in 10 ms steps."""
    rng = random.Random(5)
    probes, pages = config.probes, config.status_pages
    per_step = (len(probes) / 30 * 0.01, len(pages) / 60 * 0.01)  # 30 s and 60 s intervals
    owed = [0.0, 0.0]
    while not stop.is_set():
        await asyncio.sleep(0.01)
        owed = [owed[0] + per_step[0], owed[1] + per_step[1]]
        for _ in range(int(owed[0])):
            i = rng.randrange(len(probes))
            runtime.state.record_probe(probes[i].name, make_result(rng, i % 10 == 0))
        for _ in range(int(owed[1])):
            i = rng.randrange(len(pages))
            runtime.state.record_page_success(pages[i].name, make_snapshot(i))
        owed = [owed[0] % 1, owed[1] % 1]


async def window(
    port: int, path: str | None, seconds: float, runtime: Runtime, config: Config
) -> tuple[list[float], list[float]]:
    """Loop lags (and scrape latencies) while a client scrapes `path` (None: idle)."""
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_lag(stop))
    updates = asyncio.create_task(churn(runtime, config, stop))
    scrapes: list[float] = []
    if path is None:
        await asyncio.sleep(seconds)
    else:
        args = ("-c", f"import event_loop; event_loop.client({port}, {path!r}, {seconds})")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *args, stdout=asyncio.subprocess.PIPE, cwd=sys.path[0]
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout=seconds + 60)
        finally:
            if proc.returncode is None:  # timed out: stop our own child by its PID
                proc.kill()
                await proc.wait()
        if proc.returncode != 0:
            raise RuntimeError(f"scrape client exited with {proc.returncode}")
        scrapes = json.loads(out)
    stop.set()
    await updates
    return await sampler, scrapes


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def summary(lags: list[float], scrapes: list[float], seconds: float) -> dict[str, float]:
    return {
        "scrapes": len(scrapes),
        "scrape p50 ms": statistics.median(scrapes) * 1e3 if scrapes else float("nan"),
        "scrape max ms": max(scrapes, default=float("nan")) * 1e3,
        "lag samples": len(lags),
        "lag p50 ms": pct(lags, 0.5) * 1e3,
        "lag p99 ms": pct(lags, 0.99) * 1e3,
        "lag max ms": max(lags) * 1e3,
        "time in stalls >10ms %": 100 * sum(lag for lag in lags if lag > 0.01) / seconds,
    }


async def main() -> None:
    pages, probes = SIZES[-1]
    runtime = Runtime(parse_config({}), None)
    app = create_app(runtime)
    app.router.add_get("/metrics-old", metrics_old)
    app.router.add_get("/metrics-cold", metrics_cold)
    app.router.add_get("/metrics-thread", metrics_thread)
    app.router.add_get("/metrics-inline", metrics_inline)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    default_switch = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        config = make_config(pages, probes)
        fill_state(runtime.state, config, now=time.time())
        port = runner.addresses[0][1]

        results: dict[str, tuple[list[float], list[float], float]] = {
            m: ([], [], 0.0) for m in MODES
        }
        await window(port, "/metrics", 1.0, runtime, config)  # warm-up
        plan = [("idle", 2.0)] + [(m, WINDOW_S) for m in list(MODES)[1:]] * ROUNDS
        for mode, seconds in plan:  # alternating, so drift hits every mode alike
            started = time.perf_counter()
            lags, scrapes = await window(port, MODES[mode], seconds, runtime, config)
            old = results[mode]
            elapsed = old[2] + time.perf_counter() - started
            results[mode] = (old[0] + lags, old[1] + scrapes, elapsed)
    finally:
        sys.setswitchinterval(default_switch)
        await runner.cleanup()
    report(results, pages, probes)


def report(
    results: dict[str, tuple[list[float], list[float], float]], pages: int, probes: int
) -> None:
    rows = {mode: summary(*results[mode]) for mode in MODES}
    print(f"state ({pages}, {probes}); {ROUNDS} alternating windows of {WINDOW_S:.0f} s per mode")
    print(f"GIL switch interval {SWITCH_INTERVAL * 1e3:.0f} ms; state updated at production rates")
    print("lag percentiles are per wake-up: a stalled loop wakes rarely, so see 'time in stalls'")
    print(f"{'':24}" + "".join(f"{mode:>26}" for mode in rows))
    for key in rows["idle"]:
        print(f"{key:24}" + "".join(f"{row[key]:>26.1f}" for row in rows.values()))
    old = rows["old, to_thread"]
    others = list(MODES)[2:]
    print(f"\n{'ratio to the old handler':28}" + "".join(f"{mode:>26}" for mode in others))
    for key in RATIOS:
        cells = [rows[mode][key] / old[key] if old[key] else float("nan") for mode in others]
        print(f"  {key:26}" + "".join(f"{r:>26.3f}" for r in cells))


if __name__ == "__main__":
    asyncio.run(main())
