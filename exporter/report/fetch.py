"""The series the report reads: raw exporter metrics (the README's metric tables), so it
works without the rules pack. Every query aggregates by `region` (a target label: absent,
it is "") and merges replicas of one region.

Two instant queries over the whole range find every probe, what it measures, and which
probes failed at all; the range queries (the expensive part) then ask only about those
probes and their pages, so a quiet fleet of thousands of probes costs two small answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exporter.report.prometheus import Prometheus, Series

POINTS = 1000  # steps per range: the report's time resolution is (until - since) / POINTS

TOTALS = "sum by (region, probe, outcome) (increase(statusprobe_probe_results_total[{w}]))"
INFO = "max by (region, probe, page, component) (max_over_time(statusprobe_probe_info[{w}]))"
RANGES = {
    "results": "sum by (region, probe, outcome) (statusprobe_probe_results_total{{{probes}}})",
    "components": "max by (page, component, status) (statusprobe_component_status{{{pages}}} == 1)",
    "indicator": "max by (page, indicator) (statusprobe_page_indicator{{{pages}}} == 1)",
    "incidents": "max by (page, incident_id, name, impact, status) "
    "(statusprobe_incident_info{{{pages}}})",
    "incident_components": "max by (page, incident_id, component) "
    "(statusprobe_incident_component_info{{{pages}}})",
    "duration": "sum by (region, probe, le) "
    "(statusprobe_probe_duration_seconds_bucket{{{probes}}})",
    "ttft": "sum by (region, probe, le) (statusprobe_probe_ttft_seconds_bucket{{{probes}}})",
}


@dataclass(frozen=True)
class Data:
    start: float
    end: float
    step: float
    results: list[Series]  # range: the probes that failed in the range
    info: list[Series]  # every probe's page and component
    components: list[Series]
    indicator: list[Series]
    incidents: list[Series]
    duration: list[Series]
    ttft: list[Series]
    totals: tuple[Series, ...] = ()  # instant: runs per outcome over the whole range
    incident_components: tuple[Series, ...] = ()  # the components each incident names

    @property
    def times(self) -> list[float]:
        n = round((self.end - self.start) / self.step)
        return [self.start + k * self.step for k in range(n + 1)]

    def index(self, at: float) -> int:
        return round((at - self.start) / self.step)


def step_for(start: float, end: float) -> float:
    return max(round((end - start) / POINTS, 3), 0.001)


_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$])")


def _literal(value: str) -> str:
    """`value` as a regex matching only itself, inside a PromQL double-quoted string: a
    regex escape is a backslash, written twice in the string."""
    return _SPECIAL.sub(r"\\\\\1", value).replace('"', '\\"')


def _matcher(label: str, values: set[str]) -> str:
    return f'{label}=~"{"|".join(_literal(v) for v in sorted(values))}"'


def fetch(prometheus: Prometheus, start: float, end: float) -> Data:
    step = step_for(start, end)
    end = start + round((end - start) / step) * step
    window = f"{round((end - start) * 1000)}ms"
    totals = prometheus.instant(TOTALS.format(w=window), end)
    info = prometheus.instant(INFO.format(w=window), end)
    failed = {
        s.labels.get("probe", "")
        for s in totals
        if s.labels.get("outcome") != "success" and s.points[0][1] > 0
    }
    series: dict[str, list[Series]] = {name: [] for name in RANGES}
    if failed:
        pages = {s.labels["page"] for s in info if s.labels.get("probe") in failed}
        pages.discard("")
        selectors = {"probes": _matcher("probe", failed), "pages": _matcher("page", pages)}
        for name, expr in RANGES.items():
            if "{pages}" in expr and not pages:
                continue
            series[name] = prometheus.range(expr.format(**selectors), start, end, step)
    named = tuple(series.pop("incident_components"))
    return Data(
        start, end, step, info=info, totals=tuple(totals), incident_components=named, **series
    )
