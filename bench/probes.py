"""CPU per probe: statusprobe and blackbox_exporter side by side, same loopback targets.

Run: python bench/probes.py [--seconds S] [--repeats R] [--rate P] [--saturate]

Both exporters probe the same loopback target (bench/loopback.py: `GET /` answers 200,
over HTTP and over HTTPS with a trustme certificate for `localhost`) by name, with a
fresh connection (DNS, TCP, TLS) for every probe, at RATE probes per second:

- blackbox_exporter (Debian `prometheus-blackbox-exporter`) is driven as Prometheus
  drives it: one `GET /probe?module=http_2xx&target=URL` per probe, on a kept-alive
  connection, RATE requests a second; each is a probe *and* its scrape.
- statusprobe runs `statusprobe run` with RATE x INTERVAL probes of the target on an
  INTERVAL of 2 s, and is scraped like Prometheus scrapes it (OpenMetrics, gzip). Its
  intervals are 15x shorter than a realistic 30 s, so it is scraped every 1 s instead of
  15 s: per probe, the scrape costs what it costs at 30 s probes and 15 s scrapes.

CPU is user + system time of the exporter's process (all threads) from /proc/PID/stat,
over a window of S seconds after a warm-up; statusprobe's window begins and ends with a
scrape, and the probes counted are the increase of its `statusprobe_probe_results_total`.
Every probe must succeed. The rounds alternate exporter and scheme, and their order
flips every repeat, so machine noise hits both alike. Reported: median (min-max) CPU ms
per probe (= CPU s per 1000 probes), the ratio statusprobe / blackbox, and the probes a
second one core would sustain at that cost (1000 / CPU ms per probe).

`--saturate` adds a measured ceiling: each exporter pinned to one CPU (taskset; Go with
GOMAXPROCS=1) and asked for far more than it can do (blackbox: 64 /probe requests in
flight; statusprobe: 2000 probes on a 1 s interval, max_concurrency 64) for S seconds:
the probes per second it actually completes, and statusprobe's skipped runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import yaml
from loopback import ROOT, child, cpu_seconds, free_port, targets

BLACKBOX = "prometheus-blackbox-exporter"
INTERVAL_S = 2.0
SCRAPE_EVERY_S = 1.0  # = 15 s scrapes of 30 s probes, scaled by the same 15x
WARMUP_S = 6.0  # the first round runs at once; phases spread within 1.5 intervals
OPENMETRICS = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"


@dataclass
class Sample:
    cpu_s: float
    probes: int
    wall_s: float
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def ms_per_probe(self) -> float:
        return self.cpu_s / self.probes * 1e3


def _metric_sum(text: str, name: str, where: str = "") -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and where in line.partition("}")[0]:
            total += float(line.rpartition("}")[2].split()[0])
    return total


async def _scrape(session: aiohttp.ClientSession, port: int) -> str:
    url = f"http://127.0.0.1:{port}/metrics"
    headers = {"Accept": OPENMETRICS, "Accept-Encoding": "gzip"}
    async with session.get(url, headers=headers) as response:
        response.raise_for_status()
        return await response.text()


# --- blackbox_exporter -------------------------------------------------------------


def blackbox_config(path: Path, ca: Path) -> Path:
    config = {
        "modules": {
            "http_2xx": {
                "prober": "http",
                "timeout": "5s",
                "http": {"preferred_ip_protocol": "ip4", "tls_config": {"ca_file": str(ca)}},
            }
        }
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


async def drive_blackbox(
    pid: int, port: int, target: str, rate: float, seconds: float, in_flight: int = 64
) -> Sample:
    """RATE /probe requests a second for SECONDS (or as many as possible when rate is 0)."""
    url = f"http://127.0.0.1:{port}/probe"
    params = {"module": "http_2xx", "target": target}
    failures = 0
    done = 0
    semaphore = asyncio.Semaphore(in_flight)
    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one() -> None:
            nonlocal failures, done
            async with semaphore, session.get(url, params=params) as response:
                body = await response.text()
            done += 1
            if response.status != 200 or "\nprobe_success 1" not in body:
                failures += 1

        for _ in range(20):  # warm-up: the kept-alive connections, Go's first allocations
            await one()
        done = 0
        cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
        deadline = wall0 + seconds
        tasks: list[asyncio.Task[None]] = []
        if rate > 0:
            for i in range(int(rate * seconds)):
                delay = wall0 + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one()))
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
        else:  # saturate: keep `in_flight` requests outstanding until the deadline

            async def worker() -> None:
                while time.perf_counter() < deadline:
                    await one()

            await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(in_flight))), 60)
        cpu, wall = cpu_seconds(pid) - cpu0, time.perf_counter() - wall0
    if failures:
        raise RuntimeError(f"blackbox: {failures} of {done} probes failed")
    return Sample(cpu, done, wall)


# --- statusprobe ---------------------------------------------------------------------


def statusprobe_config(path: Path, target: str, ca: Path, probes: int, interval: float) -> Path:
    tls = {"tls": {"ca_file": str(ca)}} if target.startswith("https") else {}
    config = {
        "scheduler": {"max_concurrency": 64},
        "probes": [
            {
                "name": f"p{i:05d}",
                "type": "http",
                "url": target,
                "interval": f"{int(interval * 1000)}ms",
                "timeout": f"{int(min(interval, 5.0) * 1000)}ms",
                **tls,
            }
            for i in range(probes)
        ],
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


async def measure_statusprobe(pid: int, port: int, seconds: float) -> Sample:
    async with aiohttp.ClientSession() as session:
        await wait_ready(session, port)
        await asyncio.sleep(WARMUP_S)
        text = await _scrape(session, port)
        cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
        count0 = _metric_sum(text, "statusprobe_probe_results_total")
        ok0 = _metric_sum(text, "statusprobe_probe_results_total", 'outcome="success"')
        skipped0 = _metric_sum(text, "statusprobe_scheduler_skipped_runs_total")
        scrapes = 0
        while time.perf_counter() - wall0 < seconds - 1e-3:
            await asyncio.sleep(SCRAPE_EVERY_S - (time.perf_counter() - wall0) % SCRAPE_EVERY_S)
            text = await _scrape(session, port)
            scrapes += 1
        cpu, wall = cpu_seconds(pid) - cpu0, time.perf_counter() - wall0
    count = _metric_sum(text, "statusprobe_probe_results_total") - count0
    ok = _metric_sum(text, "statusprobe_probe_results_total", 'outcome="success"') - ok0
    if count == 0 or ok != count:
        raise RuntimeError(f"statusprobe: {count - ok:.0f} of {count:.0f} probes failed")
    skipped = _metric_sum(text, "statusprobe_scheduler_skipped_runs_total") - skipped0
    return Sample(cpu, int(count), wall, {"scrapes": scrapes, "skipped": skipped})


async def wait_ready(session: aiohttp.ClientSession, port: int, within: float = 60.0) -> None:
    """Until statusprobe on `port` answers /-/ready with 200, for at most `within` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            async with session.get(f"http://127.0.0.1:{port}/-/ready") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError(f"statusprobe did not become ready within {within:.0f} s")


def statusprobe_args(python: str, config: Path, port: int) -> list[str]:
    return [
        python,
        "-m",
        "exporter",
        "run",
        "--config.file",
        str(config),
        "--web.listen-address",
        f"127.0.0.1:{port}",
        "--log.level",
        "warn",
    ]


# --- the run -------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window per round")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rate", type=float, default=150.0, help="probes per second")
    parser.add_argument("--saturate", action="store_true")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter that runs statusprobe (e.g. another venv)",
    )
    parser.add_argument(
        "--tree",
        type=Path,
        default=ROOT,
        help="source tree statusprobe runs from (e.g. an older commit)",
    )
    args = parser.parse_args()
    probes = int(args.rate * INTERVAL_S)
    rows: dict[str, list[Sample]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with targets(tmp) as (http_url, https_url):
            ca = tmp / "ca.pem"
            bb_port = free_port()
            bb_args = [
                BLACKBOX,
                f"--config.file={blackbox_config(tmp / 'bb.yml', ca)}",
                f"--web.listen-address=127.0.0.1:{bb_port}",
                "--log.level=warn",
            ]
            with child(bb_args, port=bb_port, log=tmp / "bb.log") as blackbox:
                for repeat in range(args.repeats):
                    order = [("http", http_url), ("https", https_url)]
                    kinds = ["blackbox", "statusprobe"]
                    if repeat % 2:
                        order.reverse()
                        kinds.reverse()
                    for scheme, url in order:
                        for kind in kinds:
                            if kind == "blackbox":
                                sample = asyncio.run(
                                    drive_blackbox(
                                        blackbox.pid, bb_port, url, args.rate, args.seconds
                                    )
                                )
                            else:
                                sample = run_statusprobe(args, tmp, url, ca, probes)
                            rows.setdefault(f"{kind} {scheme}", []).append(sample)
                            print(
                                f"  repeat {repeat + 1} {kind:11} {scheme:5} "
                                f"{sample.probes:6d} probes {sample.ms_per_probe:6.3f} ms/probe"
                                f" {sample.extra}",
                                file=sys.stderr,
                            )
                if args.saturate:
                    saturated = saturate(args, tmp, http_url, https_url, ca)
    report(args, probes, rows)
    if args.saturate:
        report_saturation(args, saturated)


def run_statusprobe(
    args: argparse.Namespace,
    tmp: Path,
    url: str,
    ca: Path,
    probes: int,
    interval: float = INTERVAL_S,
    pin: list[str] | None = None,
) -> Sample:
    port = free_port()
    config = statusprobe_config(tmp / "sp.yml", url, ca, probes, interval)
    env = {**os.environ, "PYTHONPATH": str(args.tree)}
    argv = [*(pin or []), *statusprobe_args(args.python, config, port)]
    with child(argv, port=port, env=env, log=tmp / "sp.log", cwd=args.tree) as proc:
        return asyncio.run(measure_statusprobe(proc.pid, port, args.seconds))


def saturate(
    args: argparse.Namespace, tmp: Path, http_url: str, https_url: str, ca: Path
) -> dict[str, Sample]:
    pin = ["taskset", "-c", "1"]
    found: dict[str, Sample] = {}
    for scheme, url in (("http", http_url), ("https", https_url)):
        port = free_port()
        bb_args = [
            *pin,
            BLACKBOX,
            f"--config.file={tmp / 'bb.yml'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ]
        env = {**os.environ, "GOMAXPROCS": "1"}
        with child(bb_args, port=port, env=env) as proc:
            found[f"blackbox {scheme}"] = asyncio.run(
                drive_blackbox(proc.pid, port, url, 0, args.seconds)
            )
        found[f"statusprobe {scheme}"] = run_statusprobe(
            args, tmp, url, ca, 2000, interval=1.0, pin=pin
        )
    return found


def report(args: argparse.Namespace, probes: int, rows: dict[str, list[Sample]]) -> None:
    print(
        f"\nCPU ms per probe (= CPU s per 1000 probes), {args.rate:g} probes/s, fresh "
        f"connections, {args.repeats} repeats of {args.seconds:g} s; median (min-max)"
    )
    print(
        f"statusprobe: {probes} probes every {INTERVAL_S:g} s, scraped every "
        f"{SCRAPE_EVERY_S:g} s; blackbox: one /probe per probe\n"
    )
    print(
        "| target | blackbox_exporter | statusprobe | statusprobe / blackbox | "
        "probes/s on one core: blackbox | statusprobe |"
    )
    print("|---|---|---|---|---|---|")
    for scheme in ("http", "https"):
        bb = [s.ms_per_probe for s in rows[f"blackbox {scheme}"]]
        sp = [s.ms_per_probe for s in rows[f"statusprobe {scheme}"]]
        ratios = [s / b for s, b in zip(sp, bb, strict=True)]
        print(
            f"| {scheme} | {_spread(bb)} | {_spread(sp)} | "
            f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}) | "
            f"{1000 / statistics.median(bb):.0f} | {1000 / statistics.median(sp):.0f} |"
        )
    counts = {k: sum(s.probes for s in v) for k, v in rows.items()}
    print(f"\nprobes measured: {counts}")


def report_saturation(args: argparse.Namespace, found: dict[str, Sample]) -> None:
    print(f"\nMeasured ceiling on one CPU (taskset -c 1), {args.seconds:g} s each")
    print(
        "| target | blackbox probes/s | its CPU % | statusprobe probes/s | its CPU % | "
        "statusprobe skipped runs |"
    )
    print("|---|---|---|---|---|---|")
    for scheme in ("http", "https"):
        bb, sp = found[f"blackbox {scheme}"], found[f"statusprobe {scheme}"]
        print(
            f"| {scheme} | {bb.probes / bb.wall_s:.0f} | {100 * bb.cpu_s / bb.wall_s:.0f} | "
            f"{sp.probes / sp.wall_s:.0f} | {100 * sp.cpu_s / sp.wall_s:.0f} | "
            f"{sp.extra.get('skipped', 0):.0f} |"
        )


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


if __name__ == "__main__":
    main()
