"""What the provider says: declared incidents, degraded components, an unreachable page.

Severity follows the provider's own words (incident impact, component status), mapped by
parameters. Replicas are deduplicated with `max by`.
"""

from __future__ import annotations

from exporter.rules.model import Alert, Group, alert, sel
from exporter.rules.params import Params


def group(params: Params) -> Group:
    return Group(
        "statusprobe-status-page",
        (*_incidents(params), *_components(params), _unreachable(params)),
    )


def _by_severity(critical: str, warning: str, info: str) -> list[tuple[str, str]]:
    pairs = [("critical", critical), ("warning", warning), ("info", info)]
    return [(severity, values) for severity, values in pairs if values]


def _matcher(label: str, values: str) -> str:
    return f'{label}=~"{values}"'


def _incidents(params: Params) -> list[Alert]:
    levels = _by_severity(
        params.incident_impacts_critical,
        params.incident_impacts_warning,
        params.incident_impacts_info,
    )
    return [
        alert(
            params,
            "StatusprobeStatusPageIncident",
            "max by (page, incident_id, name, impact) "
            f"({sel(params, 'statusprobe_incident_info', _matcher('impact', impacts))})",
            for_=params.status_page_for,
            severity=severity,
            summary="The provider declared an incident on its status page.",
            description=(
                '{{ $labels.page }} declared "{{ $labels.name }}" (impact '
                "{{ $labels.impact }}, id {{ $labels.incident_id }}). Them: the provider "
                "says it has a problem. Check whether your probes of this upstream fail "
                "(StatusprobeUpstream* alerts with the same page); if they do, switch to "
                "your fallback and follow the incident's updates; if they do not, the "
                "incident does not touch what you use."
            ),
        )
        for severity, impacts in levels
    ]


def _components(params: Params) -> list[Alert]:
    levels = _by_severity(
        params.component_statuses_critical,
        params.component_statuses_warning,
        params.component_statuses_info,
    )
    return [
        alert(
            params,
            "StatusprobeStatusPageComponentDegraded",
            "max by (page, group, component, status) "
            f"({sel(params, 'statusprobe_component_status', _matcher('status', statuses))})"
            " == 1",
            for_=params.status_page_for,
            severity=severity,
            summary="The provider's status page shows a component not operational.",
            description=(
                '{{ $labels.page }} shows "{{ $labels.component }}" as {{ $labels.status }}. '
                "Them: the provider says it. If probes mapped to this component fail too, "
                "the StatusprobeStatusPageDivergenceAcknowledged alert says so; keep your "
                "fallback on until the component is operational again."
            ),
        )
        for severity, statuses in levels
    ]


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
            "in the metrics, so divergence is judged on stale data. Them or us: if every "
            "page is unreachable, it is us (egress, DNS, proxy). Otherwise see "
            "statusprobe_page_poll_errors_total by reason: rate_limited or http_error (403) "
            "is a CDN blocking you, invalid_json or invalid_payload a changed format or an "
            "HTML error page, timeout or connect_error the page itself (often down together "
            "with the service)."
        ),
    )
