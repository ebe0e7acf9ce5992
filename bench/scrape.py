"""Scrape cost by size, prometheus_client's encoders vs the native exposition, side by side.

Run: python bench/scrape.py [--profile]

For each (pages, probes) size it builds a filled State (bench/workload.py) and measures,
each repeated and reported as median (min-max), all renders of one repeat interleaved:
  * render time, Prometheus text and OpenMetrics, of the StatusprobeCollector:
      - old: prometheus_client's generate_latest over its metric families (what /metrics
        served before the native writer, and what it still serves for other formats);
      - new, cold: exposition.render with an empty line cache (the first scrape, or the
        first after a reload: every entry rendered);
      - new, warm: nothing changed since the last scrape (every entry from the cache);
      - new, steady: since the last scrape half the probes ran and a quarter of the pages
        were polled (scraping every 15 s, probes every 30 s, pages every 60 s);
    and the ratios old / new;
  * series (samples) and bytes of one exposition, plain and gzip (what Prometheus receives);
  * memory (tracemalloc): the config, the filled State, the transient peak of one render
    (old and new, the body included) and what the line cache keeps between scrapes;
  * garbage collections during one text render, old and new (they hold the GIL, so they
    stall the event loop even when the render runs in a thread);
  * State.record_probe (once per probe run) and State.snapshot() (once per scrape).
The new renders are checked byte for byte against the old ones once per size.
--profile prints the top cProfile hotspots of one old and one new (cold) text render at
the largest size.
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
from workload import FILLED_AT, SIZES, fill_state, make_config, make_result, make_snapshot

from exporter.config import Config
from exporter.exposition.collector import StatusprobeCollector
from exporter.exposition.native import Exposition
from exporter.state import State

MB = 1024 * 1024
NOW = FILLED_AT + 60  # the scrape's clock: every page fresh
OPENMETRICS = "application/openmetrics-text;version=1.0.0;escaping=underscores"
FORMATS = {"text": "", "OpenMetrics": OPENMETRICS}


def registry_of(state: State) -> tuple[CollectorRegistry, StatusprobeCollector]:
    """A prometheus_client registry holding a collector over `state` (the old path)."""
    collector = StatusprobeCollector(state, clock=lambda: NOW)
    registry = CollectorRegistry()
    registry.register(collector)
    return registry, collector


def exposition_of(state: State) -> Exposition:
    """A new exposition (so an empty line cache) over `state`, with no other collectors."""
    return Exposition(state, CollectorRegistry(), clock=lambda: NOW)


def render(exposition: Exposition, accept: str) -> tuple[bytes, str]:
    return exposition.render(accept)


def timed(fn: Callable[..., object], *args: object) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


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


def ratio(old: list[float], new: list[float]) -> str:
    return fmt([o / n for o, n in zip(old, new, strict=True)], 1, 1) + "x"


def churn(state: State, config: Config, rng: random.Random) -> None:
    """What 15 s bring: half the probes (30 s) ran once, a quarter of the pages (60 s) polled."""
    for i, probe in enumerate(config.probes):
        if rng.random() < 0.5:
            state.record_probe(probe.name, make_result(rng, i % 10 == 0), now=NOW)
    for i, page in enumerate(config.status_pages):
        if rng.random() < 0.25:
            state.record_page_success(page.name, make_snapshot(i), now=NOW)


def gc_pauses(fn: Callable[[], object]) -> str:
    """Full (gen 2) collections during fn(), total and longest pause of all collections."""
    pauses: list[tuple[int, float]] = []
    started = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((info["generation"], time.perf_counter() - started[0]))

    gc.collect()
    gc.callbacks.append(callback)
    try:
        fn()
    finally:
        gc.callbacks.remove(callback)
    full = sum(1 for generation, _ in pauses if generation == 2)
    total, longest = sum(p for _, p in pauses), max((p for _, p in pauses), default=0.0)
    return f"{full} / {total * 1e3:.0f} / {longest * 1e3:.0f}"


def peak(fn: Callable[[], object]) -> float:
    """MB: the transient peak of fn() above what was allocated before it (tracing on)."""
    gc.collect()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    fn()
    return (tracemalloc.get_traced_memory()[1] - before) / MB


def memory(pages: int, probes: int) -> dict[str, str]:
    """Config, filled State, the transient peak of each kind of render, the cache's keep."""
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
    old, _ = registry_of(state)
    new = exposition_of(state)
    old_text = peak(lambda: generate_latest(old))
    old_om = peak(lambda: generate_openmetrics(old))  # type: ignore[no-untyped-call]
    gc.collect()
    before_cache = tracemalloc.get_traced_memory()[0]
    cold = peak(lambda: render(new, ""))
    gc.collect()
    cache = (tracemalloc.get_traced_memory()[0] - before_cache) / MB
    warm = peak(lambda: render(new, ""))
    churn(state, config, random.Random(3))
    steady_render = peak(lambda: render(new, ""))
    tracemalloc.stop()
    return {
        "config MB": f"{(after_config - base) / MB:.1f}",
        "State MB steady / fill peak": f"{(steady - after_config) / MB:.1f} / "
        f"{(fill_peak - after_config) / MB:.1f}",
        "render peak MB, old text / OM": f"{old_text:.1f} / {old_om:.1f}",
        "render peak MB, new cold/warm/steady": f"{cold:.1f} / {warm:.1f} / {steady_render:.1f}",
        "line cache kept MB": f"{cache:.1f}",
    }


def render_times(pages: int, probes: int, repeats: int) -> dict[str, list[float]]:
    """Seconds per render, by kind; one value per repeat, all kinds interleaved."""
    config = make_config(pages, probes)
    state, moving = State(), State()  # moving: the one `churn` updates between renders
    fill_state(state, config)
    fill_state(moving, config)
    rng = random.Random(2)
    old, _ = registry_of(state)
    warm = exposition_of(state)
    steady = exposition_of(moving)
    for accept in FORMATS.values():
        render(warm, accept)
    out: dict[str, list[float]] = {}
    for _ in range(repeats):
        for name, accept in FORMATS.items():
            encoder = generate_openmetrics if accept else generate_latest
            out.setdefault(f"old {name}", []).append(timed(encoder, old))
            cold = exposition_of(state)
            out.setdefault(f"cold {name}", []).append(timed(render, cold, accept))
            out.setdefault(f"warm {name}", []).append(timed(render, warm, accept))
            render(steady, accept)
            churn(moving, config, rng)
            out.setdefault(f"steady {name}", []).append(timed(render, steady, accept))
    return out


def check_identical(pages: int, probes: int) -> tuple[int, bytes]:
    """Series count and text body; raises if the native bytes differ from the old ones."""
    state = State()
    fill_state(state, make_config(pages, probes))
    registry, collector = registry_of(state)
    new = exposition_of(state)
    for accept in FORMATS.values():
        encoder = generate_openmetrics if accept else generate_latest
        assert render(new, accept)[0] == encoder(registry), "native exposition differs"
    series = sum(len(family.samples) for family in collector.collect())
    return series, generate_latest(registry)


def bench_size(pages: int, probes: int) -> dict[str, str]:
    repeats = 5 if probes <= 1000 else 3
    series, body = check_identical(pages, probes)
    t = render_times(pages, probes, repeats)
    config = make_config(pages, probes)
    state = State()
    fill_state(state, config)
    rng = random.Random(2)
    results = [make_result(rng, i % 10 == 0) for i in range(1000)]
    names = [p.name for p in config.probes]
    calls = iter(range(10**9))

    def record() -> None:
        i = next(calls)
        state.record_probe(names[i % len(names)], results[i % len(results)], now=NOW)

    record_t = timings(record, 5, inner=20_000)
    snapshot_t = timings(state.snapshot, 5, inner=max(20, 200_000 // probes))
    old, _ = registry_of(state)
    new = exposition_of(state)
    gc_old = gc_pauses(lambda: generate_latest(old))
    gc_cold = gc_pauses(lambda: render(new, ""))
    churn(state, config, rng)
    gc_steady = gc_pauses(lambda: render(new, ""))
    row = {
        "size (pages, probes)": f"({pages}, {probes})",
        "series": f"{series}",
        "bytes text / gzip": f"{len(body) / MB:.1f} MB / {len(gzip.compress(body)) / MB:.2f} MB",
    }
    for name in FORMATS:
        for kind in ("old", "cold", "warm", "steady"):
            row[f"{name}: {kind} ms"] = fmt(t[f"{kind} {name}"], 1e3)
        for kind in ("cold", "warm", "steady"):
            row[f"{name}: old / {kind}"] = ratio(t[f"old {name}"], t[f"{kind} {name}"])
    row["text us/series, old / cold"] = (
        f"{statistics.median(t['old text']) / series * 1e6:.2f} / "
        f"{statistics.median(t['cold text']) / series * 1e6:.2f}"
    )
    row["GC full/ms/max: old text"] = gc_old
    row["GC full/ms/max: new cold"] = gc_cold
    row["GC full/ms/max: new steady"] = gc_steady
    row["State.record_probe us"] = fmt(record_t, 1e6, 2)
    row["State.snapshot() us"] = fmt(snapshot_t, 1e6, 1)
    return row | memory(pages, probes)


def profile(pages: int, probes: int) -> None:
    state = State()
    fill_state(state, make_config(pages, probes))
    registry, _ = registry_of(state)
    for label, fn in (
        ("prometheus_client (old)", lambda: generate_latest(registry)),
        ("native, cold cache (new)", lambda: exposition_of(state).render("")),
    ):
        profiler = cProfile.Profile()
        profiler.runcall(fn)
        print(f"\ncProfile of one {label} text render at ({pages}, {probes}), top by own time:")
        pstats.Stats(profiler).strip_dirs().sort_stats("tottime").print_stats(10)


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
