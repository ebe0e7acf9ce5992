"""incident.io status pages: `GET <page>/proxy/<host>` (e.g. status.openai.com).

The request is what the page's own frontend makes: for `url: https://status.openai.com` it
is `https://status.openai.com/proxy/status.openai.com`. It answers `{"summary": {...}}` with
the page's whole structure, unlike incident.io's documented widget API (`/api/v1/summary`),
which lists only affected components and which a page owner can switch off; unlike the
Statuspage-compatible `/api/v2/summary.json` that incident.io also serves, it keeps every
group. It is not a documented API, so its shape may change: a change shows as
`invalid_payload` poll errors, never as a crash.

What is read (`summary.` prefix omitted):

- Components from `structure.items[]`, in the page's order: an item is either
  `{"group": {"name", "hidden", "components": [{"component_id", "name", "hidden"}]}}`,
  whose members carry the group's name in `group`, or `{"component": {...}}` on its own.
  Hidden groups and components are skipped, and so are components without a name. A
  component's state is its entry in `affected_components[]` (`component_id`, `status`);
  a component not listed there is operational. `full_outage` reads as `major_outage`.
- Incidents from `ongoing_incidents[]` (`resolved` ones are skipped): `id`, `name`,
  `status` as the page says it. The impact is `current_worst_impact` when present, else
  the worst of the incident's `component_impacts[]` / `affected_components[]` statuses
  (degraded_performance -> minor, partial_outage -> major, full_outage -> critical,
  under_maintenance -> none), else `none`. `started_at` is the first readable of
  `published_at`, `started_at`, `created_at`; `component_ids` are the `component_id`s of
  those lists.
- Maintenances in progress: entries of `scheduled_maintenances[]` whose status is
  `in_progress` or `maintenance_in_progress`, and every entry of
  `in_progress_maintenances[]`; their impact is `none`, `started_at` the first readable of
  `started_at`, `scheduled_start_at`, `starts_at`.
- The indicator is derived (the page publishes none): the worst of the open incidents'
  impacts and the components' states; `maintenance` when nothing is worse and a maintenance
  is in progress; `none` otherwise.

What it cannot give: a page description and the page's last-update time.

Fallbacks for values incident.io may add (each recorded once in `unknown_values`):

- unknown component status -> `degraded_performance` (`component_status=<value>`)
- unknown `current_worst_impact` -> `minor` (`impact=<value>`)
- unknown maintenance status -> not in progress (`maintenance_status=<value>`)
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from exporter.config import StatusPageConfig
from exporter.models import Component, ComponentStatus, Impact, Incident, PageSnapshot
from exporter.sources import shape
from exporter.sources.fetch import get_json
from exporter.sources.shape import Object, Unknowns

if TYPE_CHECKING:
    from exporter.sources.client import PollClient

PROXY_PATH = "/proxy/"
RESOLVED_STATUSES = frozenset({"resolved"})
ACTIVE_MAINTENANCE = frozenset({"in_progress", "maintenance_in_progress"})
KNOWN_MAINTENANCE = ACTIVE_MAINTENANCE | frozenset(
    {"scheduled", "maintenance_scheduled", "completed", "maintenance_complete", "cancelled"}
)
INCIDENT_TIME_KEYS = ("published_at", "started_at", "created_at")
MAINTENANCE_TIME_KEYS = ("started_at", "scheduled_start_at", "starts_at", "published_at")

COMPONENT_STATUS = {
    "operational": ComponentStatus.OPERATIONAL,
    "degraded_performance": ComponentStatus.DEGRADED_PERFORMANCE,
    "partial_outage": ComponentStatus.PARTIAL_OUTAGE,
    "full_outage": ComponentStatus.MAJOR_OUTAGE,
    "major_outage": ComponentStatus.MAJOR_OUTAGE,
    "under_maintenance": ComponentStatus.UNDER_MAINTENANCE,
}
IMPACT = {  # `current_worst_impact`
    "degraded_performance": Impact.MINOR,
    "partial_outage": Impact.MAJOR,
    "full_outage": Impact.CRITICAL,
}


def url_for(page_url: str) -> str:
    """The proxy URL the page's frontend reads: `<url>/proxy/<host>`."""
    return page_url + PROXY_PATH + (urlsplit(page_url).hostname or "")


async def fetch(client: PollClient, page: StatusPageConfig) -> PageSnapshot:
    """Poll `page`'s proxy summary; another shape is INVALID_PAYLOAD."""
    payload = await get_json(client, url_for(page.url), timeout=page.effective_timeout)
    with shape.poll_failure_on_parse_error():
        return parse(payload)


def parse(payload: object) -> PageSnapshot:
    """A `PageSnapshot` from a decoded proxy response; `ParseError` for another shape."""
    root = shape.obj(shape.obj(payload, "proxy response").get("summary"), "summary")
    unknown = Unknowns()
    affected = _statuses(root, "affected_components", "summary", unknown)
    components = _components(root, affected)
    incidents = _incidents(root, unknown)
    maintenances = _maintenances(root, unknown)
    return PageSnapshot(
        indicator=shape.derive_indicator(components, incidents, maintenances),
        components=components,
        incidents=incidents,
        maintenances=maintenances,
        unknown_values=unknown.values(),
    )


# --- components ------------------------------------------------------------------------


def _statuses(parent: Object, key: str, path: str, unknown: Unknowns) -> dict[str, ComponentStatus]:
    """`component_id -> state` from a list of `{component_id, status}`; worst one wins."""
    states: dict[str, ComponentStatus] = {}
    for item_path, item in shape.objects(parent, key, path):
        component_id = shape.identifier(item, "component_id", item_path)
        raw = shape.text(item, "status", item_path)
        state = unknown.lookup(
            COMPONENT_STATUS, "component_status", raw, ComponentStatus.DEGRADED_PERFORMANCE
        )
        if component_id:
            states[component_id] = shape.worse(state, states.get(component_id, state))
    return states


def _components(root: Object, affected: dict[str, ComponentStatus]) -> tuple[Component, ...]:
    structure = shape.optional_obj(root, "structure", "summary")
    out: list[Component] = []
    for item_path, item in shape.objects(structure, "items", "summary.structure"):
        group = item.get("group")
        if group is not None:
            out += _group(shape.obj(group, f"{item_path}.group"), f"{item_path}.group", affected)
        elif item.get("component") is not None:
            path = f"{item_path}.component"
            out += _members([(path, shape.obj(item["component"], path))], "", affected)
    return tuple(out)


def _group(group: Object, path: str, affected: dict[str, ComponentStatus]) -> list[Component]:
    name = (shape.text(group, "name", path) or "").strip()
    members = shape.objects(group, "components", path)
    if shape.flag(group, "hidden", path):
        return []
    return _members(members, name, affected)


def _members(
    members: list[tuple[str, Object]], group: str, affected: dict[str, ComponentStatus]
) -> list[Component]:
    out = []
    for path, member in members:
        component_id = shape.identifier(member, "component_id", path)
        name = (shape.text(member, "name", path) or "").strip()
        if shape.flag(member, "hidden", path) or not name:
            continue
        status = affected.get(component_id, ComponentStatus.OPERATIONAL)
        out.append(Component(id=component_id, name=name, status=status, group=group))
    return out


# --- incidents and maintenances -----------------------------------------------------------


def _incidents(root: Object, unknown: Unknowns) -> tuple[Incident, ...]:
    out = []
    for path, raw in shape.objects(root, "ongoing_incidents", "summary"):
        status = shape.text(raw, "status", path) or ""
        impacts, component_ids = _impacts(raw, path, unknown)
        if status in RESOLVED_STATUSES:
            continue
        out.append(
            Incident(
                id=shape.identifier(raw, "id", path),
                name=shape.text(raw, "name", path) or "",
                status=status,
                impact=_impact(raw, path, impacts, unknown),
                started_at=shape.first_timestamp(raw, INCIDENT_TIME_KEYS),
                component_ids=component_ids,
            )
        )
    return tuple(out)


def _impacts(raw: Object, path: str, unknown: Unknowns) -> tuple[list[Impact], tuple[str, ...]]:
    """The impacts of an item's component lists, and the component ids they name."""
    impacts: list[Impact] = []
    ids: dict[str, None] = {}
    for key in ("component_impacts", "affected_components", "components"):
        for item_path, item in shape.objects(raw, key, path):
            component_id = shape.identifier(item, "component_id", item_path)
            status = shape.text(item, "status", item_path)
            if status is not None:
                state = unknown.lookup(
                    COMPONENT_STATUS,
                    "component_status",
                    status,
                    ComponentStatus.DEGRADED_PERFORMANCE,
                )
                impacts.append(shape.impact_of(state))
            if component_id:
                ids.setdefault(component_id)
    return impacts, tuple(ids)


def _impact(raw: Object, path: str, impacts: list[Impact], unknown: Unknowns) -> Impact:
    declared = shape.text(raw, "current_worst_impact", path)
    if declared is not None:
        return unknown.lookup(IMPACT, "impact", declared, Impact.MINOR)
    return shape.worst_impact(impacts)


def _maintenances(root: Object, unknown: Unknowns) -> tuple[Incident, ...]:
    out = []
    for key in ("in_progress_maintenances", "scheduled_maintenances"):
        for path, raw in shape.objects(root, key, "summary"):
            status = shape.text(raw, "status", path) or ""
            _, component_ids = _impacts(raw, path, unknown)
            if key == "scheduled_maintenances" and not _in_progress(status, unknown):
                continue
            out.append(
                Incident(
                    id=shape.identifier(raw, "id", path),
                    name=shape.text(raw, "name", path) or "",
                    status=status or "in_progress",
                    impact=Impact.NONE,
                    started_at=shape.first_timestamp(raw, MAINTENANCE_TIME_KEYS),
                    component_ids=component_ids,
                )
            )
    return tuple(out)


def _in_progress(status: str, unknown: Unknowns) -> bool:
    if status not in KNOWN_MAINTENANCE:
        unknown.record("maintenance_status", status or None)
    return status in ACTIVE_MAINTENANCE
