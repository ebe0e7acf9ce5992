"""Polling a large Statuspage: statusprobe beside the PyPI `statuspage-prometheus-exporter`.

Run: python bench/statuspage.py [--polls N] [--rounds R] [--competitor-venv DIR]

Both poll the same page, served on loopback by bench/loopback.py: an Atlassian
Statuspage v2 `/api/v2/summary.json` with 500 components (25 groups of 19, about 5 %
of them not operational) and 50 unresolved incidents (3 updates and 4 components
each), about 0.5 MB of JSON, sent whole every time (no ETag, so no 304s).

Each one runs in its own process, doing what one poll costs it and then one scrape,
N times after 3 warm-up polls:

- statusprobe: `exporter.poller.PagePoller` with the shared poll client, the result
  applied to `State`, and /metrics rendered by `exporter.exposition.native.Exposition`
  (what `statusprobe run` does per poll and per scrape; on uvloop when installed,
  as `statusprobe run`). The page is configured with `max_incidents: 50`, so every
  incident is exported.
- statuspage-prometheus-exporter 2.6.0 (installed by this script into a throwaway
  venv, default /tmp/statusprobe-bench-spx, with pip): its `monitor_services()` (the
  job its scheduler runs every CHECK_INTERVAL_MINUTES, at least 1 minute; requests,
  its parser, its gauges, its cache and uptime files in a temporary directory) with a
  services.json naming the loopback page, then `generate_latest(REGISTRY)`. Its own
  daemon polls once at start and then on a cron minute, so it is driven through that
  function rather than waited for.

Reported: median (min-max) CPU ms per poll+scrape over the rounds (process CPU from
/proc, all threads), the ratio, RSS after the polls, and the series each exports for
the page (a check that both really parsed it). The rounds alternate.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from loopback import BENCH, ROOT, targets

COMPETITOR = "statuspage-prometheus-exporter==2.6.0"
WARMUP = 3


def make_summary(components: int = 500, incidents: int = 50, seed: int = 17) -> dict[str, Any]:
    """A Statuspage v2 summary.json (docs/sources.md) of the given size."""
    rng = random.Random(seed)
    stamp = "2026-11-20T10:00:00.000Z"
    groups = 25
    members = components // groups - 1
    comps: list[dict[str, Any]] = []
    for g in range(groups):
        group_id = f"grp{g:04d}"
        ids = [f"cmp{g:04d}{m:03d}" for m in range(members)]
        comps.append(
            {
                "id": group_id,
                "name": f"Region {g}",
                "status": "operational",
                "group": True,
                "group_id": None,
                "components": ids,
                "position": g,
                "showcase": False,
                "only_show_if_degraded": False,
                "created_at": stamp,
                "updated_at": stamp,
                "start_date": None,
                "description": None,
                "page_id": "page0001",
            }
        )
        for m, cid in enumerate(ids):
            roll = rng.random()
            status = (
                "operational"
                if roll > 0.05
                else rng.choice(
                    ["degraded_performance", "partial_outage", "major_outage", "under_maintenance"]
                )
            )
            comps.append(
                {
                    "id": cid,
                    "name": f"Service {g}-{m} API",
                    "status": status,
                    "group": False,
                    "group_id": group_id,
                    "position": m,
                    "showcase": True,
                    "only_show_if_degraded": False,
                    "created_at": stamp,
                    "updated_at": stamp,
                    "start_date": "2020-01-01",
                    "description": f"Component {m} of region {g}",
                    "page_id": "page0001",
                }
            )
    leaves = [c for c in comps if not c["group"]]
    incs = []
    for i in range(incidents):
        affected = rng.sample(leaves, 4)
        status = rng.choice(["investigating", "identified", "monitoring"])
        incs.append(
            {
                "id": f"inc{i:05d}",
                "name": f"Elevated errors on service {i}",
                "status": status,
                "impact": rng.choice(["none", "minor", "major", "critical"]),
                "created_at": stamp,
                "updated_at": stamp,
                "started_at": stamp,
                "monitoring_at": None,
                "resolved_at": None,
                "page_id": "page0001",
                "shortlink": f"https://stspg.io/{i:05d}",
                "components": [{k: c[k] for k in ("id", "name", "status")} for c in affected],
                "incident_updates": [
                    {
                        "id": f"upd{i:05d}{u}",
                        "status": status,
                        "body": "We are investigating "
                        "elevated error rates and latency for requests to this service. " * 3,
                        "incident_id": f"inc{i:05d}",
                        "created_at": stamp,
                        "updated_at": stamp,
                        "display_at": stamp,
                        "affected_components": None,
                    }
                    for u in range(3)
                ],
            }
        )
    return {
        "page": {
            "id": "page0001",
            "name": "Big Provider",
            "url": "https://status.example.com",
            "time_zone": "Etc/UTC",
            "updated_at": stamp,
        },
        "status": {"indicator": "major", "description": "Partial System Outage"},
        "components": comps,
        "incidents": incs,
        "scheduled_maintenances": [],
    }


# --- workers (each in its own process) -----------------------------------------------


def _statusprobe_worker(url: str, polls: int) -> dict[str, Any]:
    from exporter import event_loop

    return event_loop.run(_statusprobe_polls(url, polls))


async def _statusprobe_polls(url: str, polls: int) -> dict[str, Any]:
    from prometheus_client import CollectorRegistry

    from exporter.config import parse_config
    from exporter.exposition.native import Exposition
    from exporter.poller import PagePoller
    from exporter.sources.client import new_poll_client
    from exporter.state import State

    config = parse_config({"status_pages": [{"name": "big", "url": url, "max_incidents": 50}]})
    page = config.status_pages[0]
    state = State()
    state.apply_config(config)
    exposition = Exposition(state, CollectorRegistry())
    body = b""
    poller = PagePoller(new_poll_client())
    try:
        for i in range(WARMUP + polls):
            if i == WARMUP:
                cpu0 = time.process_time()
            result = await poller.poll(page, state.page(page.name))
            if result.snapshot is None:
                raise RuntimeError(f"poll failed: {result.reason} {result.detail}")
            state.update_page(page.name, result.apply)
            body, _ = exposition.render("text/plain; version=0.0.4")
        cpu = time.process_time() - cpu0
    finally:
        await poller.aclose()
    lines = body.decode().splitlines()
    series = sum(1 for line in lines if line.startswith("statusprobe_component_status{"))
    return {"cpu": cpu, "polls": polls, "component_series": series, "bytes": len(body)}


def _competitor_worker(url: str, polls: int) -> dict[str, Any]:
    # services.json is read when the module is imported: write it and point at it first.
    Path("services.json").write_text(json.dumps({"big": {"url": url, "name": "Big"}}))
    os.environ["SERVICES_JSON_PATH"] = str(Path("services.json").resolve())
    from prometheus_client import REGISTRY, generate_latest
    from statuspage_prometheus_exporter.service_monitor import monitor_services

    body = b""
    for i in range(WARMUP + polls):
        if i == WARMUP:
            cpu0 = time.process_time()
        monitor_services(is_initial_run=i == 0)
        body = generate_latest(REGISTRY)
    cpu = time.process_time() - cpu0
    lines = body.decode().splitlines()
    series = sum(1 for line in lines if line.startswith("statuspage_component_status{"))
    return {"cpu": cpu, "polls": polls, "component_series": series, "bytes": len(body)}


def _worker(kind: str, url: str, polls: int) -> None:
    report = (_statusprobe_worker if kind == "statusprobe" else _competitor_worker)(url, polls)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            report[line.split(":")[0]] = int(line.split()[1]) * 1024
    print(json.dumps(report))


# --- the run -------------------------------------------------------------------------


def competitor_python(venv: Path) -> str:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"installing {COMPETITOR} into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", COMPETITOR], check=True)
    return str(python)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--polls", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--competitor-venv",
        type=Path,
        default=Path(tempfile.gettempdir()) / "statusprobe-bench-spx",
    )
    args = parser.parse_args()
    pythons = {
        "statusprobe": sys.executable,
        "statuspage-prometheus-exporter": competitor_python(args.competitor_venv),
    }
    found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in pythons}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "summary.json").write_text(json.dumps(make_summary()), encoding="utf-8")
        size = (tmp / "summary.json").stat().st_size
        with targets(tmp) as (http_url, _):
            url = http_url.rstrip("/")
            for round_ in range(args.rounds):
                kinds = list(pythons) if round_ % 2 == 0 else list(pythons)[::-1]
                for kind in kinds:
                    work = tmp / f"work-{kind}-{round_}"
                    work.mkdir()
                    page_url = url if kind == "statusprobe" else url + "/api/v2/summary.json"
                    env = {**os.environ, "PYTHONPATH": f"{BENCH}:{ROOT}"}
                    if kind != "statusprobe":
                        env = {**os.environ, "PYTHONPATH": str(BENCH)}
                    done = subprocess.run(
                        [
                            pythons[kind],
                            str(BENCH / "statuspage.py"),
                            "--worker",
                            kind,
                            page_url,
                            str(args.polls),
                        ],
                        cwd=work,
                        env=env,
                        capture_output=True,
                        text=True,
                        timeout=60 + 5 * args.polls,
                        check=False,
                    )
                    if done.returncode != 0:
                        sys.exit(f"{kind}: worker failed\n{done.stderr[-3000:]}")
                    report = json.loads(done.stdout.strip().splitlines()[-1])
                    found[kind].append(report)
                    print(
                        f"  round {round_ + 1} {kind:32} "
                        f"{report['cpu'] / report['polls'] * 1e3:7.2f} ms/poll "
                        f"RSS {report['VmRSS'] / 1e6:.0f} MB "
                        f"{report['component_series']} component series",
                        file=sys.stderr,
                    )
    print(
        f"\nOne poll of a {size / 1e6:.2f} MB Statuspage summary (500 components, 50 "
        f"incidents) plus one render of /metrics; {args.polls} polls x {args.rounds} rounds; "
        "median (min-max)\n"
    )
    print("| | CPU ms per poll | RSS MB | peak RSS MB | component_status series | /metrics KB |")
    print("|---|---|---|---|---|---|")
    medians = {}
    for kind, reports in found.items():
        per = [r["cpu"] / r["polls"] * 1e3 for r in reports]
        medians[kind] = statistics.median(per)
        rss = statistics.median(r["VmRSS"] for r in reports) / 1e6
        hwm = statistics.median(r["VmHWM"] for r in reports) / 1e6
        print(
            f"| {kind} | {medians[kind]:.2f} ({min(per):.2f}-{max(per):.2f}) | {rss:.0f} | "
            f"{hwm:.0f} | {reports[-1]['component_series']} | "
            f"{reports[-1]['bytes'] / 1e3:.0f} |"
        )
    ratio = medians["statusprobe"] / medians["statuspage-prometheus-exporter"]
    print(f"\nstatusprobe / statuspage-prometheus-exporter, CPU per poll: {ratio:.2f}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
