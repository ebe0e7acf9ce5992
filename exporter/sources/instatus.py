"""Instatus pages: `GET <page>/summary.json` and `GET <page>/v2/components.json`.

Two requests a poll, one after the other: the summary has the page state, incidents and
maintenances, the component list has the components.

What is read:

- The indicator from the summary's `page.status`: `UP` -> `none`, `UNDERMAINTENANCE` ->
  `maintenance`, `HASISSUES` -> the worst of the open incidents' impacts and the
  components' states, at least `minor`.
- Components from `components[]` (`id`, `name`, `status`) in the list's order. A
  component that others name as their `group` (`group.id`), or that says `isParent: true`,
  is a group, not a component; its members carry its name (or their `group.name`) in
  `group`. Components without a name are skipped.
- Incidents from `activeIncidents[]` (`RESOLVED` ones skipped): `id`, `name`, the status
  lower-cased (`investigating`, `identified`, `monitoring`), the impact from `impact`,
  `started_at` from `started`. The summary names no affected components.
- Maintenances in progress: `activeMaintenances[]` whose status is `INPROGRESS`, impact
  `none`, `started_at` from `start`; `NOTSTARTEDYET` and `COMPLETED` ones are left out.

| Instatus word | component state | impact |
|---|---|---|
| OPERATIONAL | operational | none |
| UNDERMAINTENANCE | under_maintenance | none |
| DEGRADEDPERFORMANCE | degraded_performance | minor |
| PARTIALOUTAGE | partial_outage | major |
| MINOROUTAGE | partial_outage | major |
| MAJOROUTAGE | major_outage | critical |

What it cannot give: the page's last-update time, a description, incident components.

Fallbacks (each recorded once in `unknown_values`): unknown `page.status` -> `minor`
(`page_status=<value>`); unknown component status -> `degraded_performance`
(`component_status=<value>`); unknown impact -> `minor` (`impact=<value>`); unknown
maintenance status -> not in progress (`maintenance_status=<value>`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from exporter.config import StatusPageConfig
from exporter.models import (
    Component,
    ComponentStatus,
    Impact,
    Incident,
    Indicator,
    PageSnapshot,
)
from exporter.sources import shape
from exporter.sources.fetch import get_json
from exporter.sources.shape import Object, Unknowns

if TYPE_CHECKING:
    from exporter.sources.client import PollClient

SUMMARY_PATH = "/summary.json"
COMPONENTS_PATH = "/v2/components.json"

CS = ComponentStatus
COMPONENT_STATUS = {
    "OPERATIONAL": CS.OPERATIONAL,
    "UNDERMAINTENANCE": CS.UNDER_MAINTENANCE,
    "DEGRADEDPERFORMANCE": CS.DEGRADED_PERFORMANCE,
    "PARTIALOUTAGE": CS.PARTIAL_OUTAGE,
    "MINOROUTAGE": CS.PARTIAL_OUTAGE,
    "MAJOROUTAGE": CS.MAJOR_OUTAGE,
}
IMPACT = {
    "OPERATIONAL": Impact.NONE,
    "UNDERMAINTENANCE": Impact.NONE,
    "DEGRADEDPERFORMANCE": Impact.MINOR,
    "PARTIALOUTAGE": Impact.MAJOR,
    "MINOROUTAGE": Impact.MAJOR,
    "MAJOROUTAGE": Impact.CRITICAL,
}
PAGE_STATUSES = frozenset({"UP", "HASISSUES", "UNDERMAINTENANCE"})
RESOLVED = frozenset({"RESOLVED"})
MAINTENANCE_STATUSES = frozenset({"NOTSTARTEDYET", "INPROGRESS", "COMPLETED"})


async def fetch(client: PollClient, page: StatusPageConfig) -> PageSnapshot:
    """Poll the summary, then the components; another shape is INVALID_PAYLOAD."""
    timeout = page.effective_timeout
    summary = await get_json(client, page.url + SUMMARY_PATH, timeout=timeout)
    with shape.poll_failure_on_parse_error():
        _page_status(shape.obj(summary, "summary"))  # not Instatus: don't ask for more
    components = await get_json(client, page.url + COMPONENTS_PATH, timeout=timeout)
    with shape.poll_failure_on_parse_error():
        return parse(summary, components)


def parse(summary: object, components: object = None) -> PageSnapshot:
    """A `PageSnapshot` from the decoded summary and component list (None: no components);
    `ParseError` for another shape."""
    root = shape.obj(summary, "summary")
    unknown = Unknowns()
    comps = _components(components, unknown)
    incidents = _incidents(root, unknown)
    return PageSnapshot(
        indicator=_indicator(_page_status(root), comps, incidents, unknown),
        components=comps,
        incidents=incidents,
        maintenances=_maintenances(root, unknown),
        unknown_values=unknown.values(),
    )


def _page_status(root: Object) -> str | None:
    """`page.status`; the check that the summary is an Instatus one at all."""
    return shape.text(shape.obj(root.get("page"), "page"), "status", "page")


def _indicator(
    status: str | None, components: tuple[Component, ...], incidents: tuple[Incident, ...],
    unknown: Unknowns,
) -> Indicator:  # fmt: skip
    if status == "UP":
        return Indicator.NONE
    if status == "UNDERMAINTENANCE":
        return Indicator.MAINTENANCE
    if status not in PAGE_STATUSES:
        unknown.record("page_status", status)
    derived = shape.derive_indicator(components, incidents)
    return derived if derived not in (Indicator.NONE, Indicator.MAINTENANCE) else Indicator.MINOR


# --- components -----------------------------------------------------------------------


def _components(payload: object, unknown: Unknowns) -> tuple[Component, ...]:
    if payload is None:
        return ()
    rows = shape.objects(shape.obj(payload, "component list"), "components", "")
    parsed = [(path, row, _group_of(row, path)) for path, row in rows]
    group_ids = {gid for _, _, (gid, _) in parsed if gid}
    names = {shape.identifier(row, "id", path): _name(row, path) for path, row in rows}
    out = []
    for path, row, (group_id, group_name) in parsed:
        component_id = shape.identifier(row, "id", path)
        is_group = component_id in group_ids or shape.flag(row, "isParent", path)
        name = _name(row, path)
        if is_group or not name:
            continue
        raw = shape.text(row, "status", path)
        status = unknown.lookup(COMPONENT_STATUS, "component_status", raw, CS.DEGRADED_PERFORMANCE)
        group = group_name or names.get(group_id, "")
        out.append(Component(id=component_id, name=name, status=status, group=group))
    return tuple(out)


def _name(row: Object, path: str) -> str:
    return (shape.text(row, "name", path) or "").strip()


def _group_of(row: Object, path: str) -> tuple[str, str]:
    """(group id, group name) of a component; ("", "") when it has none."""
    group = row.get("group")
    if group is None:
        return "", ""
    raw = shape.obj(group, f"{path}.group")
    return shape.identifier(raw, "id", f"{path}.group"), _name(raw, f"{path}.group")


# --- incidents and maintenances ---------------------------------------------------------


def _incidents(root: Object, unknown: Unknowns) -> tuple[Incident, ...]:
    out = []
    for path, raw in shape.objects(root, "activeIncidents", ""):
        status = shape.text(raw, "status", path) or ""
        impact = shape.text(raw, "impact", path)
        if status in RESOLVED:
            continue
        out.append(
            Incident(
                id=shape.identifier(raw, "id", path),
                name=shape.text(raw, "name", path) or "",
                status=status.lower(),
                impact=unknown.lookup(IMPACT, "impact", impact, Impact.MINOR),
                started_at=shape.timestamp(raw.get("started")),
            )
        )
    return tuple(out)


def _maintenances(root: Object, unknown: Unknowns) -> tuple[Incident, ...]:
    out = []
    for path, raw in shape.objects(root, "activeMaintenances", ""):
        status = shape.text(raw, "status", path)
        if status not in MAINTENANCE_STATUSES:
            unknown.record("maintenance_status", status)
        if status != "INPROGRESS":
            continue
        out.append(
            Incident(
                id=shape.identifier(raw, "id", path),
                name=shape.text(raw, "name", path) or "",
                status="in_progress",
                impact=Impact.NONE,
                started_at=shape.timestamp(raw.get("start")),
            )
        )
    return tuple(out)
