"""The deployment under test, as a user runs it, on loopback: three `statusprobe run`
processes (regions a, b, c), a real Prometheus scraping them with a `region` target label
and loading the rules pack rendered with the compressed profile, and a real Alertmanager
with the shipped routing (see routing.py) posting to the test's webhook.

Every process gets a free port chosen now, binds 127.0.0.1, logs to a file under the
run's directory and is stopped by PID in `Stack.stop()`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from exporter.scenarios import API_COMPONENT, Endpoints
from tests.e2e.processes import Process, free_port, wait_until
from tests.tools import binary

JOB = "statusprobe"
PAGE = "anthropic"
PROBE = "claude-api"
SLO = "claude-api-availability"
API_KEY_ENV = "STATUSPROBE_E2E_API_KEY"
API_KEY = "sk-ant-e2e-simulated"


@dataclass(frozen=True)
class Cadence:
    """How often things happen in the compressed run (seconds)."""

    probe: float = 0.5  # the compressed profile's 30s
    page: float = 1.0  # the compressed profile's 1m
    scrape: float = 1.0
    evaluation: float = 1.0
    resend_delay: float = 1.0  # Prometheus --rules.alert.resend-delay (docs/end-to-end.md)


def exporter_config(
    urls: Endpoints, region: str, cadence: Cadence, ca_file: Path | None
) -> dict[str, Any]:
    """One region's config: the shared status page and that region's API base URL (https
    with a certificate from the test's CA, when `ca_file` is given)."""
    return {
        "status_pages": [
            {
                "name": PAGE,
                "provider": "statuspage",
                "url": urls.status_page,
                "interval": _duration(cadence.page),
            }
        ],
        "probes": [
            {
                "name": PROBE,
                "type": "anthropic",
                "url": urls.api_for(region),
                "api_key": "${" + API_KEY_ENV + "}",
                "interval": _duration(cadence.probe),
                "timeout": _duration(cadence.probe),
                "page": PAGE,
                "component": API_COMPONENT,
            }
            | ({"tls": {"ca_file": str(ca_file)}} if ca_file else {})
        ],
        "slos": [{"name": SLO, "probe": PROBE, "objective": 99.5, "window": "30d"}],
    }


def prometheus_config(
    exporters: Mapping[str, int], alertmanager: int, rules_dir: Path, cadence: Cadence
) -> dict[str, Any]:
    return {
        "global": {
            "scrape_interval": _duration(cadence.scrape),
            "scrape_timeout": _duration(cadence.scrape),
            "evaluation_interval": _duration(cadence.evaluation),
        },
        "rule_files": [str(rules_dir / "statusprobe-*.yml")],
        "alerting": {
            "alertmanagers": [
                {
                    "api_version": "v2",
                    "static_configs": [{"targets": [f"127.0.0.1:{alertmanager}"]}],
                }
            ]
        },
        "scrape_configs": [
            {
                "job_name": JOB,
                "static_configs": [
                    {"targets": [f"127.0.0.1:{port}"], "labels": {"region": region}}
                    for region, port in exporters.items()
                ],
            }
        ],
    }


def _duration(seconds: float) -> str:
    return f"{round(seconds * 1000)}ms"


@dataclass
class Stack:
    """The running processes and where they listen."""

    directory: Path
    processes: list[Process] = field(default_factory=list)
    exporters: dict[str, str] = field(default_factory=dict)  # region -> base URL
    prometheus: str = ""
    alertmanager: str = ""

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Process:
        process = Process(name, argv, self.directory / f"{name}.log", env)
        self.processes.append(process)
        return process

    def stop(self) -> list[str]:
        """Stop every process by PID, the last started first; returns what went wrong."""
        problems = []
        for process in reversed(self.processes):
            try:
                process.stop()
            except Exception as exc:  # keep stopping the others
                problems.append(f"{process.name} (pid {process.pid}): {exc!r}")
        return problems

    def tails(self, lines: int = 40) -> str:
        return "\n\n".join(
            f"--- {p.name} (pid {p.pid}, {p.log}) ---\n{p.tail(lines)}" for p in self.processes
        )

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """An instant query against the real Prometheus; the result vector."""
        params = {"query": expr} | ({"time": str(at)} if at is not None else {})
        response = httpx.get(f"{self.prometheus}/api/v1/query", params=params, timeout=10)
        response.raise_for_status()
        data: dict[str, Any] = response.json()["data"]
        result: list[dict[str, Any]] = data["result"]
        return result

    def query_range(
        self, expr: str, start: float, end: float, step: float = 1.0
    ) -> list[dict[str, Any]]:
        """A range query; the result matrix."""
        params = {"query": expr, "start": str(start), "end": str(end), "step": str(step)}
        response = httpx.get(f"{self.prometheus}/api/v1/query_range", params=params, timeout=30)
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()["data"]["result"]
        return result


def render_rules(config: Path, out: Path, log: Path) -> None:
    """`statusprobe rules --profile compressed`, as a user renders the pack."""
    argv = [sys.executable, "-m", "exporter", "rules", "--config.file", str(config)]
    argv += ["--profile", "compressed", "--output.dir", str(out)]
    env = {**os.environ, API_KEY_ENV: API_KEY}
    with log.open("wb") as output:
        result = subprocess.run(
            argv, stdout=output, stderr=subprocess.STDOUT, timeout=60, env=env, check=False
        )
    assert result.returncode == 0, log.read_text()


def launch(
    stack: Stack,
    urls: Endpoints,
    regions: tuple[str, ...],
    webhook: str,
    alertmanager_config: dict[str, Any],
    cadence: Cadence,
    ca_file: Path | None = None,
) -> None:
    """Write the configs, start every process and wait until each is ready."""
    prometheus_bin = binary("prometheus", "prometheus")
    alertmanager_bin = binary("prometheus-alertmanager", "prometheus-alertmanager")
    d = stack.directory
    ports = {region: free_port() for region in regions}
    for region in regions:
        _write(d / f"exporter-{region}.yml", exporter_config(urls, region, cadence, ca_file))
    rules = d / "rules"
    render_rules(d / f"exporter-{regions[0]}.yml", rules, d / "rules.log")

    am_port = free_port()
    _write(d / "alertmanager.yml", alertmanager_config)
    alertmanager = stack.start(
        "alertmanager",
        [
            alertmanager_bin,
            f"--config.file={d / 'alertmanager.yml'}",
            f"--storage.path={d / 'alertmanager-data'}",
            f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address=",
            "--log.level=debug",
        ],
    )
    stack.alertmanager = f"http://127.0.0.1:{am_port}"

    exporters = {}
    for region, port in ports.items():
        exporters[region] = stack.start(
            f"exporter-{region}",
            [
                sys.executable,
                "-m",
                "exporter",
                "run",
                "--config.file",
                str(d / f"exporter-{region}.yml"),
                "--web.listen-address",
                f"127.0.0.1:{port}",
            ],
            env={API_KEY_ENV: API_KEY},
        )
        stack.exporters[region] = f"http://127.0.0.1:{port}"

    prom_port = free_port()
    _write(d / "prometheus.yml", prometheus_config(ports, am_port, rules, cadence))
    prometheus = stack.start(
        "prometheus",
        [
            prometheus_bin,
            f"--config.file={d / 'prometheus.yml'}",
            f"--storage.tsdb.path={d / 'prometheus-data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            f"--rules.alert.resend-delay={_duration(cadence.resend_delay)}",
            "--log.level=info",
        ],
    )
    stack.prometheus = f"http://127.0.0.1:{prom_port}"

    alertmanager.wait_http(f"{stack.alertmanager}/-/ready")
    for region, process in exporters.items():
        process.wait_http(f"{stack.exporters[region]}/-/ready")
    prometheus.wait_http(f"{stack.prometheus}/-/ready")


def wait_scraped(stack: Stack, regions: tuple[str, ...], timeout: float = 60) -> None:
    """Until Prometheus has every target up and the recording rules produce series."""

    def ready() -> bool:
        up = stack.query(f'up{{job="{JOB}"}} == 1')
        info = stack.query("probe:statusprobe_probe_info:max")
        status = stack.query("page_component:statusprobe_component_status:max")
        return len(up) == len(regions) and bool(info) and bool(status)

    prometheus = next(p for p in stack.processes if p.name == "prometheus")
    wait_until(ready, timeout, "Prometheus to scrape every exporter", prometheus, 0.5)


def _write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
