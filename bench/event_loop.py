"""Does rendering /metrics off the event loop keep probe timing honest?

Run: python bench/event_loop.py

Serves exporter.app.create_app on 127.0.0.1 (a Runtime with no items, its State then
filled with the largest bench size) and, in alternating windows, lets a client in a
separate process scrape continuously, with Prometheus's headers (OpenMetrics, gzip),
either /metrics (as shipped: render in asyncio.to_thread) or /metrics-inline (a variant
handler added here: the same code with the render inline on the loop). Meanwhile a
sampler on the loop sleeps 1 ms over and over and records how late it wakes: that
lateness is what a probe's timer would suffer.
A third mode is the shipped handler with sys.setswitchinterval(0.001) (default 0.005): how
long the loop thread waits for the GIL while the render thread holds it.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import statistics
import sys
import time

from aiohttp import web
from prometheus_client.exposition import choose_encoder
from workload import SIZES, fill_state, make_config

from exporter.app import RUNTIME, create_app
from exporter.config import parse_config
from exporter.runtime import Runtime

WINDOW_S = 6.0  # per mode per round
ROUNDS = 2
MAX_SAMPLES = 200_000
# What Prometheus 3 sends: OpenMetrics is chosen, and the body is gzipped.
SCRAPE_HEADERS = {
    "Accept": "application/openmetrics-text;version=1.0.0;escaping=underscores,"
    "text/plain;version=1.0.0;escaping=underscores;q=0.5,*/*;q=0.1",
    "Accept-Encoding": "gzip",
}


async def metrics_inline(request: web.Request) -> web.Response:
    """exporter.app._metrics without asyncio.to_thread: the render blocks the loop."""
    registry = request.app[RUNTIME].registry
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    body = encoder(registry)
    response = web.Response(body=body, headers={"Content-Type": content_type})
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response.enable_compression(web.ContentCoding.gzip)
    return response


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


async def window(
    port: int, path: str | None, seconds: float, switch: float = 0.005
) -> tuple[list[float], list[float]]:
    """Loop lags (and scrape latencies) while a client scrapes `path` (None: idle)."""
    default_switch = sys.getswitchinterval()
    sys.setswitchinterval(switch)
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_lag(stop))
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
    sys.setswitchinterval(default_switch)
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
    app.router.add_get("/metrics-inline", metrics_inline)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        fill_state(runtime.state, make_config(pages, probes))
        port = runner.addresses[0][1]
        modes = {
            "idle": (None, 0.005),
            "to_thread (shipped)": ("/metrics", 0.005),
            "inline": ("/metrics-inline", 0.005),
            "to_thread, switch 1ms": ("/metrics", 0.001),
        }
        results: dict[str, tuple[list[float], list[float], float]] = {
            m: ([], [], 0.0) for m in modes
        }
        await window(port, "/metrics", 1.0)  # warm-up
        plan = [("idle", 2.0)] + [(m, WINDOW_S) for m in list(modes)[1:]] * ROUNDS
        for mode, seconds in plan:  # alternating, so drift hits both modes alike
            started = time.perf_counter()
            path, switch = modes[mode]
            lags, scrapes = await window(port, path, seconds, switch)
            old = results[mode]
            elapsed = old[2] + time.perf_counter() - started
            results[mode] = (old[0] + lags, old[1] + scrapes, elapsed)
    finally:
        await runner.cleanup()
    rows = {mode: summary(*results[mode]) for mode in modes}
    print(f"state ({pages}, {probes}); {ROUNDS} alternating windows of {WINDOW_S:.0f} s per mode")
    print("lag percentiles are per wake-up: a stalled loop wakes rarely, so see 'time in stalls'")
    print(f"{'':24}" + "".join(f"{mode:>22}" for mode in rows))
    for key in rows["idle"]:
        print(f"{key:24}" + "".join(f"{row[key]:>22.1f}" for row in rows.values()))
    thread = rows["to_thread (shipped)"]
    print("\nratio to the shipped to_thread handler:  inline  switch 1ms")
    for key in ("lag p50 ms", "lag max ms", "time in stalls >10ms %", "scrape p50 ms"):
        ratios = [rows[mode][key] / thread[key] for mode in ("inline", "to_thread, switch 1ms")]
        print(f"  {key:38}" + "".join(f"{r:8.2f}" for r in ratios))


if __name__ == "__main__":
    asyncio.run(main())
