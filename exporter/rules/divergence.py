"""StatusprobeStatusPageDivergence: probes fail while the status page admits nothing.

A probe maps to a component of a status page (`page` and `component` on
statusprobe_probe_info), or to a whole page (`component` empty). Failures are judged per
region, so one region of three or five failing is not diluted by the healthy ones. A
region counts as failing when, in the short window, its ratio of failed runs is above a
threshold, it has a minimum number of them, and they span at least `divergence_min_span`
from the first to the last: a burst of about a minute, even in every region at once,
never pages, while intermittent failures with gaps between them still do.

The alert hands over to the info-level StatusprobeStatusPageDivergenceAcknowledged only
when the page admits trouble with *that* component (not operational, or an open incident
names it; for a whole-page mapping or a component the page does not list: the page's
indicator or any open incident), and keeps it there for one short window after the page
stops admitting it, so a page that resolves a minute after the errors stop does not page
again. A page that cannot be polled, or whose snapshot expired, admits nothing: failing
probes keep paging. Declared maintenance counts as admitted: the hand-over is info.
"""

from __future__ import annotations

from exporter.durations import parse_duration
from exporter.rules.model import Alert, Group, Record, alert, indent, num, sel
from exporter.rules.names import (
    OUTCOME_RATIO,
    PROBE_ADMITTED,
    PROBE_INFO,
    REGION_FAILURE_SPAN,
    REGION_UPSTREAM_FAILURE_RATIO,
    REGION_UPSTREAM_FAILURES,
    RESULTS,
    UPSTREAM_FAILURE_RATIO,
    UPSTREAM_FAILURES,
    name,
)
from exporter.rules.params import Params
from exporter.rules.recording import upstream_outcomes


def group(params: Params) -> Group:
    return Group("statusprobe-divergence", (*_records(params), _divergence(params), _ack(params)))


def _records(params: Params) -> list[Record]:
    upstream = upstream_outcomes(params)
    short = params.window(params.short_window)
    failed = sel(params, RESULTS, upstream)
    return [
        Record(
            name(UPSTREAM_FAILURE_RATIO, params),
            f"sum by (probe) ({name(OUTCOME_RATIO, params)}{{{upstream}}})",
        ),
        Record(
            name(UPSTREAM_FAILURES, params),
            f"sum by (probe) (increase({failed}[{short}]))",
        ),
    ]


def failing_regions(params: Params) -> str:
    """Each (probe, region) failing enough, valued by its failure ratio."""
    span = num(parse_duration(params.window(params.divergence_min_span)))
    return (
        f"{name(REGION_UPSTREAM_FAILURE_RATIO, params)} > {num(params.divergence_failure_ratio)}\n"
        "and on (probe, region)\n"
        f"{name(REGION_UPSTREAM_FAILURES, params)} >= {num(params.divergence_min_failures)}\n"
        "and on (probe, region)\n"
        f"{name(REGION_FAILURE_SPAN, params)} >= {span}"
    )


def _failing(params: Params) -> str:
    """Mapped probes with at least one failing region, valued by the worst region's ratio,
    with their page and component."""
    return (
        f"max by (probe) (\n{indent(failing_regions(params), 2)}\n)\n"
        f'* on (probe) group_left (page, component) {PROBE_INFO}{{page!=""}}'
    )


def _admitted(params: Params) -> str:
    """The page admits trouble with what the probe measures, now or within the window."""
    return f"max_over_time({PROBE_ADMITTED}[{params.window(params.short_window)}])"


def _what(params: Params) -> str:
    return (
        "{{ $value | humanizePercentage }} of the runs of probe {{ $labels.probe }} failed "
        f"in the worst region over the last {params.window(params.short_window)}, spread "
        f"over at least {params.window(params.divergence_min_span)} (not counting "
        f"{params.divergence_ignored_outcomes.replace('|', ', ')})"
    )


def _divergence(params: Params) -> Alert:
    return alert(
        params,
        "StatusprobeStatusPageDivergence",
        f"(\n{indent(_failing(params), 2)}\n)\nunless on (probe)\n{_admitted(params)}",
        for_=params.divergence_for,
        severity="critical",
        summary="Probes fail while the status page admits no trouble with the component.",
        description=(
            f"{_what(params)}, yet {{{{ $labels.page }}}} admits no trouble with "
            '{{ if $labels.component }}"{{ $labels.component }}"{{ else }}the page'
            "{{ end }}: it shows it operational with no open incident naming it, or it "
            "cannot be polled. Them or us: if every region and replica sees it, it is "
            "them and the status page has not caught up: switch to your fallback and "
            "report it to the provider with the request ids from /api/v1/status. If "
            "StatusprobeUpstreamErrorsLocalized names one region only, or probes of every "
            "upstream fail at once, suspect your own network, proxy or credentials first."
        ),
    )


def _ack(params: Params) -> Alert:
    return alert(
        params,
        "StatusprobeStatusPageDivergenceAcknowledged",
        f"(\n{indent(_failing(params), 2)}\n)\nand on (probe)\n{_admitted(params)}",
        for_=params.divergence_acknowledged_for,
        severity="info",
        summary="Probes fail and the status page admits trouble with the component.",
        description=(
            f"{_what(params)}, and {{{{ $labels.page }}}} admits trouble with "
            '{{ if $labels.component }}"{{ $labels.component }}"{{ else }}the page'
            "{{ end }}: not operational (maintenance included), or an open incident names "
            "it, now or within the window. Them: the provider knows. Keep your fallback on "
            "and follow the status page; act only if its updates stop matching what the "
            "probes see."
        ),
    )
