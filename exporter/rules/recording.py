"""Recording rules every alert and dashboard builds on.

Ratios, not rates, carry the meaning: when several exporter replicas probe the same
targets (HA), their duplicate series add to numerator and denominator alike and cancel.
`instance`, `job` and any `region` are aggregated away (`probe_region:` keeps `region`;
without a `region` target label it is simply one series per probe). Status-page series
are deduplicated with `max by`, so joins stay one-to-one with any number of replicas.
"""

from __future__ import annotations

from exporter.rules.model import Group, Record, indent, sel
from exporter.rules.names import (
    COMPONENT_STATUS,
    DURATION_QUANTILE,
    FAILURE_RATIO,
    INCIDENTS_OPEN,
    OUTCOME_RATIO,
    PAGE_INDICATOR,
    PROBE_INFO,
    REGION_FAILURE_RATIO,
    RESULTS,
    RUNS_RATE,
    SUCCESS_CHANGES,
    TTFT_QUANTILE,
    name,
)
from exporter.rules.params import Params

__all__ = [
    "COMPONENT_STATUS",
    "DURATION_QUANTILE",
    "FAILURE_RATIO",
    "INCIDENTS_OPEN",
    "OUTCOME_RATIO",
    "PAGE_INDICATOR",
    "PROBE_INFO",
    "REGION_FAILURE_RATIO",
    "RESULTS",
    "RUNS_RATE",
    "SUCCESS_CHANGES",
    "TTFT_QUANTILE",
    "group",
    "join_page",
    "name",
]


def join_page(expr: str) -> str:
    """`expr` (by probe) with the probe's `page` and `component` labels, for routing."""
    return f"(\n{indent(expr, 2)}\n)\n* on (probe) group_left (page, component)\n  {PROBE_INFO}"


def group(params: Params) -> Group:
    return Group("statusprobe-recording", (*_probe_rules(params), *_page_rules(params)))


def _probe_rules(params: Params) -> list[Record]:
    short, long_ = params.short_window, params.long_window
    s, lw = params.window(short), params.window(long_)
    failed = sel(params, RESULTS, 'outcome!="success"')
    runs = name(RUNS_RATE, params)
    return [
        Record(runs, f"sum by (probe) (rate({sel(params, RESULTS)}[{s}]))"),
        Record(
            name(FAILURE_RATIO, params),
            f"sum by (probe) (rate({failed}[{s}]))\n/\n{runs}",
        ),
        Record(
            name(REGION_FAILURE_RATIO, params),
            f"sum by (probe, region) (rate({failed}[{s}]))\n"
            f"/\nsum by (probe, region) (rate({sel(params, RESULTS)}[{s}]))",
        ),
        Record(
            name(FAILURE_RATIO, params, long_),
            f"sum by (probe) (rate({failed}[{lw}]))\n"
            f"/\nsum by (probe) (rate({sel(params, RESULTS)}[{lw}]))",
        ),
        Record(
            name(OUTCOME_RATIO, params),
            f"sum by (probe, outcome) (rate({sel(params, RESULTS)}[{s}]))\n"
            f"/ ignoring (outcome) group_left\n{runs}",
        ),
        Record(
            name(SUCCESS_CHANGES, params, long_),
            f"max by (probe) (changes({sel(params, 'statusprobe_probe_success')}[{lw}]))",
        ),
        _quantile(params, DURATION_QUANTILE, "statusprobe_probe_duration_seconds_bucket"),
        _quantile(params, TTFT_QUANTILE, "statusprobe_probe_ttft_seconds_bucket"),
        Record(
            PROBE_INFO,
            f"max by (probe, page, component) ({sel(params, 'statusprobe_probe_info')})",
        ),
    ]


def _quantile(params: Params, template: str, bucket: str) -> Record:
    q = repr(params.slow_quantile)
    return Record(
        name(template, params),
        f"histogram_quantile({q}, sum by (probe, le) "
        f"(rate({sel(params, bucket)}[{params.window(params.short_window)}])))",
        {"quantile": q},
    )


def _page_rules(params: Params) -> list[Record]:
    return [
        Record(
            COMPONENT_STATUS,
            f"max by (page, component, status) ({sel(params, 'statusprobe_component_status')})",
        ),
        Record(
            PAGE_INDICATOR,
            f"max by (page, indicator) ({sel(params, 'statusprobe_page_indicator')})",
        ),
        Record(
            INCIDENTS_OPEN,
            f"sum by (page) (max by (page, impact) ({sel(params, 'statusprobe_incidents_open')}))",
        ),
    ]
