"""Scheduler overhead: 5000 items on 1-2 s intervals whose job is `await asyncio.sleep(0)`.

Run: python bench/scheduler.py

Starts exporter.scheduler.Scheduler (max_concurrency 64), waits for the first round and
for the random phases to settle (WARMUP_S), then measures for MEASURE_S: runs/s achieved
against the expected sum(1/interval), the scheduler's own lag values (every value it hands
to the scheduler_lag histogram, recorded here as well), skipped runs, and the CPU time
(time.process_time) per 1000 runs. On uvloop too when it is installed, in alternating
rounds (a fresh loop and scheduler each), every round shown as its own column.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Histogram
from workload import make_config

from exporter.metrics import ExporterMetrics
from exporter.scheduler import Item, Scheduler

ITEMS = 5000
INTERVALS = ("1s", "1250ms", "1500ms", "1750ms", "2s")
WARMUP_S = 3.5  # phases settle within 1.5 x the longest interval
MEASURE_S = 5.0
ROUNDS = 2


class LagTee:
    """Stands in for metrics.scheduler_lag: forwards to the real histogram and records."""

    def __init__(self, real: Histogram) -> None:
        self._real = real
        self._child = real.labels("probe")
        self.values: list[float] = []
        self.recording = False

    def labels(self, kind: str) -> LagTee:
        self._child = self._real.labels(kind)
        return self

    def observe(self, value: float) -> None:
        self._child.observe(value)
        if self.recording and len(self.values) < 1_000_000:
            self.values.append(value)


async def run() -> dict[str, float]:
    config = make_config(0, ITEMS, INTERVALS, max_concurrency=64)
    expected = sum(1 / probe.interval for probe in config.probes)
    metrics = ExporterMetrics(CollectorRegistry())
    tee = LagTee(metrics.scheduler_lag)
    metrics.scheduler_lag = tee  # type: ignore[assignment]
    runs = 0

    async def job(item: Item) -> None:
        nonlocal runs
        runs += 1
        await asyncio.sleep(0)

    scheduler = Scheduler({"probe": job}, metrics)
    started = time.perf_counter()
    scheduler.apply(config)
    try:
        await asyncio.wait_for(scheduler.ready.wait(), timeout=30)
        first_round = time.perf_counter() - started
        await asyncio.sleep(max(0.0, WARMUP_S - first_round))
        runs0, cpu0, wall0 = runs, time.process_time(), time.perf_counter()
        tee.recording = True
        await asyncio.sleep(MEASURE_S)
        tee.recording = False
        done, cpu, wall = runs - runs0, time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        await scheduler.stop()
    lags = sorted(tee.values)
    skipped = metrics.scheduler_skipped.labels("probe")._value.get()
    return {
        "first round s": first_round,
        "expected runs/s": expected,
        "achieved runs/s": done / wall,
        "achieved / expected": done / wall / expected,
        "lag p50 ms": statistics.median(lags) * 1e3,
        "lag p99 ms": lags[int(0.99 * (len(lags) - 1))] * 1e3,
        "lag max ms": lags[-1] * 1e3,
        "skipped runs": skipped,
        "CPU ms / 1000 runs": cpu / done * 1e6,
        "CPU % of one core": 100 * cpu / wall,
    }


def loops() -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    found: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {"asyncio": asyncio.new_event_loop}
    try:
        import uvloop
    except ImportError:
        print("uvloop not installed: asyncio only")
    else:
        found["uvloop"] = uvloop.new_event_loop
    return found


def main() -> None:
    rows: dict[str, dict[str, float]] = {}
    factories = loops()
    for round_ in range(1, ROUNDS + 1):
        for name, factory in factories.items():
            with asyncio.Runner(loop_factory=factory) as runner:
                rows[f"{name} #{round_}"] = runner.run(run())
    print(f"{ITEMS} items, intervals {', '.join(INTERVALS)}, job = asyncio.sleep(0), ", end="")
    print(f"max_concurrency 64; measured {MEASURE_S:.0f} s after {WARMUP_S:.1f} s warm-up")
    print(f"{'':22}" + "".join(f"{name:>12}" for name in rows))
    for key in rows["asyncio #1"]:
        print(f"{key:22}" + "".join(f"{row[key]:12.2f}" for row in rows.values()))
    if "uvloop #1" in rows:
        print("\nuvloop / asyncio (median over rounds):")
        for key in ("CPU ms / 1000 runs", "lag p50 ms", "lag p99 ms"):
            uv, aio = (median_of(rows, loop, key) for loop in ("uvloop", "asyncio"))
            print(f"  {key:22}{uv / aio:6.2f}" if aio else f"  {key:22}{'-':>6}")


def median_of(rows: dict[str, dict[str, float]], loop: str, key: str) -> float:
    return statistics.median(row[key] for name, row in rows.items() if name.startswith(loop))


if __name__ == "__main__":
    main()
