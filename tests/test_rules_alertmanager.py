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

from exporter.rules.alertmanager import render
from tests.tools import binary

CONFIG = Path(__file__).resolve().parent.parent / "rules" / "alertmanager.example.yml"


def test_the_committed_example_is_the_generators_output() -> None:
    assert CONFIG.read_text("utf-8") == render(), (
        "rules/alertmanager.example.yml drifted; run: statusprobe rules --output.dir rules"
    )


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
    assert "SUCCESS" in result.stdout and "5 inhibit rules" in result.stdout


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
    "component": "Claude API",
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


def _vendor(alertname: str, severity: str, component: str, **more: str) -> dict[str, str]:
    return {
        "alertname": alertname,
        "severity": severity,
        "page": "vendor",
        "component": component,
        **more,
    }


def test_inhibitions_are_scoped_to_the_component(alertmanager: str) -> None:
    incident_elsewhere = _vendor(
        "StatusprobeStatusPageIncident", "critical", "Console", incident_id="v1", impact="major"
    )
    maintenance = _vendor(
        "StatusprobeStatusPageComponentDegraded", "info", "Batch", status="under_maintenance"
    )
    api_divergence = _vendor("StatusprobeStatusPageDivergence", "critical", "API", probe="api")
    batch_divergence = _vendor(
        "StatusprobeStatusPageDivergence", "critical", "Batch", probe="batch"
    )
    batch_warning = _vendor("StatusprobeUpstreamDown", "warning", "Batch", probe="batch")
    sent = [incident_elsewhere, maintenance, api_divergence, batch_divergence, batch_warning]
    post(alertmanager, sent)
    deadline = time.monotonic() + 10
    while True:
        alerts = [
            a for a in get(alertmanager, "/api/v2/alerts") if a["labels"].get("page") == "vendor"
        ]
        if len(alerts) == len(sent) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    suppressed = {_key(a["labels"]) for a in alerts if a["status"]["inhibitedBy"]}
    # An incident of another component does not silence the API's page; maintenance of
    # Batch turns its critical page off, and its warning form stays.
    assert suppressed == {_key(batch_divergence)}


SUMMARY_DATA: dict[str, Any] = {
    "receiver": "pager",
    "status": "firing",
    "groupLabels": {"page": "anthropic"},
    "commonLabels": {"page": "anthropic", "severity": "critical"},
    "commonAnnotations": {},
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": a, "page": "anthropic", "probe": p, "region": r},
            "annotations": {
                "summary": "s",
                "description": "d",
                "runbook_url": "https://runbooks.example/x",
                "dashboard_url": "https://grafana.example/d/statusprobe-probe?var-probe=" + p,
            },
            "startsAt": "2026-04-01T00:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
        }
        for a, p, r in (
            ("StatusprobeStatusPageDivergence", "claude-api", "eu-west-1"),
            ("StatusprobeUpstreamDown", "claude-batch", "us-east-1"),
        )
    ],
}


def _receiver_texts() -> list[tuple[str, str]]:
    config = yaml.safe_load(CONFIG.read_text("utf-8"))
    out = []
    for receiver in config["receivers"]:
        for kind, key in (("pagerduty_configs", "description"), ("slack_configs", "title")):
            for entry in receiver.get(kind, []):
                out.append((f"{receiver['name']}.{key}", entry[key]))
    return out


@pytest.mark.parametrize(("where", "text"), _receiver_texts())
def test_every_summary_names_the_upstream_and_the_probes(
    tmp_path: Path, where: str, text: str
) -> None:
    data = tmp_path / "data.json"
    empty = tmp_path / "empty.tmpl"
    empty.write_text("")
    for common, expected in (
        ({}, "several alerts"),
        ({"alertname": "StatusprobeUpstreamDown"}, "StatusprobeUpstreamDown"),
    ):
        data.write_text(
            json.dumps({**SUMMARY_DATA, "commonLabels": {**SUMMARY_DATA["commonLabels"], **common}})
        )
        result = amtool(
            "template",
            "render",
            f"--template.glob={empty}",
            f"--template.text={text}",
            f"--template.data={data}",
        )
        assert result.returncode == 0, result.stderr
        summary = result.stdout.strip()
        assert summary.startswith("[FIRING] upstream anthropic: " + expected), (where, summary)
        assert "probe=claude-api region=eu-west-1" in summary, (where, summary)
        assert "probe=claude-batch" in summary, (where, summary)


def test_notifications_link_the_runbook_and_the_dashboard() -> None:
    config = yaml.safe_load(CONFIG.read_text("utf-8"))
    (pager,) = [r for r in config["receivers"] if r["name"] == "pager"]
    hrefs = {link["text"]: link["href"] for link in pager["pagerduty_configs"][0]["links"]}
    assert "runbook_url" in hrefs["runbook"] and "dashboard_url" in hrefs["dashboard"]
    (chat,) = [r for r in config["receivers"] if r["name"] == "chat"]
    text = chat["slack_configs"][0]["text"]
    assert "runbook_url" in text and "dashboard_url" in text


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
