"""End to end on the real stack, on loopback: a simulated outage (the April story of
exporter/scenarios/april.py) -> three exporters (regions a, b, c) -> a real Prometheus
with the compressed rules pack -> a real Alertmanager with the shipped routing -> a
webhook. The story plays once (about 85s, after about 10s of start-up); every test asserts
on that one run. Deselect with `-m "not e2e"`.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import time
from collections.abc import Iterator
from dataclasses import asdict

import pytest

from exporter.rules import for_profile
from exporter.scenarios import API_COMPONENT, REGIONS
from tests.e2e.conftest import REPORT, TAILS
from tests.e2e.report import compute, tables
from tests.e2e.scenario import Run, play, prepare
from tests.e2e.stack import PAGE, PROBE, Stack
from tests.e2e.webhook import Received
from tests.tools import binary

pytestmark = pytest.mark.e2e

DIVERGENCE = "StatusprobeStatusPageDivergence"
ACKNOWLEDGED = "StatusprobeStatusPageDivergenceAcknowledged"
LOCALIZED = "StatusprobeUpstreamErrorsLocalized"
INCIDENT = "StatusprobeStatusPageIncident"
DEGRADED = "StatusprobeStatusPageComponentDegraded"
PROBE_LABELS = {"page": PAGE, "component": API_COMPONENT, "probe": PROBE}
SLACK = 3.0  # seconds a loaded machine may add to a computed firing time


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[Run]:
    binary("prometheus", "prometheus")
    binary("prometheus-alertmanager", "prometheus-alertmanager")
    directory = tmp_path_factory.mktemp("e2e")
    begin = time.monotonic()
    stack = Stack(directory)
    pytestconfig.stash[TAILS] = stack.tails
    played = prepare(stack)
    try:
        play(played)
        report = "\n\n".join(
            [
                tables(played),
                f"start-up {played.setup_seconds:.1f}s, story "
                f"{played.timeline.duration:.0f}s, total {time.monotonic() - begin:.1f}s; "
                f"logs, configs and notifications.json in {directory}",
            ]
        )
        (directory / "report.txt").write_text(report + "\n")
        (directory / "notifications.json").write_text(
            json.dumps([asdict(a) for a in played.alerts()], indent=1)
        )
        pytestconfig.stash[REPORT] = report
        print(report)
        yield played
    finally:
        problems = played.close()
        assert not problems, problems


def firing(run: Run, alertname: str) -> list[Received]:
    return [a for a in run.alerts() if a.alertname == alertname and a.status == "firing"]


def resolved(run: Run, alertname: str) -> list[Received]:
    return [a for a in run.alerts() if a.alertname == alertname and a.status == "resolved"]


def test_nothing_pages_before_the_first_failure(run: Run) -> None:
    early = [(a.alertname, a.receiver) for a in run.alerts() if a.at < run.onset]
    assert early == []


def test_no_divergence_during_a_healthy_phase(run: Run) -> None:
    # Not even pending: Prometheus' own ALERTS series over each healthy stretch.
    healthy = [
        ("healthy", run.phases["healthy"], run.onset),
        ("resolved", run.phases["resolved"], run.ended),
    ]
    for name, start, end in healthy:
        expr = f'ALERTS{{alertname="{DIVERGENCE}"}}[{max(int(end - start), 1)}s]'
        assert run.stack.query(expr, at=end) == [], name
    notified = [a.at for a in firing(run, DIVERGENCE)]
    assert notified and all(run.onset < t < run.phases["incident"] for t in notified)


def test_divergence_pages_while_the_page_says_operational(run: Run) -> None:
    (alert, *_) = firing(run, DIVERGENCE)
    assert alert.receiver == "pager"
    assert alert.labels == {"alertname": DIVERGENCE, "severity": "critical", **PROBE_LABELS}
    assert run.onset < alert.starts_at < alert.at < run.phases["incident"]
    assert alert.annotations["runbook_url"] == "docs/runbook.md#statusprobestatuspagedivergence"
    assert {a.starts_at for a in firing(run, DIVERGENCE)} == {alert.starts_at}  # fired once


def test_localized_names_region_b_only(run: Run) -> None:
    alerts = firing(run, LOCALIZED)
    assert alerts
    assert {a.labels["region"] for a in alerts} == {"b"}
    assert {a.receiver for a in alerts} == {"ticket"}
    assert alerts[0].labels == {
        "alertname": LOCALIZED,
        "severity": "warning",
        "region": "b",
        **PROBE_LABELS,
    }
    assert run.onset < alerts[0].starts_at < run.phases["incident"]


def test_the_declared_incident_hands_over(run: Run) -> None:
    declared, recovered = run.phases["incident"], run.phases["monitoring"]
    (ack, *_) = firing(run, ACKNOWLEDGED)
    assert ack.receiver == "chat"
    assert ack.labels == {"alertname": ACKNOWLEDGED, "severity": "info", **PROBE_LABELS}
    assert declared < ack.starts_at < ack.at < recovered
    # The page stops: the divergence resolves as soon as the page admits the problem.
    (stop, *_) = resolved(run, DIVERGENCE)
    assert stop.receiver == "pager" and declared < stop.at < recovered
    (incident, *_) = firing(run, INCIDENT)
    assert incident.receiver == "ticket"
    # One alert per component the incident names that a probe maps to; its title is in
    # the description, not a label.
    assert incident.labels == {
        "alertname": INCIDENT,
        "severity": "warning",
        "page": PAGE,
        "component": API_COMPONENT,
        "impact": "minor",
        "incident_id": "e2eapr26q1xz",
    }
    assert '"Elevated errors on the Claude API"' in incident.annotations["description"]
    (degraded, *_) = firing(run, DEGRADED)
    assert degraded.labels == {
        "alertname": DEGRADED,
        "severity": "warning",
        "page": PAGE,
        "component": API_COMPONENT,
        "group": "Claude Developer Platform",
        "status": "partial_outage",
    }
    assert declared < min(incident.starts_at, degraded.starts_at)


def test_recovery_resolves_what_fired(run: Run) -> None:
    recovered, page_resolved = run.phases["monitoring"], run.phases["resolved"]
    for alertname, after, receiver in (
        (ACKNOWLEDGED, recovered, "chat"),
        (LOCALIZED, recovered, "ticket"),
        (DEGRADED, recovered, "ticket"),
        (INCIDENT, page_resolved, "ticket"),
    ):
        late = [a for a in resolved(run, alertname) if a.at >= after]
        assert late, f"no resolved notification for {alertname}"
        assert late[0].receiver == receiver
    # Nothing of these fires again once resolved.
    for alertname in (DIVERGENCE, ACKNOWLEDGED, LOCALIZED):
        assert not [a for a in firing(run, alertname) if a.at > page_resolved + 1], alertname


def test_firing_times_match_the_rule_durations(run: Run) -> None:
    """The real stack fires each alert when the rule durations say: model.py's time, plus
    at most a page poll, a scrape and two evaluations (report.py)."""
    for computed in compute(compressed=True, routing=run.routing):
        spec = computed.expected.spec
        (alert, *_) = firing(run, spec.alert)
        start = run.onset if spec.reference == "spikes" else run.phases[spec.reference]
        assert computed.fires is not None
        low, high = computed.fires
        assert low - 1.0 <= alert.starts_at - start <= high + SLACK, (spec.alert, alert)


def test_every_dashboard_query_returns_data(run: Run) -> None:
    if importlib.util.find_spec("exporter.dashboards") is None:
        pytest.skip("exporter.dashboards does not exist yet (the dashboards issue)")
    dashboards = importlib.import_module("exporter.dashboards")
    compressed = for_profile("compressed")
    variables = {"__rate_interval": "4s", "__interval": "1s", "__range": "90s"}
    queries = dashboards.panel_queries(variables, compressed)
    assert queries
    empty = []
    # Instant queries at the end of each phase (an open incident shows only in one);
    # range queries over the whole story.
    moments = [run.phases[p.name] + p.duration - 0.5 for p in run.timeline.phases]
    for query in queries:
        if query.instant:
            found = any(run.stack.query(query.expr, at=t) for t in moments)
        else:
            found = bool(run.stack.query_range(query.expr, run.started, run.ended, step=1))
        if not found:
            empty.append(f"{query.dashboard} #{query.panel_id} {query.title!r}: {query.expr}")
    assert not empty, "panels without data:\n" + "\n".join(empty)


def test_the_run_covers_every_region(run: Run) -> None:
    up = run.stack.query('up{job="statusprobe"}')
    assert sorted(s["metric"]["region"] for s in up) == sorted(REGIONS)
    assert {a.region for a in list(run.sim.answers)} >= set(REGIONS)  # a copy: still served
