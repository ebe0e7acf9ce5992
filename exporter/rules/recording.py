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
    COMPONENT_ADMITS,
    COMPONENT_STATUS,
    DURATION_QUANTILE,
    FAILURE_RATIO,
    INCIDENT_COMPONENT,
    INCIDENTS_OPEN,
    OUTCOME_RATIO,
    PAGE_ADMITS,
    PAGE_INDICATOR,
    PROBE_ADMITTED,
    PROBE_INFO,
    PROBE_MAINTENANCE,
    REGION_FAILING_AT,
    REGION_FAILURE_RATIO,
    REGION_FAILURE_SPAN,
    REGION_UPSTREAM_FAILURE_RATIO,
    REGION_UPSTREAM_FAILURES,
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
    return Group(
        "statusprobe-recording",
        (
            *_probe_rules(params),
            *_region_rules(params),
            *_page_rules(params),
            *_admission_rules(),
        ),
    )


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
        Record(PROBE_INFO, _probe_info(params)),
    ]


def _probe_info(params: Params) -> str:
    """One mapping per probe, whatever the replicas say: during a rollout two of them may
    map a probe differently, and a join on two would fail ("many-to-many matching") and
    silence every alert built on it. The mapping most series agree on wins (ties: one of
    them); StatusprobeProbeMappingConflict says that they disagree. Value 1."""
    info = sel(params, "statusprobe_probe_info")
    return f"topk by (probe) (1, count by (probe, page, component) ({info})) > bool 0"


def upstream_outcomes(params: Params) -> str:
    """Outcomes that count against the provider (divergence): not your quota or request."""
    return f'outcome!~"success|{params.divergence_ignored_outcomes}"'


def _region_rules(params: Params) -> list[Record]:
    """Per (probe, region): upstream failures, their ratio, and how long they lasted."""
    short = params.window(params.short_window)
    failed = sel(params, RESULTS, upstream_outcomes(params))
    failing_at = name(REGION_FAILING_AT, params)
    return [
        Record(
            name(REGION_UPSTREAM_FAILURE_RATIO, params),
            f"sum by (probe, region) (rate({failed}[{short}]))\n"
            f"/\nsum by (probe, region) (rate({sel(params, RESULTS)}[{short}]))",
        ),
        Record(
            name(REGION_UPSTREAM_FAILURES, params),
            f"sum by (probe, region) (increase({failed}[{short}]))",
        ),
        Record(
            failing_at,
            f"timestamp(sum by (probe, region) (idelta({failed}[{params.window('2m')}])) > 0)",
        ),
        Record(
            name(REGION_FAILURE_SPAN, params),
            f"max_over_time({failing_at}[{short}]) - min_over_time({failing_at}[{short}])",
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
        Record(
            INCIDENT_COMPONENT,
            "max by (page, incident_id, component) "
            f"({sel(params, 'statusprobe_incident_component_info')})",
        ),
    ]


def _admission_rules() -> list[Record]:
    """Does the page admit trouble with what each probe measures? Absent (not 0) when it
    does not, or when there is no official status at all: a page that cannot be polled,
    or whose snapshot expired, admits nothing."""
    known = f"max by (page, component) ({COMPONENT_STATUS})"
    whole_page = (
        f'(\n  {PROBE_INFO}{{component=""}}\n  or\n'
        f"  ({PROBE_INFO} unless on (page, component) {known})\n)"
    )
    return [
        Record(
            COMPONENT_ADMITS,
            f'max by (page, component) ({COMPONENT_STATUS}{{status!="operational"}} == 1)\n'
            f"or\nmax by (page, component) ({INCIDENT_COMPONENT})",
        ),
        Record(
            PAGE_ADMITS,
            f'max by (page) ({PAGE_INDICATOR}{{indicator!="none"}} == 1)\n'
            f"or\ncount by (page) ({INCIDENTS_OPEN} > 0)",
        ),
        Record(
            PROBE_ADMITTED,
            f"max by (probe, page, component) (\n"
            f"  ({PROBE_INFO} and on (page, component) {COMPONENT_ADMITS})\n"
            f"  or\n  ({indent(whole_page, 2).strip()} and on (page) {PAGE_ADMITS})\n)",
        ),
        Record(
            PROBE_MAINTENANCE,
            f"max by (probe, page, component) (\n"
            f"  (\n    {PROBE_INFO}\n    and on (page, component)\n"
            f'    ({COMPONENT_STATUS}{{status="under_maintenance"}} == 1)\n  )\n'
            f"  or\n  (\n    {indent(whole_page, 4).strip()}\n    and on (page)\n"
            f'    ({PAGE_INDICATOR}{{indicator="maintenance"}} == 1)\n  )\n)',
        ),
    ]
