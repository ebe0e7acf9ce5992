"""Invariants of the state and the collector, each a small named test."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from exporter.config import Config, parse_config
from exporter.exposition.collector import StatusprobeCollector, target_host
from exporter.metrics import COLLECTED, MAX_INCIDENT_INFO_PER_PAGE
from exporter.models import (
    Component,
    ComponentStatus,
    Impact,
    Incident,
    Indicator,
    Outcome,
    PageSnapshot,
    PollError,
    ProbeResult,
)
from exporter.state import HistogramData, State

CONFIG = {
    "status_pages": [{"name": "acme", "url": "https://status.acme.test"}],
    "probes": [
        {
            "name": "acme-api",
            "type": "http",
            "url": "https://api.acme.test:8443/v1/health?key=abc",
            "page": "acme",
            "component": "API",
        }
    ],
}


def _config(raw: dict[str, object] | None = None) -> Config:
    return parse_config(raw or CONFIG)


def _state(config: Config | None = None) -> State:
    state = State()
    state.apply_config(config or _config())
    return state


def _samples(state: State) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    # A fixed clock: the records below use small fake times, and stale snapshots are left out.
    registry.register(StatusprobeCollector(state, clock=lambda: 200.0))
    text = generate_latest(registry).decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _snapshot(*components: Component, incidents: tuple[Incident, ...] = ()) -> PageSnapshot:
    return PageSnapshot(indicator=Indicator.NONE, components=components, incidents=incidents)


API_OK = Component("c1", "API", ComponentStatus.OPERATIONAL)
WEB_DOWN = Component("c2", "Web", ComponentStatus.MAJOR_OUTAGE, group="Consumer")


def test_every_component_state_is_a_series_with_exactly_one_set() -> None:
    state = _state()
    state.record_page_success("acme", _snapshot(API_OK, WEB_DOWN), now=100.0)
    samples = _samples(state)
    web = {
        labels: v
        for (name, labels), v in samples.items()
        if name == "statusprobe_component_status" and ("component", "Web") in labels
    }
    assert len(web) == len(ComponentStatus)
    assert sum(web.values()) == 1
    on = next(labels for labels, v in web.items() if v == 1)
    assert ("status", "major_outage") in on and ("group", "Consumer") in on


def test_a_removed_component_disappears() -> None:
    state = _state()
    state.record_page_success("acme", _snapshot(API_OK, WEB_DOWN), now=100.0)
    state.record_page_success("acme", _snapshot(API_OK), now=160.0)
    names = {dict(labels).get("component") for (n, labels) in _samples(state)}
    assert "API" in names and "Web" not in names


def test_a_failed_poll_keeps_the_last_good_snapshot_and_counts_the_reason() -> None:
    state = _state()
    state.record_page_success("acme", _snapshot(API_OK), now=100.0)
    state.record_page_failure("acme", PollError.INVALID_JSON, "HTML instead of JSON")
    samples = _samples(state)
    assert samples[("statusprobe_page_up", (("page", "acme"),))] == 0
    key = ("statusprobe_page_poll_errors_total", (("page", "acme"), ("reason", "invalid_json")))
    assert samples[key] == 1
    assert samples[("statusprobe_page_last_success_timestamp_seconds", (("page", "acme"),))] == 100
    comp = (("component", "API"), ("group", ""), ("page", "acme"), ("status", "operational"))
    assert samples[("statusprobe_component_status", comp)] == 1


def test_a_page_never_polled_is_down_with_no_mirrored_series() -> None:
    samples = _samples(_state())
    assert samples[("statusprobe_page_up", (("page", "acme"),))] == 0
    assert not any(name == "statusprobe_page_indicator" for name, _ in samples)


def test_duplicate_component_names_do_not_make_the_scrape_invalid() -> None:
    state = _state()
    twin = Component("c9", "API", ComponentStatus.MAJOR_OUTAGE)
    state.record_page_success("acme", _snapshot(API_OK, twin), now=1.0)
    samples = _samples(state)  # the parser would raise on a duplicate series
    comp = (("component", "API"), ("group", ""), ("page", "acme"), ("status", "operational"))
    assert samples[("statusprobe_component_status", comp)] == 1


def test_incident_info_is_bounded_and_incidents_open_counts_all() -> None:
    state = _state()
    incidents = tuple(
        Incident(f"i{n}", f"Outage {n}", "investigating", Impact.MAJOR) for n in range(50)
    )
    state.record_page_success("acme", _snapshot(API_OK, incidents=incidents), now=1.0)
    samples = _samples(state)
    infos = [k for k in samples if k[0] == "statusprobe_incident_info"]
    assert len(infos) == MAX_INCIDENT_INFO_PER_PAGE
    assert samples[("statusprobe_incidents_open", (("impact", "major"), ("page", "acme")))] == 50
    assert samples[("statusprobe_incidents_open", (("impact", "critical"), ("page", "acme")))] == 0


def test_every_outcome_counter_exists_from_the_start() -> None:
    samples = _samples(_state())
    outcomes = {
        dict(labels)["outcome"]: v
        for (name, labels), v in samples.items()
        if name == "statusprobe_probe_results_total"
    }
    assert outcomes == {o.value: 0 for o in Outcome}


def test_probe_results_feed_counters_histogram_and_last_values() -> None:
    state = _state()
    ok = ProbeResult(Outcome.SUCCESS, 0.3, 200, (("connect", 0.01), ("ttfb", 0.2)))
    bad = ProbeResult(Outcome.OVERLOADED, 1.2, 529, detail="HTTP 529", request_id="req_1")
    state.record_probe("acme-api", ok, now=10.0)
    state.record_probe("acme-api", bad, now=20.0)
    s = _samples(state)
    probe = (("probe", "acme-api"),)
    assert s[("statusprobe_probe_results_total", (("outcome", "success"), *probe))] == 1
    assert s[("statusprobe_probe_results_total", (("outcome", "overloaded"), *probe))] == 1
    assert s[("statusprobe_probe_success", probe)] == 0
    assert s[("statusprobe_probe_status_code", probe)] == 529
    assert s[("statusprobe_probe_duration_seconds_count", probe)] == 2
    assert s[("statusprobe_probe_duration_seconds_sum", probe)] == 1.5
    assert s[("statusprobe_probe_duration_seconds_bucket", (("le", "0.5"), *probe))] == 1
    assert s[("statusprobe_probe_duration_seconds_bucket", (("le", "2.5"), *probe))] == 2
    assert s[("statusprobe_probe_last_run_timestamp_seconds", probe)] == 20
    # phases are those of the last run only: the failed run had none
    assert not any(k[0] == "statusprobe_probe_phase_seconds" for k in s)
    assert state.snapshot().probes["acme-api"].last_failure == bad


def test_probe_info_carries_the_join_labels_and_only_the_host() -> None:
    s = _samples(_state())
    info = next(labels for (name, labels) in s if name == "statusprobe_probe_info")
    assert dict(info) == {
        "probe": "acme-api",
        "type": "http",
        "target": "api.acme.test:8443",
        "page": "acme",
        "component": "API",
    }


def test_target_host_drops_credentials_path_and_query() -> None:
    assert target_host("https://u:secret@h.test/p?key=k") == "h.test"
    assert target_host("http://[::1]:8080/x") == "::1:8080"


def test_histogram_value_on_a_bound_lands_in_that_bucket() -> None:
    h = HistogramData.empty((0.1, 1.0)).observe(0.1).observe(1.0).observe(5.0)
    assert h.counts == (1, 1, 1)
    assert h.cumulative() == [("0.1", 1), ("1.0", 2), ("+Inf", 3)]
    assert h.count == 3 and h.sum == 6.1


def test_reload_prunes_removed_items_and_keeps_counters_of_kept_ones() -> None:
    state = _state()
    state.record_probe("acme-api", ProbeResult(Outcome.SUCCESS, 0.1, 200), now=1.0)
    raw = {**CONFIG, "probes": [{**CONFIG["probes"][0], "interval": "10s"}]}  # type: ignore[dict-item]
    state.apply_config(_config(raw))
    kept = state.snapshot().probes["acme-api"]
    assert kept.outcome_count(Outcome.SUCCESS) == 1 and kept.config.interval == 10
    state.apply_config(_config({"status_pages": []}))
    snap = state.snapshot()
    assert not snap.pages and not snap.probes


def test_a_snapshot_does_not_change_when_state_moves_on() -> None:
    state = _state()
    before = state.snapshot()
    state.record_probe("acme-api", ProbeResult(Outcome.TIMEOUT, 15.0), now=1.0)
    assert before.probes["acme-api"].last is None
    assert state.snapshot().probes["acme-api"].last is not None


def test_every_catalogued_metric_is_described() -> None:
    described = {f.name for f in StatusprobeCollector(State()).describe()}
    # prometheus_client strips _total from counter family names
    assert described == {m.name.removesuffix("_total") for m in COLLECTED}


def test_exposition_series_are_sorted_by_page() -> None:
    raw = {"status_pages": [{"name": n, "url": f"https://{n}.test"} for n in ("zeta", "alpha")]}
    state = _state(_config(raw))
    ups = [
        dict(labels)["page"] for (name, labels) in _samples(state) if name == "statusprobe_page_up"
    ]
    assert ups == ["alpha", "zeta"]
