"""What the provider says: declared incidents, degraded components, an unreachable page;
and mistakes in the probes' mapping to it.

Severity follows the provider's own words (incident impact, component status), mapped by
parameters, but critical and warning only for what you use: an incident that names a
component a probe maps to (or any incident of a page a probe maps to as a whole), a
component a probe maps to. The rest is info. An incident's free-text name is an
annotation, never a label, so an edited title does not notify again. Replicas are
deduplicated with `max by` before every join.
"""

from __future__ import annotations

from exporter.rules.model import Alert, Group, alert, indent, sel
from exporter.rules.names import COMPONENT_STATUS, INCIDENT_COMPONENT, PROBE_INFO
from exporter.rules.params import Params


def group(params: Params) -> Group:
    return Group(
        "statusprobe-status-page",
        (
            *_incidents(params),
            *_components(params),
            _unreachable(params),
            *_mapping(params),
        ),
    )


def _by_severity(critical: str, warning: str, info: str) -> list[tuple[str, str]]:
    pairs = [("critical", critical), ("warning", warning), ("info", info)]
    return [(severity, values) for severity, values in pairs if values]


def _any_level(levels: list[tuple[str, str]]) -> str:
    """The values of every severity level, as one regex alternation."""
    return "|".join(values for _, values in levels)


def _matcher(label: str, values: str) -> str:
    return f'{label}=~"{values}"'


def _incidents(params: Params) -> list[Alert]:
    levels = _by_severity(
        params.incident_impacts_critical,
        params.incident_impacts_warning,
        params.incident_impacts_info,
    )
    name = (
        '{{ with printf "max by (name) (statusprobe_incident_info{page=%q, incident_id=%q})" '
        '$labels.page $labels.incident_id | query }}"{{ . | first | label "name" }}"'
        "{{ else }}an incident{{ end }}"
    )
    out = []
    for severity, impacts in levels:
        if severity == "info":
            # Every impact of incidents that concern nothing a probe maps to, and the
            # info-level impacts of those that do.
            everything = _any_level(levels)
            expr = (
                f"{_incident_list(params, impacts)}\nor\n(\n"
                f"  {_incident_list(params, everything)}\n"
                "  unless on (page, incident_id)\n  (\n"
                f"{indent(_concerning(params, everything), 4)}\n  )\n)"
            )
        else:
            expr = _concerning(params, impacts)
        out.append(
            alert(
                params,
                "StatusprobeStatusPageIncident",
                expr,
                for_=params.status_page_for,
                severity=severity,
                summary="The provider declared an incident on its status page.",
                description=(
                    f"{{{{ $labels.page }}}} declared {name} (impact {{{{ $labels.impact }}}}, "
                    "id {{ $labels.incident_id }}){{ if $labels.component }}, naming "
                    '"{{ $labels.component }}", which your probes measure{{ end }}. Them: '
                    "the provider says it has a problem. Check whether your probes of this "
                    "upstream fail (StatusprobeUpstream* alerts with the same page); if they "
                    "do, switch to your fallback and follow the incident's updates; if they "
                    "do not, the incident does not touch what you use."
                ),
            )
        )
    return out


def _incident_list(params: Params, impacts: str) -> str:
    info = sel(params, "statusprobe_incident_info", _matcher("impact", impacts))
    return f"max by (page, incident_id, impact) ({info})"


def _concerning(params: Params, impacts: str) -> str:
    """Incidents of these impacts that concern what probes measure: one series per named
    component a probe maps to, or with no component for a page a probe maps to whole."""
    listed = _incident_list(params, impacts)
    return (
        "(\n"
        f"  {listed}\n"
        "  * on (page, incident_id) group_right (impact)\n"
        f"  {INCIDENT_COMPONENT}\n"
        f"  and on (page, component)\n  {PROBE_INFO}\n"
        ")\nor\n(\n"
        f'  {listed}\n  and on (page)\n  {PROBE_INFO}{{page!="", component=""}}\n'
        ")"
    )


def _components(params: Params) -> list[Alert]:
    levels = _by_severity(
        params.component_statuses_critical,
        params.component_statuses_warning,
        params.component_statuses_info,
    )
    not_operational = _any_level(levels)
    mapped = f"and on (page, component)\n{PROBE_INFO}"
    out = []
    for severity, statuses in levels:
        expr = _degraded(params, statuses)
        if severity == "info":
            # Components no probe maps to are info whatever their status.
            others = indent(_degraded(params, not_operational), 2)
            expr = f"{expr}\nor\n(\n{others}\n  unless on (page, component)\n  {PROBE_INFO}\n)"
        else:
            expr = f"{expr}\n{mapped}"
        out.append(
            alert(
                params,
                "StatusprobeStatusPageComponentDegraded",
                expr,
                for_=params.status_page_for,
                severity=severity,
                summary="The provider's status page shows a component not operational.",
                description=(
                    '{{ $labels.page }} shows "{{ $labels.component }}" as '
                    "{{ $labels.status }}. Them: the provider says it. If probes mapped to "
                    "this component fail too, the StatusprobeStatusPageDivergenceAcknowledged "
                    "alert says so; keep your fallback on until the component is operational "
                    "again."
                ),
            )
        )
    return out


def _degraded(params: Params, statuses: str) -> str:
    metric = sel(params, "statusprobe_component_status", _matcher("status", statuses))
    return f"max by (page, group, component, status) ({metric}) == 1"


def _unreachable(params: Params) -> Alert:
    return alert(
        params,
        "StatusprobeStatusPageUnreachable",
        f"max by (page) ({sel(params, 'statusprobe_page_up')}) == 0",
        for_=params.page_unreachable_for,
        severity="warning",
        summary="The status page cannot be polled.",
        description=(
            "No replica could fetch and parse {{ $labels.page }} for "
            f"{params.window(params.page_unreachable_for)}; its last good snapshot stays "
            "in the metrics until the page's stale_after, then its series go. Either way "
            "a silent page admits nothing: probes that fail keep paging "
            "(StatusprobeStatusPageDivergence). Them or us: if every "
            "page is unreachable, it is us (egress, DNS, proxy). Otherwise see "
            "statusprobe_page_poll_errors_total by reason: rate_limited or http_error (403) "
            "is a CDN blocking you, invalid_json or invalid_payload a changed format or an "
            "HTML error page, timeout or connect_error the page itself (often down together "
            "with the service)."
        ),
    )


def _mapping(params: Params) -> list[Alert]:
    info = sel(params, "statusprobe_probe_info")
    listed = f"max by (page, component) ({COMPONENT_STATUS})"
    return [
        alert(
            params,
            "StatusprobeProbeComponentUnknown",
            f'{PROBE_INFO}{{page!="", component!=""}}\n'
            f"unless on (page, component)\n{listed}\n"
            f"and on (page)\nmax by (page) ({listed})",
            for_=params.mapping_for,
            severity="warning",
            summary="A probe is mapped to a component the status page does not list.",
            description=(
                'Probe {{ $labels.probe }} is mapped to "{{ $labels.component }}" of '
                "{{ $labels.page }}, which the page (polled fine) does not list. Until fixed, "
                "its divergence is judged against the page as a whole (indicator, any "
                "incident). Them or us: us, usually a typo or a component the provider "
                "renamed; copy the exact name from /api/v1/status or the page, then reload. "
                "Components beyond the page's max_components are not listed either."
            ),
        ),
        alert(
            params,
            "StatusprobeProbeMappingConflict",
            f"count by (probe) (count by (probe, page, component) ({info})) > 1",
            for_=params.mapping_for,
            severity="warning",
            summary="Replicas or regions map a probe to different components.",
            description=(
                "Probe {{ $labels.probe }} has {{ $value }} different page/component "
                "mappings across replicas and regions. The rules follow the one most "
                "series agree on, so nothing breaks, but a region may be judged against "
                "the wrong component. Them or us: us, a rollout in progress or a config "
                "that differs between regions; finish the rollout or align the configs."
            ),
        ),
    ]
