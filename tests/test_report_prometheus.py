"""`statusprobe report` against a real Prometheus that scraped real exporters while the
scenario engine played the April story (exporter/scenarios), as tests/e2e does, with its
helpers: three `statusprobe run` processes (regions a, b, c) and Prometheus, no rules pack.
The story plays 150x faster than life (about 35s). Deselect with `-m "not e2e"`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from exporter.scenarios import FAILING_REGION, REGIONS, Simulation, april_2026
from tests.e2e.background import BackgroundLoop
from tests.e2e.processes import free_port, wait_until
from tests.e2e.stack import API_KEY, API_KEY_ENV, JOB, PAGE, Cadence, Stack, exporter_config
from tests.e2e.stack import prometheus_config as e2e_prometheus_config
from tests.tools import binary

pytestmark = pytest.mark.e2e

SCALE = 1 / 150  # healthy 6s, spikes 10s, incident 6s, monitoring 4s, resolved 8s
CADENCE = Cadence(probe=0.25, page=0.25, scrape=0.5, evaluation=1.0)


@dataclass
class Played:
    stack: Stack
    sim: Simulation
    started: float
    ended: float
    phases: dict[str, float]
    directory: Path


def _write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    prometheus_bin = binary("prometheus", "prometheus")
    d = tmp_path_factory.mktemp("report")
    stack = Stack(d)
    background = BackgroundLoop()
    sim = Simulation(april_2026(SCALE))
    try:
        urls = background.enter(sim.serve())
        ports = {region: free_port() for region in REGIONS}
        for region, port in ports.items():
            _write(d / f"exporter-{region}.yml", exporter_config(urls, region, CADENCE, None))
            stack.start(
                f"exporter-{region}",
                [sys.executable, "-m", "exporter", "run", "--config.file"]
                + [str(d / f"exporter-{region}.yml"), "--web.listen-address"]
                + [f"127.0.0.1:{port}"],
                env={API_KEY_ENV: API_KEY},
            )
            stack.exporters[region] = f"http://127.0.0.1:{port}"
        # The e2e Prometheus config without the rules pack (and no Alertmanager runs).
        config = e2e_prometheus_config(ports, free_port(), d / "no-rules", CADENCE)
        del config["rule_files"], config["alerting"]
        _write(d / "prometheus.yml", config)
        prom_port = free_port()
        prometheus = stack.start(
            "prometheus",
            [
                prometheus_bin,
                f"--config.file={d / 'prometheus.yml'}",
                f"--storage.tsdb.path={d / 'prometheus-data'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
        )
        stack.prometheus = f"http://127.0.0.1:{prom_port}"
        for process in stack.processes:
            url = stack.prometheus if process is prometheus else stack.exporters[process.name[9:]]
            process.wait_http(f"{url}/-/ready")
        wait_until(
            lambda: len(stack.query(f'up{{job="{JOB}"}} == 1')) == len(REGIONS),
            30,
            "Prometheus to scrape every exporter",
            prometheus,
        )
        time.sleep(2 * CADENCE.scrape)
        started = sim.start()
        phases = {p.name: sim.phase_started_at(p.name) for p in sim.timeline.phases}
        time.sleep(sim.timeline.duration + 2 * CADENCE.scrape)
        yield Played(stack, sim, started, time.time(), phases, d)
    finally:
        problems = stack.stop()
        background.close()
        assert not problems, problems


def report(played: Played, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "exporter", "report", "--prometheus", played.stack.prometheus]
    return subprocess.run(
        argv + list(args), capture_output=True, text=True, timeout=120, check=False
    )


def test_the_april_story_onset_region_outcomes_and_acknowledgement_lag(played: Played) -> None:
    since, until = played.started - 3, played.ended
    out = report(played, "--since", f"{since:.3f}", "--until", f"{until:.3f}", "--format", "json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    (played.directory / "report.json").write_text(out.stdout)  # kept with the run's logs
    (up,) = [u for u in doc["upstreams"] if u["trouble"]]
    assert up["name"] == PAGE and set(up["regions"]) == set(REGIONS)
    main = max(up["episodes"], key=lambda e: e["failed_runs"])
    resolution = doc["resolution_seconds"]
    # The onset: the first failure the simulated API served, seen at the next scrape.
    onset = played.sim.onset
    assert onset is not None
    assert onset <= main["onset_unix"] <= onset + CADENCE.scrape + resolution
    # The failing region, the others healthy.
    regions = main["regions"]
    assert next(iter(regions)) == FAILING_REGION
    b = regions[FAILING_REGION]
    assert b["failed"] / b["runs"] > 0.5
    for region in REGIONS:
        if region != FAILING_REGION:
            assert regions[region]["failed"] <= 0.05 * regions[region]["runs"], region
    # The outcome mix of the SPIKES pattern "AOSTOSAOAS": 401s, 529s and a stall.
    mix = main["outcomes"]
    assert {"auth_error", "overloaded", "timeout"} <= set(mix)
    assert mix["auth_error"] >= 3 and mix["overloaded"] >= 3
    # Acknowledgement: the incident phase, seen at the next poll and the next scrape.
    admitted = main["admitted"]
    assert admitted is not None
    declared = played.phases["incident"]
    assert declared <= admitted["at_unix"] <= declared + CADENCE.page + CADENCE.scrape + resolution
    assert any("incident" in how for how in admitted["how"])
    expected_lag = declared - onset
    assert abs(admitted["lag_seconds"] - expected_lag) <= CADENCE.scrape + CADENCE.page + resolution
    # Official vs measured: the page admitted an outage for part of the range only.
    assert 0 < up["official_availability"] < 1
    assert 0.5 < up["measured_availability"] < 1


def test_markdown_links_charts_and_html_embeds_them(played: Played, tmp_path: Path) -> None:
    since, until = f"{played.started - 3:.3f}", f"{played.ended:.3f}"
    md = report(played, "--since", since, "--until", until, "--output.dir", str(tmp_path))
    assert md.returncode == 0, md.stderr
    text = (tmp_path / "report.md").read_text()
    assert f"## {PAGE}" in text and "![error ratio per region" in text
    assert "| Acknowledgement lag |" in text and "after the onset" in text
    chart = (tmp_path / "charts" / f"{PAGE}.svg").read_text()
    assert chart.startswith("<svg") and "region b" in chart and "admitted" in chart
    page = report(played, "--since", since, "--until", until, "--format", "html")
    assert page.returncode == 0, page.stderr
    assert "<svg" in page.stdout and "Acknowledgement lag" in page.stdout


def test_a_quiet_range_says_so(played: Played) -> None:
    # The healthy phase: every region succeeds, the page is operational.
    start, end = played.phases["healthy"], played.phases["spikes"] - 0.5
    out = report(played, "--since", f"{start:.3f}", "--until", f"{end:.3f}")
    assert out.returncode == 0, out.stderr
    assert "No trouble from" in out.stdout and "probe runs of 1 upstream(s) succeeded" in out.stdout


def test_an_unreachable_prometheus_is_a_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    argv = [sys.executable, "-m", "exporter", "report", "--prometheus", url, "--since", "1h"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 1
    assert out.stderr.startswith(f"statusprobe report: cannot reach Prometheus at {url}")
    assert out.stdout == ""
