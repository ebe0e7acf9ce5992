"""rules/alertmanager.example.yml: amtool checks it and tests its routes; a real Alertmanager
(Debian's `prometheus-alertmanager`, on loopback) groups and inhibits as documented."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.tools import binary

CONFIG = Path(__file__).resolve().parent.parent / "rules" / "alertmanager.example.yml"


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary("amtool", "prometheus-alertmanager"), *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_amtool_check_config() -> None:
    result = amtool("check-config", str(CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and "4 inhibit rules" in result.stdout


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (
            ["alertname=StatusprobeStatusPageDivergence", "severity=critical", "page=anthropic"],
            "pager",
        ),
        (
            ["alertname=StatusprobeUpstreamIntermittent", "severity=warning", "page=anthropic"],
            "ticket",
        ),
        (["alertname=StatusprobeStatusPageDivergenceAcknowledged", "severity=info"], "chat"),
        (["alertname=SomethingElse"], "ticket"),
    ],
)
def test_amtool_routes(labels: list[str], receiver: str) -> None:
    result = amtool(
        "config",
        "routes",
        "test",
        f"--config.file={CONFIG}",
        f"--verify.receivers={receiver}",
        *labels,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_every_route_groups_by_upstream() -> None:
    route = yaml.safe_load(CONFIG.read_text("utf-8"))["route"]
    assert route["group_by"] == ["page"]
    assert all("group_by" not in child for child in route["routes"])  # inherited


# --- a real Alertmanager -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Alertmanager with the example config, on loopback, no clustering; yields its URL."""
    exe = binary("prometheus-alertmanager", "prometheus-alertmanager")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            exe,
            f"--config.file={CONFIG}",
            f"--storage.path={tmp_path_factory.mktemp('alertmanager')}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    pytest.fail(f"alertmanager did not start: {err}")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def post(url: str, alerts: list[dict[str, str]]) -> None:
    body = json.dumps([{"labels": labels} for labels in alerts]).encode()
    request = urllib.request.Request(
        f"{url}/api/v2/alerts", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def get(url: str, path: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}{path}", timeout=5) as response:
        data: list[dict[str, Any]] = json.load(response)
        return data


INCIDENT = {
    "alertname": "StatusprobeStatusPageIncident",
    "severity": "critical",
    "page": "anthropic",
    "incident_id": "k1",
    "impact": "major",
    "name": "Elevated errors",
}
DOWN = {
    "alertname": "StatusprobeUpstreamDown",
    "severity": "critical",
    "page": "anthropic",
    "component": "Claude API",
    "probe": "claude-api",
}
SLOW = {
    "alertname": "StatusprobeUpstreamSlow",
    "severity": "warning",
    "page": "anthropic",
    "component": "Claude API",
    "probe": "claude-api",
    "measure": "duration",
}
OTHER_DOWN = {
    "alertname": "StatusprobeUpstreamDown",
    "severity": "critical",
    "page": "openai",
    "component": "Responses",
    "probe": "openai-responses",
}
EXPORTER_REGION = {
    "alertname": "StatusprobeExporterDown",
    "severity": "critical",
    "job": "statusprobe",
    "region": "eu-west-1",
}
EXPORTER_EU = {**EXPORTER_REGION, "severity": "warning", "instance": "eu-a:10077"}
EXPORTER_US = {**EXPORTER_EU, "region": "us-east-1", "instance": "us-a:10077"}


def test_a_declared_major_outage_pages_once(alertmanager: str) -> None:
    post(
        alertmanager, [INCIDENT, DOWN, SLOW, OTHER_DOWN, EXPORTER_REGION, EXPORTER_EU, EXPORTER_US]
    )
    deadline = time.monotonic() + 10
    while True:
        alerts = get(alertmanager, "/api/v2/alerts")
        if len(alerts) == 7 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    suppressed = {_key(a["labels"]) for a in alerts if a["status"]["inhibitedBy"]}
    assert suppressed == {_key(DOWN), _key(SLOW), _key(EXPORTER_EU)}


def test_alerts_of_one_upstream_arrive_in_one_group(alertmanager: str) -> None:
    post(alertmanager, [INCIDENT, DOWN, SLOW, OTHER_DOWN])
    groups = get(alertmanager, "/api/v2/alerts/groups")
    pages = {
        (g["labels"].get("page"), g["receiver"]["name"]): {
            a["labels"]["alertname"] for a in g["alerts"]
        }
        for g in groups
    }
    assert pages[("anthropic", "pager")] == {
        "StatusprobeStatusPageIncident",
        "StatusprobeUpstreamDown",
    }
    assert pages[("anthropic", "ticket")] == {"StatusprobeUpstreamSlow"}
    assert pages[("openai", "pager")] == {"StatusprobeUpstreamDown"}


def _key(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))
