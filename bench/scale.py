"""How one statusprobe process grows with its probes, and N shards with N times as many.

Run: python bench/scale.py [--sizes 1000 10000] [--shards 1 2] [--interval 30]
                           [--warmup 90] [--seconds 45] [--scheme http]

For each size and shard count: `statusprobe run` process(es) with SIZE http probes of
the loopback target (bench/loopback.py) every INTERVAL seconds, fresh connections,
max_concurrency 64; with N shards, N processes run the same file with
`--shard.index I --shard.count N`. After a warm-up (the first round runs at once,
then every probe keeps a random phase within its interval), a window of SECONDS,
scraped every 15 s like Prometheus (OpenMetrics, gzip). Reported, summed or worst
over the shards: probes/s achieved vs due, skipped runs, scheduler lag p50/p99 (from
`statusprobe_scheduler_lag_seconds`, interpolated in its buckets as
histogram_quantile() does), CPU ms per probe and % of one core (/proc), RSS and its
peak, /metrics scrape time and size (uncompressed), the time to the first complete
round, and the full garbage collections in the window (count, median and longest pause:
bench/gc_pauses/ logs them from inside the child). Every run is bounded: the processes
are stopped by PID at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from loopback import ROOT, child, cpu_seconds, free_port, hwm_bytes, rss_bytes, targets
from probes import OPENMETRICS, _metric_sum, statusprobe_args, statusprobe_config, wait_ready

SCRAPE_EVERY_S = 15.0
LAG = "statusprobe_scheduler_lag_seconds"


@dataclass
class Scrape:
    text: str
    seconds: float
    cpu: float
    at: float  # unix time when it ended


@dataclass
class Shard:
    pid: int
    port: int
    gc_log: Path
    ready_s: float = 0.0
    first: Scrape | None = None
    last: Scrape | None = None
    scrape_s: list[float] | None = None


async def _scrape(session: aiohttp.ClientSession, shard: Shard) -> Scrape:
    headers = {"Accept": OPENMETRICS, "Accept-Encoding": "gzip"}
    began = time.perf_counter()
    async with session.get(f"http://127.0.0.1:{shard.port}/metrics", headers=headers) as r:
        text = await r.text()
    return Scrape(text, time.perf_counter() - began, cpu_seconds(shard.pid), time.time())


def _buckets(text: str) -> list[tuple[float, float]]:
    found = []
    for line in text.splitlines():
        if line.startswith(LAG + "_bucket{") and 'kind="probe"' in line:
            le = line.partition('le="')[2].partition('"')[0]
            found.append((float(le), float(line.rpartition("}")[2].split()[0])))
    return sorted(found)


def quantile(
    q: float, before: list[tuple[float, float]], after: list[tuple[float, float]]
) -> float:
    """histogram_quantile(q) over the increase between two scrapes, in seconds."""
    counts = [(le, a - b) for (le, a), (_, b) in zip(after, before, strict=True)]
    total = counts[-1][1]
    if total <= 0:
        return float("nan")
    rank = q * total
    lower, below = 0.0, 0.0
    for le, count in counts:
        if count >= rank:
            if le == float("inf"):
                return lower
            return lower + (le - lower) * (rank - below) / max(count - below, 1e-9)
        lower, below = le, count
    return lower


async def measure(shards: list[Shard], warmup: float, seconds: float, started: float) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        for shard in shards:  # all ready within 300 s of the start
            await wait_ready(session, shard.port, within=started + 300 - time.perf_counter())
            shard.ready_s = time.perf_counter() - started
        await asyncio.sleep(max(0.0, started + warmup - time.perf_counter()))
        firsts = await asyncio.gather(*(_scrape(session, s) for s in shards))
        window = time.perf_counter()
        for shard, first in zip(shards, firsts, strict=True):
            shard.first, shard.scrape_s = first, []
        while time.perf_counter() - window < seconds - 1e-3:
            pause = min(SCRAPE_EVERY_S, seconds - (time.perf_counter() - window))
            await asyncio.sleep(pause)
            lasts = await asyncio.gather(*(_scrape(session, s) for s in shards))
            for shard, last in zip(shards, lasts, strict=True):
                shard.last = last
                assert shard.scrape_s is not None
                shard.scrape_s.append(last.seconds)


def _gc_pauses(shard: Shard) -> list[float]:
    """The shard's full garbage collections in the measured window, in milliseconds."""
    assert shard.first is not None and shard.last is not None
    found = []
    if shard.gc_log.exists():
        for line in shard.gc_log.read_text().splitlines():
            at, ms = (float(x) for x in line.split())
            if shard.first.at <= at <= shard.last.at:
                found.append(ms)
    return found


def run_case(
    args: argparse.Namespace, tmp: Path, url: str, size: int, count: int
) -> dict[str, float]:
    config = statusprobe_config(tmp / f"scale-{size}.yml", url, tmp / "ca.pem", size, args.interval)
    # bench/gc_pauses/sitecustomize.py logs each full garbage collection of the child.
    pythonpath = f"{ROOT / 'bench' / 'gc_pauses'}{os.pathsep}{ROOT}"
    shards = []
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        for index in range(count):
            port = free_port()
            argv = statusprobe_args(sys.executable, config, port)
            if count > 1:
                argv += ["--shard.index", str(index), "--shard.count", str(count)]
            gc_log = tmp / f"gc{size}-{count}-{index}.log"
            env = {**os.environ, "PYTHONPATH": pythonpath, "GC_PAUSES_LOG": str(gc_log)}
            proc = stack.enter_context(child(argv, port=port, env=env, log=tmp / f"s{index}.log"))
            shards.append(Shard(proc.pid, port, gc_log))
        asyncio.run(measure(shards, args.warmup, args.seconds, started))
        rss = [rss_bytes(s.pid) for s in shards]
        hwm = [hwm_bytes(s.pid) for s in shards]
    row: dict[str, float] = {"probes": size, "shards": count}
    probes = cpu = lag_p50 = lag_p99 = skipped = wall = 0.0
    due = size / args.interval
    for shard in shards:
        assert shard.first is not None and shard.last is not None and shard.scrape_s
        a, b = shard.first.text, shard.last.text
        done = _metric_sum(b, "statusprobe_probe_results_total") - _metric_sum(
            a, "statusprobe_probe_results_total"
        )
        ok = _metric_sum(b, "statusprobe_probe_results_total", 'outcome="success"') - _metric_sum(
            a, "statusprobe_probe_results_total", 'outcome="success"'
        )
        if ok != done:
            raise RuntimeError(f"{done - ok:.0f} of {done:.0f} probes failed")
        probes += done
        cpu += shard.last.cpu - shard.first.cpu
        wall = max(wall, args.seconds)
        lag_p50 = max(lag_p50, quantile(0.5, _buckets(a), _buckets(b)))
        lag_p99 = max(lag_p99, quantile(0.99, _buckets(a), _buckets(b)))
        skipped += _metric_sum(
            b, "statusprobe_scheduler_skipped_runs_total", 'kind="probe"'
        ) - _metric_sum(a, "statusprobe_scheduler_skipped_runs_total", 'kind="probe"')
    pauses = [_gc_pauses(s) for s in shards]
    series = [
        sum(1 for line in s.last.text.splitlines() if line and line[0] != "#")
        for s in shards
        if s.last
    ]
    row.update(
        {
            "first round s": max(s.ready_s for s in shards),
            "due probes/s": due,
            "achieved probes/s": probes / wall,
            "skipped runs": skipped,
            "lag p50 ms (worst shard)": lag_p50 * 1e3,
            "lag p99 ms (worst shard)": lag_p99 * 1e3,
            "CPU ms / probe": cpu / probes * 1e3,
            "CPU % of a core (sum)": 100 * cpu / wall,
            "RSS MB (per shard, max)": max(rss) / 1e6,
            "peak RSS MB (max)": max(hwm) / 1e6,
            "scrape ms median (max shard)": max(
                sorted(s.scrape_s)[len(s.scrape_s) // 2] for s in shards if s.scrape_s
            )
            * 1e3,
            "series per scrape (max shard)": max(series),
            "/metrics MB (max shard)": max(len(s.last.text) for s in shards if s.last) / 1e6,
            "full GCs in window (max shard)": max(len(p) for p in pauses),
            "full GC ms median (worst shard)": max(
                (sorted(p)[len(p) // 2] for p in pauses if p), default=0.0
            ),
            "full GC ms max (worst shard)": max((max(p) for p in pauses if p), default=0.0),
        }
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--shards", type=int, nargs="+", default=[1])
    parser.add_argument("--interval", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=90.0)
    parser.add_argument("--seconds", type=float, default=45.0)
    parser.add_argument("--scheme", choices=["http", "https"], default="http")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name, targets(Path(tmp_name)) as urls:
        url = urls[0] if args.scheme == "http" else urls[1]
        for size in args.sizes:
            for count in args.shards:
                row = run_case(args, Path(tmp_name), url, size, count)
                print(f"  {row}", file=sys.stderr)
                rows.append(row)
    print(
        f"\n{args.scheme} probes every {args.interval:g} s, fresh connections, "
        f"{args.warmup:g} s warm-up, {args.seconds:g} s window, scraped every "
        f"{SCRAPE_EVERY_S:g} s\n"
    )
    keys = list(rows[0])
    print("| | " + " | ".join(f"{r['probes']:.0f} x{r['shards']:.0f}" for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for key in keys[2:]:
        print(f"| {key} | " + " | ".join(_fmt(r[key]) for r in rows) + " |")


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


if __name__ == "__main__":
    main()
