"""Golden expositions: recorded payloads in, the whole /metrics text out.

A diff is either a bug or a reviewed behaviour change; after reviewing, rewrite
the files with `pytest tests/test_golden.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from exporter.config import parse_config
from exporter.exposition.collector import StatusprobeCollector
from exporter.models import Outcome, PageSnapshot, PollError, ProbeResult
from exporter.sources import feed, gcp, incidentio, instatus, slack, statusio, statuspage
from exporter.state import State
from tests.platforms import load, raw
from tests.upstream import fixture

GOLDEN = Path(__file__).parent / "golden"
NOW = 1_777_000_000.0  # a fixed clock so timestamps in the golden files are stable

CONFIG = parse_config(
    {
        "status_pages": [{"name": "anthropic", "url": "https://status.claude.com"}],
        "probes": [
            {
                "name": "anthropic-api",
                "type": "http",
                "url": "https://api.anthropic.com/v1/models",
                "page": "anthropic",
                "component": "Claude API (api.anthropic.com)",
            }
        ],
    }
)

PROBE_RUNS = (
    ProbeResult(
        Outcome.SUCCESS,
        0.412,
        200,
        (("dns", 0.003), ("connect", 0.021), ("tls", 0.045), ("ttfb", 0.31), ("transfer", 0.033)),
        tls_not_after=1_790_000_000.0,
    ),
    ProbeResult(Outcome.AUTH_ERROR, 0.198, 401, detail="HTTP 401", request_id="req_01"),
    ProbeResult(Outcome.OVERLOADED, 2.7, 529, detail="HTTP 529"),
)


def _exposition(state: State, *, openmetrics: bool = False) -> str:
    registry = CollectorRegistry()
    registry.register(StatusprobeCollector(state, clock=lambda: NOW + 60))
    render = generate_openmetrics if openmetrics else generate_latest
    return render(registry).decode()


def _check(name: str, text: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.write_text(text)
    assert path.exists(), f"{path} missing: run pytest with --snapshot-update and review it"
    assert text == path.read_text(), f"{name} drifted; review, then --snapshot-update"


@pytest.mark.parametrize("payload", ["operational", "incident", "maintenance", "unknown_values"])
def test_page_exposition_matches_golden(payload: str, snapshot_update: bool) -> None:
    state = State()
    state.apply_config(CONFIG)
    state.record_page_success("anthropic", statuspage.parse(fixture(f"{payload}.json")), now=NOW)
    _check(f"page_{payload}.prom", _exposition(state), snapshot_update)


def test_failed_poll_after_success_matches_golden(snapshot_update: bool) -> None:
    state = State()
    state.apply_config(CONFIG)
    state.record_page_success("anthropic", statuspage.parse(fixture("incident.json")), now=NOW)
    state.record_page_failure("anthropic", PollError.RATE_LIMITED, "HTTP 429 Too Many Requests")
    _check("page_failed_after_success.prom", _exposition(state), snapshot_update)


def test_probe_exposition_matches_golden(snapshot_update: bool) -> None:
    state = State()
    state.apply_config(CONFIG)
    for i, result in enumerate(PROBE_RUNS):
        state.record_probe("anthropic-api", result, now=NOW + 30 * i)
    state.record_probe("anthropic-api", PROBE_RUNS[0], now=NOW + 90)
    _check("probe_runs.prom", _exposition(state), snapshot_update)
    _check("probe_runs.openmetrics", _exposition(state, openmetrics=True), snapshot_update)


# --- the other platforms: each platform's interesting states, one page each ------------------

PLATFORM_URLS = {
    "incidentio": "https://status.openai.com",
    "statusio": "https://api.status.io/1.0/status/5b36dc6502d06804c08349f7",
    "instatus": "https://status.acme.dev",
    "slack": "https://slack-status.com",
    "gcp": "https://status.cloud.google.com",
    "feed": "https://status.claude.com/history.atom",
    "auto": "https://status.openai.com",
}
FEED_NOW = 1776262800.0  # 2026-04-15T14:20:00Z, within the fixtures' recent window


def _instatus(state: str) -> PageSnapshot:
    return instatus.parse(
        load("instatus", f"{state}_summary.json"), load("instatus", f"{state}_components.json")
    )


PLATFORM_CASES: dict[str, Callable[[], PageSnapshot]] = {
    "incidentio_operational": lambda: incidentio.parse(load("incidentio", "operational.json")),
    "incidentio_incident": lambda: incidentio.parse(load("incidentio", "incident.json")),
    "incidentio_maintenance": lambda: incidentio.parse(load("incidentio", "maintenance.json")),
    "statusio_incident": lambda: statusio.parse(load("statusio", "incident.json")),
    "statusio_maintenance": lambda: statusio.parse(load("statusio", "maintenance.json")),
    "instatus_incident": lambda: _instatus("incident"),
    "instatus_maintenance": lambda: _instatus("maintenance"),
    "slack_incident": lambda: slack.parse(load("slack", "incident.json")),
    "slack_maintenance": lambda: slack.parse(load("slack", "maintenance.json")),
    "gcp_incident": lambda: gcp.parse(
        load("gcp", "incident_incidents.json"), load("gcp", "products.json")
    ),
    "feed_incident": lambda: feed.parse(raw("feed", "statuspage_history.atom"), now=FEED_NOW),
    "feed_operational": lambda: feed.parse(raw("feed", "aws_operational.rss"), now=FEED_NOW),
    # `auto` after detecting incident.io: page_info shows the detected provider.
    "auto_incidentio": lambda: replace(
        incidentio.parse(load("incidentio", "incident.json")), provider="incidentio"
    ),
}


@pytest.mark.parametrize("case", list(PLATFORM_CASES))
def test_platform_page_exposition_matches_golden(case: str, snapshot_update: bool) -> None:
    provider = case.partition("_")[0]
    page = {"name": provider, "provider": provider, "url": PLATFORM_URLS[provider]}
    state = State()
    state.apply_config(parse_config({"status_pages": [page]}))
    state.record_page_success(provider, PLATFORM_CASES[case](), now=NOW)
    _check(f"page_{case}.prom", _exposition(state), snapshot_update)
