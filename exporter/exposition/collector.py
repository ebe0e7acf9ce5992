"""The custom collector: one immutable state snapshot -> metric families.

`collect()` never awaits, sleeps or does I/O. Mirrored state (indicator,
components, incidents) is rebuilt from the snapshot at every scrape, so a
component that disappears upstream disappears from /metrics too. Which series
exist (bounds, staleness, dedupe) is decided in series.py; this module turns them
into prometheus_client metric families. /metrics writes the same series faster itself
(native.py) in the formats it knows, and uses this collector for the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from exporter import metrics as m
from exporter.exposition.series import (
    PAGE_SPECS,
    PROBE_SPECS,
    PageSeries,
    ProbeSeries,
    add_page,
    add_probe,
    target_host,
)
from exporter.state import HistogramData, PageState, ProbeState, State

__all__ = ["StatusprobeCollector", "page_families", "probe_families", "target_host"]

_Plain = GaugeMetricFamily | CounterMetricFamily


class HistogramFamily(HistogramMetricFamily):
    """A histogram family that takes a `HistogramData` (series.HistogramAdder)."""

    def add_histogram(self, labels: Sequence[str], data: HistogramData) -> None:
        self.add_metric(labels, data.cumulative(), sum_value=data.sum)


def _plain(spec: m.Metric) -> _Plain:
    if spec.type == "counter":
        return CounterMetricFamily(spec.name, spec.help, labels=spec.labels)
    return GaugeMetricFamily(spec.name, spec.help, labels=spec.labels)


def _histogram(spec: m.Metric) -> HistogramFamily:
    return HistogramFamily(spec.name, spec.help, labels=spec.labels)


def metric_family(spec: m.Metric) -> Metric:
    """An empty prometheus_client family for a catalogue entry."""
    return _histogram(spec) if spec.type == "histogram" else _plain(spec)


class StatusprobeCollector(Collector):
    def __init__(self, state: State, *, clock: Callable[[], float] = time.time) -> None:
        self._state = state
        self._clock = clock  # wall clock: staleness compares it with last_success

    def describe(self) -> list[Metric]:
        return [metric_family(spec) for spec in m.COLLECTED]

    def collect(self) -> Iterator[Metric]:
        snap = self._state.snapshot()
        pages = sorted(snap.pages.items())
        probes = sorted(snap.probes.items())
        yield from page_families(pages, self._clock())
        yield from probe_families(probes)


def page_families(pages: list[tuple[str, PageState]], now: float) -> Iterator[Metric]:
    """The status-page families for `pages` (label value, state); `now` in unix seconds."""
    out: PageSeries[_Plain] = PageSeries._make(_plain(spec) for spec in PAGE_SPECS)
    for name, page in pages:
        add_page(out, name, page, now)
    yield from out


def probe_families(probes: list[tuple[str, ProbeState]]) -> Iterator[Metric]:
    """The probe families for `probes` (label value, state)."""
    out: ProbeSeries[_Plain, HistogramFamily] = ProbeSeries._make(
        metric_family(spec) for spec in PROBE_SPECS
    )
    for name, probe in probes:
        add_probe(out, name, probe)
    yield from out
