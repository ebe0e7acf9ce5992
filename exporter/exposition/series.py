"""Which series statusprobe's own families hold: described once, written two ways.

`add_page` and `add_probe` decide every series of one page or probe: its label values
and its value. They write into a `PageSeries` / `ProbeSeries`, one writer per family
in exposition order. The collector (collector.py) passes prometheus_client metric
families; the native exposition (exposition_lines.py) passes writers that format the
lines directly. So staleness, caps, dedupe and label trimming live here only, and
both outputs hold the same series by construction.

Bounds: at most `max_components` components and `max_incidents` incident_info series
per page (exporter/caps.py picks them; incident_component_info only for those incidents
and components), label values trimmed to MAX_LABEL_LENGTH. Once
the last good snapshot is older than the page's `stale_after`, its mirrored series
(indicator, components, incidents, updated timestamp) are left out; page_up, page_info,
the poll counters and the last-success timestamp stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Generic, NamedTuple, Protocol, TypeVar
from urllib.parse import urlsplit

from exporter import metrics as m
from exporter.caps import DROP_KINDS, kept_components, kept_incidents
from exporter.models import OUTCOMES, ComponentStatus, Impact, Indicator
from exporter.state import POLL_ERRORS, HistogramData, PageState, ProbeState


class Adder(Protocol):
    """A gauge or counter family: one sample per call (prometheus_client's signature)."""

    def add_metric(self, labels: Sequence[str], value: float) -> None: ...


class HistogramAdder(Protocol):
    """A histogram family: one labelled histogram per call."""

    def add_histogram(self, labels: Sequence[str], data: HistogramData) -> None: ...


T = TypeVar("T")  # what each family is: a catalogue entry, a metric family, a line writer
H = TypeVar("H")  # the same for the histogram families
A = TypeVar("A", bound=Adder)
AH = TypeVar("AH", bound=HistogramAdder)


class PageSeries(NamedTuple, Generic[T]):
    """The status-page families, in exposition order."""

    up: T
    info: T
    indicator: T
    components: T
    incidents: T
    incident_info: T
    incident_components: T
    updated: T
    last_success: T
    errors: T
    duration: T
    backoff: T
    dropped: T
    unknown: T


class ProbeSeries(NamedTuple, Generic[T, H]):
    """The probe families, in exposition order."""

    results: T
    success: T
    duration: H
    phase: T
    ttft: H
    status: T
    info: T
    last_run: T
    tls_expiry: T


PAGE_SPECS: PageSeries[m.Metric] = PageSeries(
    m.PAGE_UP,
    m.PAGE_INFO,
    m.PAGE_INDICATOR,
    m.COMPONENT_STATUS,
    m.INCIDENTS_OPEN,
    m.INCIDENT_INFO,
    m.INCIDENT_COMPONENT,
    m.PAGE_UPDATED,
    m.PAGE_LAST_SUCCESS,
    m.PAGE_POLL_ERRORS,
    m.PAGE_POLL_DURATION,
    m.PAGE_BACKOFF_UNTIL,
    m.PAGE_DROPPED,
    m.PAGE_UNKNOWN_VALUES,
)
PROBE_SPECS: ProbeSeries[m.Metric, m.Metric] = ProbeSeries(
    m.PROBE_RESULTS,
    m.PROBE_SUCCESS,
    m.PROBE_DURATION,
    m.PROBE_PHASE,
    m.PROBE_TTFT,
    m.PROBE_STATUS_CODE,
    m.PROBE_INFO,
    m.PROBE_LAST_RUN,
    m.PROBE_TLS_EXPIRY,
)


# Label values of the enums, looked up once (an enum's .value is a slow descriptor).
_INDICATORS = tuple((state, state.value) for state in Indicator)
_STATUSES = tuple((status, status.value) for status in ComponentStatus)
_IMPACTS = tuple((impact, impact.value) for impact in Impact)
_OUTCOME_VALUES = tuple(outcome.value for outcome in OUTCOMES)
_POLL_ERROR_VALUES = tuple(reason.value for reason in POLL_ERRORS)


def trim(value: str) -> str:
    return value if len(value) <= m.MAX_LABEL_LENGTH else value[: m.MAX_LABEL_LENGTH - 1] + "…"


@lru_cache(maxsize=16384)  # one url per probe; a scrape asks for every probe's
def target_host(url: str) -> str:
    """Host (and port) only: never a path, query string or credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:  # out of range: config validation refuses it, rendering survives it
        return host
    return f"{host}:{port}" if port else host


def add_page(out: PageSeries[A], name: str, page: PageState, now: float) -> None:
    """Page `name`'s series; the mirrored ones only while its snapshot is fresh at `now`."""
    out.up.add_metric([name], 1.0 if page.up else 0.0)
    for kind, dropped in zip(DROP_KINDS, page.dropped, strict=True):
        out.dropped.add_metric([name, kind], float(dropped))
    out.unknown.add_metric([name], float(page.unknown_values))
    if page.last_duration is not None:
        out.duration.add_metric([name], page.last_duration)
    if page.backoff_until is not None:
        out.backoff.add_metric([name], page.backoff_until)
    provider = (page.snapshot and page.snapshot.provider) or page.config.provider  # auto
    out.info.add_metric([name, provider, page.config.url], 1.0)
    for reason, errors in zip(_POLL_ERROR_VALUES, page.errors, strict=True):
        out.errors.add_metric([name, reason], float(errors))
    if page.last_success is not None:
        out.last_success.add_metric([name], page.last_success)
    snapshot = page.snapshot
    if snapshot is None or page.is_stale(now):
        return
    for state, value in _INDICATORS:
        out.indicator.add_metric([name, value], float(snapshot.indicator is state))
    seen: set[tuple[str, str]] = set()
    names: dict[str, str] = {}  # component id -> its `component` label, for incidents
    for comp in kept_components(snapshot.components, page.config.max_components):
        key = (trim(comp.name), trim(comp.group))
        if key in seen:  # duplicate names would make the scrape invalid
            continue
        seen.add(key)
        names[comp.id] = key[0]
        for status, value in _STATUSES:
            out.components.add_metric([name, *key, value], float(comp.status is status))
    for impact, value in _IMPACTS:
        count = sum(1 for i in snapshot.incidents if i.impact is impact)
        out.incidents.add_metric([name, value], float(count))
    for inc in kept_incidents(snapshot.incidents, page.config.max_incidents):
        labels = [name, trim(inc.id), trim(inc.name), inc.impact.value, trim(inc.status)]
        out.incident_info.add_metric(labels, 1.0)
        affected = {names[i] for i in inc.component_ids if i in names}
        for component in sorted(affected):  # only components the page's series list
            out.incident_components.add_metric([name, labels[1], component], 1.0)
    if snapshot.updated_at is not None:
        out.updated.add_metric([name], snapshot.updated_at)


def add_probe(out: ProbeSeries[A, AH], name: str, probe: ProbeState) -> None:
    """Probe `name`'s series: info and outcome counters always, the rest once it has run."""
    cfg = probe.config
    labels = [name, cfg.type, target_host(cfg.url), cfg.page or "", cfg.component or ""]
    out.info.add_metric(labels, 1.0)
    for outcome, count in zip(_OUTCOME_VALUES, probe.outcomes, strict=True):
        out.results.add_metric([name, outcome], float(count))
    if probe.ttft.count:
        out.ttft.add_histogram([name], probe.ttft)
    last = probe.last
    if last is None:
        return
    out.duration.add_histogram([name], probe.duration)
    out.success.add_metric([name], 1.0 if last.success else 0.0)
    out.status.add_metric([name], float(last.status_code))
    for phase_name, seconds in last.phases:
        out.phase.add_metric([name, phase_name], seconds)
    if probe.last_run is not None:
        out.last_run.add_metric([name], probe.last_run)
    if last.tls_not_after is not None:
        out.tls_expiry.add_metric([name], last.tls_not_after)
