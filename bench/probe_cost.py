"""CPU per probe run, in process, for before/after comparisons of the probe code.

Run: python bench/probe_cost.py [--tree DIR[:PYTHON][=LABEL] ...] [--runs N] [--rounds R]
                                 [--raw] [--uvloop]

Starts the loopback target (bench/loopback.py) and then, in alternating rounds, one
worker process per variant that runs `exporter.probes.run_probe` N times against it
(fresh connection every run, `concurrency` in flight, after a warm-up) and reports the
CPU (user + system, all threads) per run. A variant is a source tree (`--tree`: e.g. an
older commit unpacked with `git archive`; default: this checkout) x scheme (http,
https) x event loop (asyncio, and uvloop with `--uvloop`). `--raw` adds the bare
libraries with no statusprobe code around them: a fresh `httpx.AsyncClient` and a fresh
`aiohttp.ClientSession` per request, the floor either library sets.

Prints the median (min-max) CPU ms per run of each variant over the rounds, and the
ratio of each to the first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from loopback import BENCH, ROOT, targets

WARMUP = 30


def _worker(spec: dict[str, Any]) -> None:
    """Runs in a child: N probe runs, prints {"cpu": s, "runs": n, "outcomes": {...}}."""
    if spec["loop"] == "uvloop":
        import uvloop

        runner = uvloop.run
    else:
        runner = asyncio.run
    print(json.dumps(runner(_measure(spec))))


async def _measure(spec: dict[str, Any]) -> dict[str, Any]:
    once = _runner(spec)
    outcomes: dict[str, int] = {}
    semaphore = asyncio.Semaphore(spec["concurrency"])

    async def one() -> None:
        async with semaphore:
            outcome = await once()
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    await asyncio.gather(*(one() for _ in range(WARMUP)))
    outcomes.clear()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.wait_for(
        asyncio.gather(*(one() for _ in range(spec["runs"]))), timeout=spec["runs"] * 0.2 + 30
    )
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {"cpu": cpu, "wall": wall, "runs": spec["runs"], "outcomes": outcomes}


def _runner(spec: dict[str, Any]) -> Any:
    url, ca = spec["url"], spec["ca"]
    if spec["client"] == "statusprobe":
        from exporter.config import parse_config
        from exporter.probes import run_probe

        probe = {"name": "p", "type": "http", "url": url, "timeout": "5s", "interval": "10s"}
        if url.startswith("https"):
            probe["tls"] = {"ca_file": ca}
        config = parse_config({"probes": [probe]}).probes[0]

        async def run() -> str:
            return (await run_probe(config)).outcome.value

        return run
    context = ssl.create_default_context(cafile=ca)
    if spec["client"] == "httpx":
        import httpx

        async def run_httpx() -> str:
            async with httpx.AsyncClient(verify=context, timeout=5) as client:
                response = await client.get(url)
                return "success" if response.status_code == 200 else "fail"

        return run_httpx
    import aiohttp

    async def run_aiohttp() -> str:
        connector = aiohttp.TCPConnector(ssl=context if url.startswith("https") else False)
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response,
        ):
            await response.read()
            return "success" if response.status == 200 else "fail"

    return run_aiohttp


def _tree(spec: str) -> tuple[Path, str, str]:
    """DIR[:PYTHON][=LABEL] -> (tree, interpreter, label)."""
    spec, _, label = spec.partition("=")
    tree, _, python = spec.partition(":")
    return Path(tree).resolve(), python or sys.executable, label or Path(tree).resolve().name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tree",
        action="append",
        default=[],
        metavar="DIR[:PYTHON][=LABEL]",
        help="a source tree to measure, optionally with its own interpreter (a venv's python)",
    )
    parser.add_argument("--runs", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--raw", action="store_true")
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--scheme", action="append", choices=["http", "https"], default=[])
    args = parser.parse_args()
    trees = [_tree(spec) for spec in args.tree] or [(ROOT, sys.executable, "statusprobe")]
    schemes = args.scheme or ["http", "https"]
    loops = ["asyncio", "uvloop"] if args.uvloop else ["asyncio"]
    variants: list[tuple[str, dict[str, Any]]] = []
    for scheme in schemes:
        for tree, python, label in trees:
            for loop in loops:
                variants.append(
                    (
                        f"{scheme} {label} {loop}",
                        {
                            "client": "statusprobe",
                            "tree": str(tree),
                            "python": python,
                            "loop": loop,
                            "scheme": scheme,
                        },
                    )
                )
        if args.raw:
            for client in ("httpx", "aiohttp"):
                for loop in loops:
                    variants.append(
                        (
                            f"{scheme} raw-{client} {loop}",
                            {
                                "client": client,
                                "tree": str(ROOT),
                                "python": sys.executable,
                                "loop": loop,
                                "scheme": scheme,
                            },
                        )
                    )
    results: dict[str, list[float]] = {name: [] for name, _ in variants}
    with tempfile.TemporaryDirectory() as tmp, targets(Path(tmp)) as (http_url, https_url):
        ca = str(Path(tmp) / "ca.pem")
        for round_ in range(args.rounds):
            order = variants if round_ % 2 == 0 else variants[::-1]  # alternate the order
            for name, variant in order:
                spec = {
                    **variant,
                    "runs": args.runs,
                    "concurrency": args.concurrency,
                    "ca": ca,
                    "url": http_url if variant["scheme"] == "http" else https_url,
                }
                env = {**os.environ, "PYTHONPATH": variant["tree"]}
                done = subprocess.run(
                    [variant["python"], str(BENCH / "probe_cost.py"), "--worker", json.dumps(spec)],
                    capture_output=True,
                    text=True,
                    env=env,
                    timeout=args.runs * 0.2 + 60,
                    cwd=variant["tree"],
                    check=False,
                )
                if done.returncode != 0:
                    sys.exit(f"{name}: worker failed\n{done.stderr[-3000:]}")
                report = json.loads(done.stdout.strip().splitlines()[-1])
                if set(report["outcomes"]) != {"success"}:
                    sys.exit(f"{name}: not every run succeeded: {report['outcomes']}")
                results[name].append(report["cpu"] / report["runs"] * 1e3)
                print(
                    f"  round {round_ + 1} {name:34} {results[name][-1]:.3f} ms/run",
                    file=sys.stderr,
                )
    print(
        f"CPU ms per probe run, {args.runs} runs x {args.rounds} rounds, "
        f"{args.concurrency} in flight, fresh connections; median (min-max), ratio to first"
    )
    for scheme in schemes:
        first = None
        for name, values in results.items():
            if not name.startswith(scheme + " "):
                continue
            median = statistics.median(values)
            first = first or median
            print(
                f"  {name:34} {median:7.3f} ({min(values):.3f}-{max(values):.3f})"
                f"  {median / first:5.2f}x"
            )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        _worker(json.loads(sys.argv[2]))
    else:
        main()
