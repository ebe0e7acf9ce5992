"""The custom collector: one immutable state snapshot -> metric families.

`collect()` never awaits, sleeps or does I/O. Mirrored state (indicator,
components, incidents) is rebuilt from the snapshot at every scrape, so a
component that disappears upstream disappears from /metrics too.

Bounds: at most `max_components` components and `max_incidents` incident_info series
per page (exporter/caps.py picks them), label values trimmed to MAX_LABEL_LENGTH. Once
the last good snapshot is older than the page's `stale_after`, its mirrored series
(indicator, components, incidents, updated timestamp) are left out; page_up, page_info,
the poll counters and the last-success timestamp stay.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from exporter import metrics as m
from exporter.caps import DROP_KINDS, kept_components, kept_incidents
from exporter.models import ComponentStatus, Impact, Indicator
from exporter.state import OUTCOMES, POLL_ERRORS, HistogramData, PageState, ProbeState, State


def _gauge(spec: m.Metric) -> GaugeMetricFamily:
    return GaugeMetricFamily(spec.name, spec.help, labels=spec.labels)


def _counter(spec: m.Metric) -> CounterMetricFamily:
    return CounterMetricFamily(spec.name, spec.help, labels=spec.labels)


def _histogram(spec: m.Metric) -> HistogramMetricFamily:
    return HistogramMetricFamily(spec.name, spec.help, labels=spec.labels)


_FAMILY = {"gauge": _gauge, "counter": _counter, "histogram": _histogram}


def _trim(value: str) -> str:
    return value if len(value) <= m.MAX_LABEL_LENGTH else value[: m.MAX_LABEL_LENGTH - 1] + "…"


def target_host(url: str) -> str:
    """Host (and port) only: never a path, query string or credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{host}:{parts.port}" if parts.port else host


class StatusprobeCollector(Collector):
    def __init__(self, state: State, *, clock: Callable[[], float] = time.time) -> None:
        self._state = state
        self._clock = clock  # wall clock: staleness compares it with last_success

    def describe(self) -> list[Metric]:
        return [_FAMILY[spec.type](spec) for spec in m.COLLECTED]

    def collect(self) -> Iterator[Metric]:
        snap = self._state.snapshot()
        pages = sorted(snap.pages.items())
        probes = sorted(snap.probes.items())
        yield from page_families(pages, self._clock())
        yield from _probe_families(probes)


def page_families(pages: list[tuple[str, PageState]], now: float) -> Iterator[Metric]:
    """The status-page families for `pages` (label value, state); `now` in unix seconds."""
    up, info = _gauge(m.PAGE_UP), _gauge(m.PAGE_INFO)
    indicator, components = _gauge(m.PAGE_INDICATOR), _gauge(m.COMPONENT_STATUS)
    incidents, incident_info = _gauge(m.INCIDENTS_OPEN), _gauge(m.INCIDENT_INFO)
    updated, last_success = _gauge(m.PAGE_UPDATED), _gauge(m.PAGE_LAST_SUCCESS)
    errors = _counter(m.PAGE_POLL_ERRORS)
    duration, backoff = _gauge(m.PAGE_POLL_DURATION), _gauge(m.PAGE_BACKOFF_UNTIL)
    dropped, unknown = _counter(m.PAGE_DROPPED), _counter(m.PAGE_UNKNOWN_VALUES)
    for name, page in pages:
        up.add_metric([name], 1.0 if page.up else 0.0)
        for kind in DROP_KINDS:
            dropped.add_metric([name, kind], float(page.dropped_count(kind)))
        unknown.add_metric([name], float(page.unknown_values))
        if page.last_duration is not None:
            duration.add_metric([name], page.last_duration)
        if page.backoff_until is not None:
            backoff.add_metric([name], page.backoff_until)
        provider = (page.snapshot and page.snapshot.provider) or page.config.provider  # auto
        info.add_metric([name, provider, page.config.url], 1.0)
        for reason in POLL_ERRORS:
            errors.add_metric([name, reason.value], float(page.error_count(reason)))
        if page.last_success is not None:
            last_success.add_metric([name], page.last_success)
        snapshot = page.snapshot
        if snapshot is None or page.is_stale(now):
            continue
        for state in Indicator:
            indicator.add_metric([name, state.value], float(snapshot.indicator is state))
        seen: set[tuple[str, str]] = set()
        for comp in kept_components(snapshot.components, page.config.max_components):
            key = (_trim(comp.name), _trim(comp.group))
            if key in seen:  # duplicate names would make the scrape invalid
                continue
            seen.add(key)
            for status in ComponentStatus:
                components.add_metric([name, *key, status.value], float(comp.status is status))
        for impact in Impact:
            count = sum(1 for i in snapshot.incidents if i.impact is impact)
            incidents.add_metric([name, impact.value], float(count))
        for inc in kept_incidents(snapshot.incidents, page.config.max_incidents):
            labels = [name, _trim(inc.id), _trim(inc.name), inc.impact.value, _trim(inc.status)]
            incident_info.add_metric(labels, 1.0)
        if snapshot.updated_at is not None:
            updated.add_metric([name], snapshot.updated_at)
    yield from (up, info, indicator, components, incidents, incident_info)
    yield from (updated, last_success, errors, duration, backoff, dropped, unknown)


def _add_histogram(family: HistogramMetricFamily, labels: list[str], data: HistogramData) -> None:
    family.add_metric(labels, data.cumulative(), sum_value=data.sum)


def _probe_families(probes: list[tuple[str, ProbeState]]) -> Iterator[Metric]:
    results, success = _counter(m.PROBE_RESULTS), _gauge(m.PROBE_SUCCESS)
    duration, ttft = _histogram(m.PROBE_DURATION), _histogram(m.PROBE_TTFT)
    phase, status, info = _gauge(m.PROBE_PHASE), _gauge(m.PROBE_STATUS_CODE), _gauge(m.PROBE_INFO)
    last_run, tls_expiry = _gauge(m.PROBE_LAST_RUN), _gauge(m.PROBE_TLS_EXPIRY)
    for name, probe in probes:
        cfg = probe.config
        labels = [name, cfg.type, target_host(cfg.url), cfg.page or "", cfg.component or ""]
        info.add_metric(labels, 1.0)
        for outcome in OUTCOMES:
            results.add_metric([name, outcome.value], float(probe.outcome_count(outcome)))
        if probe.ttft.count:
            _add_histogram(ttft, [name], probe.ttft)
        last = probe.last
        if last is None:
            continue
        _add_histogram(duration, [name], probe.duration)
        success.add_metric([name], 1.0 if last.success else 0.0)
        status.add_metric([name], float(last.status_code))
        for phase_name, seconds in last.phases:
            phase.add_metric([name, phase_name], seconds)
        if probe.last_run is not None:
            last_run.add_metric([name], probe.last_run)
        if last.tls_not_after is not None:
            tls_expiry.add_metric([name], last.tls_not_after)
    yield from (results, success, duration, phase, ttft, status, info, last_run, tls_expiry)
