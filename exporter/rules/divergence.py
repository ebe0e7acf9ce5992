"""StatusprobeStatusPageDivergence: probes fail while the status page says all is well.

A probe maps to a component of a status page (`page` and `component` on
statusprobe_probe_info), or to a whole page (`component` empty: then the page indicator
counts). The alert needs both a failure ratio and a count of failed runs in the short
window, so one isolated failed run never fires it whatever the probe interval. Once the
page shows the component not operational, or opens any incident, the alert hands over to
the info-level StatusprobeStatusPageDivergenceAcknowledged.
"""

from __future__ import annotations

from exporter.rules.model import Alert, Group, Record, alert, indent, num, sel
from exporter.rules.names import (
    COMPONENT_STATUS,
    INCIDENTS_OPEN,
    OUTCOME_RATIO,
    PAGE_INDICATOR,
    PROBE_INFO,
    RESULTS,
    UPSTREAM_FAILURE_RATIO,
    UPSTREAM_FAILURES,
    name,
)
from exporter.rules.params import Params

_OPERATIONAL = f"""(
    {COMPONENT_STATUS}{{status="operational"}} == 1
  or
    {PAGE_INDICATOR}{{indicator="none"}} == 1
)"""
_NOT_OPERATIONAL = _OPERATIONAL.replace("== 1", "== 0")
_INCIDENT = f"({INCIDENTS_OPEN} > 0)"


def group(params: Params) -> Group:
    return Group("statusprobe-divergence", (*_records(params), _divergence(params), _ack(params)))


def _records(params: Params) -> list[Record]:
    upstream = f'outcome!~"success|{params.divergence_ignored_outcomes}"'
    return [
        Record(
            name(UPSTREAM_FAILURE_RATIO, params),
            f"sum by (probe) ({name(OUTCOME_RATIO, params)}{{{upstream}}})",
        ),
        Record(
            name(UPSTREAM_FAILURES, params),
            f"sum by (probe) (increase({sel(params, RESULTS, upstream)}"
            f"[{params.window(params.short_window)}]))",
        ),
    ]


def _failing(params: Params) -> str:
    """Probes failing enough, with their page and component (only mapped probes)."""
    return (
        "(\n"
        f"    {name(UPSTREAM_FAILURE_RATIO, params)} > {num(params.divergence_failure_ratio)}\n"
        "  and on (probe)\n"
        f"    {name(UPSTREAM_FAILURES, params)} >= {num(params.divergence_min_failures)}\n"
        ")\n"
        f'* on (probe) group_left (page, component) {PROBE_INFO}{{page!=""}}'
    )


def _what(params: Params) -> str:
    return (
        "{{ $value | humanizePercentage }} of the runs of probe {{ $labels.probe }} failed in "
        f"the last {params.window(params.short_window)} (not counting "
        f"{params.divergence_ignored_outcomes.replace('|', ', ')})"
    )


def _divergence(params: Params) -> Alert:
    return alert(
        params,
        "StatusprobeStatusPageDivergence",
        f"{_failing(params)}\nand on (page, component)\n{_OPERATIONAL}\n"
        f"unless on (page)\n{_INCIDENT}",
        for_=params.divergence_for,
        severity="critical",
        summary="Probes fail while the status page says the component is operational.",
        description=(
            f"{_what(params)}, yet {{{{ $labels.page }}}} shows "
            '{{ if $labels.component }}"{{ $labels.component }}"{{ else }}the whole page'
            "{{ end }} as operational and has no open incident. Them or us: if every "
            "region and replica sees it, it is them and the status page has not caught up: "
            "switch to your fallback and report it to the provider with the request ids from "
            "/api/v1/status. If StatusprobeUpstreamErrorsLocalized fires for one region only, "
            "or probes of every upstream fail at once, suspect your own network, proxy or "
            "credentials first."
        ),
    )


def _ack(params: Params) -> Alert:
    failing = indent(_failing(params), 2)
    return alert(
        params,
        "StatusprobeStatusPageDivergenceAcknowledged",
        f"(\n{failing}\n  and on (page, component)\n{indent(_NOT_OPERATIONAL, 2)}\n)\n"
        f"or\n(\n{failing}\n  and on (page)\n  {_INCIDENT}\n)",
        for_=params.divergence_acknowledged_for,
        severity="info",
        summary="Probes fail and the status page now acknowledges a problem.",
        description=(
            f"{_what(params)}, and {{{{ $labels.page }}}} now admits a problem: "
            '{{ if $labels.component }}"{{ $labels.component }}" is not operational{{ else }}'
            "its indicator is not none{{ end }} or an incident is open. Them: the provider "
            "knows. Keep your fallback on and follow the status page; act only if its "
            "updates stop matching what the probes see."
        ),
    )
