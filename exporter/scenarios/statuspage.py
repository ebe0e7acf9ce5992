"""A simulated Atlassian Statuspage (pure): a `PageState` rendered as the v2 API's JSON.

The shapes follow Statuspage's public v2 API (docs/sources.md)
(`/api/v2/summary.json`, `status.json`, `components.json`, `incidents/unresolved.json`,
`scheduled-maintenances/active.json`): `page{id,name,url,time_zone,updated_at}`,
`status{indicator,description}`, `components[]` with groups (`group: true` and a
`components` list of member ids; members point back with `group_id`), and unresolved
`incidents[]` with their `incident_updates[]`. exporter/sources/statuspage.py parses them
back; tests/test_scenarios.py checks the round trip.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from exporter.scenarios.timeline import Incident, PageState

PAGE_CREATED = "2023-07-11T17:43:21.517Z"


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    group: str = ""  # the group's name; "" = top level
    description: str = ""


@dataclass(frozen=True)
class PageLayout:
    """The page's fixed parts: its name, URL and components in display order."""

    name: str
    url: str
    components: tuple[ComponentSpec, ...]

    @property
    def id(self) -> str:
        return stable_id(self.name)

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.group for c in self.components if c.group))


def stable_id(*parts: str) -> str:
    """A Statuspage-like id (12 characters of [0-9a-z]), the same for the same parts."""
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(alphabet[b % 36] for b in digest[:12])


def timestamp(at: float) -> str:
    """ISO 8601 in UTC with milliseconds, as Statuspage writes it."""
    moment = datetime.fromtimestamp(at, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def summary(
    layout: PageLayout,
    state: PageState,
    *,
    changed_at: float,
    opened_at: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """`/api/v2/summary.json` for `state`. `changed_at`: when the state took effect;
    `opened_at`: incident id -> when it was first declared (default `changed_at`)."""
    return {
        "page": _page(layout, changed_at),
        "components": components(layout, state, changed_at=changed_at),
        "incidents": incidents(layout, state, changed_at=changed_at, opened_at=opened_at),
        "scheduled_maintenances": [],
        "status": status(state),
    }


def status(state: PageState) -> dict[str, str]:
    return {"indicator": state.indicator, "description": state.description}


def components(layout: PageLayout, state: PageState, *, changed_at: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for position, group in enumerate(layout.groups, start=1):
        members = [c for c in layout.components if c.group == group]
        worst = _worst(state.status_of(c.name) for c in members)
        entry = _component(layout, ComponentSpec(group), worst, position, changed_at)
        entry |= {"group": True, "components": [stable_id(layout.name, c.name) for c in members]}
        out.append(entry)
    for position, spec in enumerate(layout.components, start=1):
        out.append(_component(layout, spec, state.status_of(spec.name), position, changed_at))
    return out


def incidents(
    layout: PageLayout,
    state: PageState,
    *,
    changed_at: float,
    opened_at: Mapping[str, float] | None = None,
) -> list[dict[str, Any]]:
    opened_at = opened_at or {}
    return [
        _incident(layout, state, incident, opened_at.get(incident.id, changed_at), changed_at)
        for incident in state.incidents
    ]


def _page(layout: PageLayout, changed_at: float) -> dict[str, str]:
    return {
        "id": layout.id,
        "name": layout.name,
        "url": layout.url,
        "time_zone": "Etc/UTC",
        "updated_at": timestamp(changed_at),
    }


def _component(
    layout: PageLayout, spec: ComponentSpec, status: str, position: int, changed_at: float
) -> dict[str, Any]:
    return {
        "id": stable_id(layout.name, spec.name),
        "name": spec.name,
        "status": status,
        "created_at": PAGE_CREATED,
        "updated_at": timestamp(changed_at),
        "position": position,
        "description": spec.description or None,
        "showcase": True,
        "start_date": PAGE_CREATED[:10],
        "group_id": stable_id(layout.name, spec.group) if spec.group else None,
        "page_id": layout.id,
        "group": False,
        "only_show_if_degraded": False,
    }


def _incident(
    layout: PageLayout, state: PageState, incident: Incident, opened: float, changed: float
) -> dict[str, Any]:
    affected = [c for c in layout.components if c.name in incident.components]
    statuses = {c.name: state.status_of(c.name) for c in affected}
    update = {
        "id": stable_id(incident.id, incident.status, incident.update),
        "status": incident.status,
        "body": incident.update,
        "incident_id": incident.id,
        "created_at": timestamp(changed),
        "updated_at": timestamp(changed),
        "display_at": timestamp(changed),
        "affected_components": [
            {
                "code": stable_id(layout.name, name),
                "name": name,
                "old_status": "operational",
                "new_status": status,
            }
            for name, status in statuses.items()
        ]
        or None,
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }
    return {
        "id": incident.id,
        "name": incident.name,
        "status": incident.status,
        "created_at": timestamp(opened),
        "updated_at": timestamp(changed),
        "monitoring_at": timestamp(changed) if incident.status == "monitoring" else None,
        "resolved_at": None,
        "impact": incident.impact,
        "shortlink": f"https://stspg.io/{incident.id[:10]}",
        "started_at": timestamp(opened),
        "page_id": layout.id,
        "incident_updates": [update],
        "components": [
            _component(layout, spec, statuses[spec.name], i, changed)
            for i, spec in enumerate(affected, start=1)
        ],
    }


_SEVERITY = ("operational", "under_maintenance", "degraded_performance", "partial_outage")


def _worst(statuses: Iterable[str]) -> str:
    """A group's status: its worst member's (major_outage, or anything unknown, worst)."""
    return max(statuses, key=_rank, default="operational")


def _rank(status: str) -> int:
    return _SEVERITY.index(status) if status in _SEVERITY else len(_SEVERITY)
