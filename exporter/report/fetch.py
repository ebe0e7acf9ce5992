"""The series the report reads: raw exporter metrics (docs/metrics), so it works without
the rules pack. Every query aggregates by `region` (a target label: absent, it is "")
and merges replicas of one region."""

from __future__ import annotations

from dataclasses import dataclass

from exporter.report.prometheus import Prometheus, Series

POINTS = 1000  # steps per range: the report's time resolution is (until - since) / POINTS

QUERIES = {
    "results": "sum by (region, probe, outcome) (statusprobe_probe_results_total)",
    "info": "max by (region, probe, page, component) (statusprobe_probe_info)",
    "components": "max by (page, component, status) (statusprobe_component_status == 1)",
    "indicator": "max by (page, indicator) (statusprobe_page_indicator == 1)",
    "incidents": "max by (page, incident_id, name, impact, status) (statusprobe_incident_info)",
    "duration": "sum by (region, probe, le) (statusprobe_probe_duration_seconds_bucket)",
    "ttft": "sum by (region, probe, le) (statusprobe_probe_ttft_seconds_bucket)",
}


@dataclass(frozen=True)
class Data:
    start: float
    end: float
    step: float
    results: list[Series]
    info: list[Series]
    components: list[Series]
    indicator: list[Series]
    incidents: list[Series]
    duration: list[Series]
    ttft: list[Series]

    @property
    def times(self) -> list[float]:
        n = round((self.end - self.start) / self.step)
        return [self.start + k * self.step for k in range(n + 1)]

    def index(self, at: float) -> int:
        return round((at - self.start) / self.step)


def step_for(start: float, end: float) -> float:
    return max(round((end - start) / POINTS, 3), 0.001)


def fetch(prometheus: Prometheus, start: float, end: float) -> Data:
    step = step_for(start, end)
    end = start + round((end - start) / step) * step
    series = {name: prometheus.range(expr, start, end, step) for name, expr in QUERIES.items()}
    return Data(start, end, step, **series)
