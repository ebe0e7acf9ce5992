"""Cardinality bounds on what a status page can make the exporter emit.

A page decides how many components and open incidents it lists; each becomes label
values on the exporter's series. These pure functions pick what is kept, the state
counts what is dropped (`statusprobe_page_dropped_total`) and the collector renders what
is kept, so the choice is made in one place.

- Components: the first `max_components` in the page's display order.
- Incidents (`statusprobe_incident_info`): the `max_incidents` most severe, in the
  page's order; `statusprobe_incidents_open` counts every open incident regardless.
"""

from __future__ import annotations

from exporter.models import Component, Impact, Incident

_SEVERITY = {Impact.CRITICAL: 0, Impact.MAJOR: 1, Impact.MINOR: 2, Impact.NONE: 3}
DROP_KINDS = ("component", "incident")  # the `kind` label of statusprobe_page_dropped_total


def kept_components(components: tuple[Component, ...], limit: int) -> tuple[Component, ...]:
    return components[:limit]


def kept_incidents(incidents: tuple[Incident, ...], limit: int) -> tuple[Incident, ...]:
    if len(incidents) <= limit:
        return incidents
    by_severity = sorted(range(len(incidents)), key=lambda i: (_SEVERITY[incidents[i].impact], i))
    return tuple(incidents[i] for i in sorted(by_severity[:limit]))


def dropped(
    components: tuple[Component, ...],
    incidents: tuple[Incident, ...],
    *,
    max_components: int,
    max_incidents: int,
) -> tuple[int, int]:
    """How many components and incidents the bounds leave out, aligned with DROP_KINDS."""
    return max(0, len(components) - max_components), max(0, len(incidents) - max_incidents)
