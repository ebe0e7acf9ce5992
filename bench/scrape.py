"""Scrape cost by size: render time (text and OpenMetrics), series, bytes, memory, hot paths.

Run: python bench/scrape.py [--profile]

For each (pages, probes) size it builds a filled State (bench/workload.py) and measures, each
repeated and reported as median (min-max):
  * render: prometheus_client text and OpenMetrics generate_latest over the collector alone,
    and collect() alone (the collector's share; the rest is the encoder);
  * series (samples) and bytes of one exposition, plain and gzip (what Prometheus receives);
  * memory (tracemalloc): the config, the filled State, and the transient peak of one render;
  * State.record_probe (once per probe run) and State.snapshot() (once per scrape);
  * the garbage collector's pauses during one text render (they hold the GIL, so they stall
    the event loop even when the render runs in a thread).
--profile prints the top cProfile hotspots of one text render at the largest size.
"""

from __future__ import annotations

import cProfile
import gc
import gzip
import pstats
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
from workload import SIZES, fill_state, make_config, make_result

from exporter.collector import StatusprobeCollector
from exporter.state import State

MB = 1024 * 1024


def timings(fn: Callable[[], object], repeats: int, inner: int = 1) -> list[float]:
    """Seconds per call of fn, one value per repeat (each the mean of `inner` calls)."""
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        out.append((time.perf_counter() - start) / inner)
    return out


def fmt(values: list[float], scale: float, digits: int = 1) -> str:
    med, lo, hi = statistics.median(values), min(values), max(values)
    return f"{med * scale:.{digits}f} ({lo * scale:.{digits}f}-{hi * scale:.{digits}f})"


def gc_pauses(fn: Callable[[], object]) -> tuple[int, float, float]:
    """Full (gen 2) collections during fn(), total and longest pause of all collections."""
    pauses: list[tuple[int, float]] = []
    started = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((info["generation"], time.perf_counter() - started[0]))

    gc.callbacks.append(callback)
    try:
        fn()
    finally:
        gc.callbacks.remove(callback)
    full = sum(1 for generation, _ in pauses if generation == 2)
    return full, sum(p for _, p in pauses), max((p for _, p in pauses), default=0.0)


def memory(pages: int, probes: int) -> tuple[float, float, float, float]:
    """MB: config, filled State (steady), peak while filling, transient peak of one render."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    config = make_config(pages, probes)
    after_config = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    state = State()
    fill_state(state, config)
    gc.collect()
    steady, fill_peak = tracemalloc.get_traced_memory()
    registry = CollectorRegistry()
    registry.register(StatusprobeCollector(state))
    tracemalloc.reset_peak()
    before_render = tracemalloc.get_traced_memory()[0]
    generate_latest(registry)
    render_peak = tracemalloc.get_traced_memory()[1] - before_render
    tracemalloc.stop()
    return (
        (after_config - base) / MB,
        (steady - after_config) / MB,
        (fill_peak - after_config) / MB,
        render_peak / MB,
    )


def bench_size(pages: int, probes: int) -> dict[str, str]:
    repeats = 5 if probes <= 1000 else 3
    config = make_config(pages, probes)
    state = State()
    fill_state(state, config)
    collector = StatusprobeCollector(state)
    registry = CollectorRegistry()
    registry.register(collector)
    body = generate_latest(registry)
    series = sum(len(family.samples) for family in collector.collect())
    text_t: list[float] = []
    om_t: list[float] = []
    collect_t: list[float] = []
    for _ in range(repeats):  # interleaved, so drift hits all three alike
        text_t += timings(lambda: generate_latest(registry), 1)
        om_t += timings(lambda: generate_openmetrics(registry), 1)  # type: ignore[no-untyped-call]
        collect_t += timings(lambda: list(collector.collect()), 1)
    rng = random.Random(2)
    results = [make_result(rng, i % 10 == 0) for i in range(1000)]
    names = [p.name for p in config.probes]
    calls = iter(range(10**9))

    def record() -> None:
        i = next(calls)
        state.record_probe(names[i % len(names)], results[i % len(results)], now=1.7e9)

    record_t = timings(record, 5, inner=20_000)
    snapshot_t = timings(state.snapshot, 5, inner=max(20, 200_000 // probes))
    full_gcs, gc_total, gc_max = gc_pauses(lambda: generate_latest(registry))
    gc_text = f"{full_gcs} / {gc_total * 1e3:.0f} / {gc_max * 1e3:.0f}"
    cfg_mb, state_mb, fill_peak_mb, render_mb = memory(pages, probes)
    ratio = [o / t for o, t in zip(om_t, text_t, strict=True)]
    share = [c / t for c, t in zip(collect_t, text_t, strict=True)]
    return {
        "size (pages, probes)": f"({pages}, {probes})",
        "series": f"{series}",
        "bytes text / gzip": f"{len(body) / MB:.1f} MB / {len(gzip.compress(body)) / MB:.2f} MB",
        "render text ms": fmt(text_t, 1e3),
        "render OpenMetrics ms": fmt(om_t, 1e3),
        "OpenMetrics / text": fmt(ratio, 1, 2),
        "collect() share of text": fmt(share, 100, 0) + " %",
        "text render us/series": fmt([t / series for t in text_t], 1e6, 2),
        "State.record_probe us": fmt(record_t, 1e6, 2),
        "State.snapshot() us": fmt(snapshot_t, 1e6, 1),
        "GC in a render: full / ms / max": gc_text,
        "config MB": f"{cfg_mb:.1f}",
        "State MB steady / fill peak": f"{state_mb:.1f} / {fill_peak_mb:.1f}",
        "render transient peak MB": f"{render_mb:.1f}",
    }


def profile(pages: int, probes: int) -> None:
    state = State()
    fill_state(state, make_config(pages, probes))
    registry = CollectorRegistry()
    registry.register(StatusprobeCollector(state))
    profiler = cProfile.Profile()
    profiler.runcall(generate_latest, registry)
    print(f"\ncProfile of one text render at ({pages}, {probes}), top by own time:")
    pstats.Stats(profiler).strip_dirs().sort_stats("tottime").print_stats(12)


def main() -> None:
    started = time.perf_counter()
    rows = [bench_size(pages, probes) for pages, probes in SIZES]
    width = max(len(key) for key in rows[0])
    cols = [max(len(row[key]) for key in row) for row in rows]
    print("median (min-max) over repeats; 3 repeats at the largest size, 5 otherwise")
    for key in rows[0]:
        cells = "  ".join(row[key].rjust(col) for row, col in zip(rows, cols, strict=True))
        print(f"{key.ljust(width)}  {cells}")
    if "--profile" in sys.argv:
        profile(*SIZES[-1])
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
