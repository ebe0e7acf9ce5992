"""Slack's status API: `GET <url>/api/v2.0.0/current` (`url: https://slack-status.com`).

The answer (https://docs.slack.dev/reference/slack-status-api) is `status` (`ok` or
`active`), `date_created`, `date_updated` and `active_incidents[]`, each with `id`,
`date_created`, `date_updated`, `title`, `type` (`incident`, `notice`, `outage`,
`maintenance`), `status` (`active`, `resolved`, `scheduled`, `completed`), `url`,
`services[]` (names such as `Messaging`) and `notes[]`.

What is read:

- Components: the services status.slack.com lists (`SERVICES`), plus any other service an
  incident names, ungrouped, each operational unless an open incident names it. Slack
  gives services no ids: a component's id is its name.
- Open incidents: entries whose type is not `maintenance` and whose status is not
  `resolved` or `completed`. Name from `title`, status as Slack says it, `started_at` from
  `date_created`, `component_ids` the service names. Maintenances in progress: entries of
  type `maintenance` whose status is `active` (or `in_progress`).
- The page's last update from `date_updated`. The indicator is derived: the worst open
  incident's impact, `maintenance` when nothing is worse and a maintenance is in progress.

| type | impact | state of the services it names |
|---|---|---|
| outage | critical | major_outage |
| incident | minor | degraded_performance |
| notice | none | unchanged |
| maintenance | none | under_maintenance |

What it cannot give: component groups, a per-service state beyond what incidents say.

Fallback (recorded once in `unknown_values`): an unknown `type` is read as `incident`
(`type=<value>`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from exporter.config import StatusPageConfig
from exporter.errors import ParseError
from exporter.models import Component, ComponentStatus, Impact, Incident, PageSnapshot
from exporter.sources import shape
from exporter.sources.fetch import get_json
from exporter.sources.shape import Object, Unknowns

if TYPE_CHECKING:
    from exporter.sources.client import PollClient

CURRENT_PATH = "/api/v2.0.0/current"
# The services status.slack.com shows, in its order (2026).
SERVICES = (
    "Login/SSO",
    "Messaging",
    "Notifications",
    "Search",
    "Workspace/Org Administration",
    "Canvases",
    "Connectivity",
    "Files",
    "Workflows",
    "Apps/Integrations/APIs",
)
CLOSED = frozenset({"resolved", "completed"})
ACTIVE_MAINTENANCE = frozenset({"active", "in_progress"})


class Kind(NamedTuple):
    impact: Impact
    state: ComponentStatus | None  # None: leaves the services' state as it is


KINDS = {
    "outage": Kind(Impact.CRITICAL, ComponentStatus.MAJOR_OUTAGE),
    "incident": Kind(Impact.MINOR, ComponentStatus.DEGRADED_PERFORMANCE),
    "notice": Kind(Impact.NONE, None),
    "maintenance": Kind(Impact.NONE, ComponentStatus.UNDER_MAINTENANCE),
}


async def fetch(client: PollClient, page: StatusPageConfig) -> PageSnapshot:
    """Poll Slack's current status; another shape is INVALID_PAYLOAD."""
    payload = await get_json(client, page.url + CURRENT_PATH, timeout=page.effective_timeout)
    with shape.poll_failure_on_parse_error():
        return parse(payload)


def parse(payload: object) -> PageSnapshot:
    """A `PageSnapshot` from a decoded `current` answer; `ParseError` for another shape."""
    root = shape.obj(payload, "current")
    if shape.text(root, "status", "") is None:
        raise ParseError("status is missing")
    unknown = Unknowns()
    incidents: list[Incident] = []
    maintenances: list[Incident] = []
    states: dict[str, ComponentStatus] = dict.fromkeys(SERVICES, ComponentStatus.OPERATIONAL)
    for path, raw in shape.objects(root, "active_incidents", ""):
        entry, kind, is_maintenance = _entry(raw, path, unknown)
        if entry is None:
            continue
        (maintenances if is_maintenance else incidents).append(entry)
        for service in entry.component_ids:
            current = states.setdefault(service, ComponentStatus.OPERATIONAL)
            states[service] = current if kind.state is None else shape.worse(current, kind.state)
    components = tuple(Component(id=name, name=name, status=s) for name, s in states.items())
    return PageSnapshot(
        indicator=shape.derive_indicator(components, incidents, maintenances),
        components=components,
        incidents=tuple(incidents),
        maintenances=tuple(maintenances),
        updated_at=shape.timestamp(root.get("date_updated")),
        unknown_values=unknown.values(),
    )


def _entry(raw: Object, path: str, unknown: Unknowns) -> tuple[Incident | None, Kind, bool]:
    """The incident or maintenance an entry is (None when closed), its kind, and whether
    it is a maintenance."""
    type_ = shape.text(raw, "type", path)
    kind = unknown.lookup(KINDS, "type", type_, KINDS["incident"])
    status = shape.text(raw, "status", path) or ""
    services = _services(raw, path)
    is_maintenance = type_ == "maintenance"
    open_ = status in ACTIVE_MAINTENANCE if is_maintenance else status not in CLOSED
    if not open_:
        return None, kind, is_maintenance
    incident = Incident(
        id=shape.identifier(raw, "id", path),
        name=(shape.text(raw, "title", path) or "").strip(),
        status=status,
        impact=kind.impact,
        started_at=shape.timestamp(raw.get("date_created")),
        component_ids=services,
    )
    return incident, kind, is_maintenance


def _services(raw: Object, path: str) -> tuple[str, ...]:
    names = [
        shape.string(item, f"{path}.services[{i}]").strip()
        for i, item in enumerate(shape.array(raw, "services", path))
    ]
    return tuple(dict.fromkeys(n for n in names if n))
