"""Atlassian Statuspage v2: `GET <page>/api/v2/summary.json`.

`parse` is pure (payload in, `PageSnapshot` out, the payload left untouched); `fetch` gets
the summary and parses it.

What is read:

- The page indicator and description from `status`; `updated_at` from `page`.
- Components, in the order the page displays them: top-level entries by `position`, each
  group's members by their own `position` in the group's place. A group (`group: true`)
  is not a component itself; its members, named by their `group_id` or by the group's
  `components` list, carry the group's name in `group` (`""` when ungrouped). Components
  without a name are skipped.
- Incidents that are not `resolved` or `postmortem`, and scheduled maintenances that are
  `in_progress` or `verifying`. `started_at` is the first parseable of `started_at`,
  then `created_at` (maintenances try `scheduled_for` before `created_at`); timestamps are
  ISO 8601 with `Z` or an offset, with or without fractions; one without an offset is
  read as UTC, one that cannot be read becomes None. `component_ids` come from the
  item's `components[].id`.

Fallbacks for values Statuspage may add in the future (each recorded once in
`unknown_values` as `field=value`, `null` for a missing value):

- unknown `status.indicator` -> `minor` (`indicator=<value>`)
- unknown component status -> `degraded_performance` (`component_status=<value>`)
- unknown incident or maintenance impact -> `minor` (`impact=<value>`); Statuspage's own
  `maintenance` impact, which scheduled maintenances carry, is known and read as `none`.

`null` where a string is usual reads as empty. A value of the wrong JSON type (components
that are not a list, a component that is not an object, a name that is a number), a
missing `status` object or a missing `status.indicator` raise `ParseError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from exporter.config import StatusPageConfig
from exporter.errors import ParseError
from exporter.models import (
    Component,
    ComponentStatus,
    Impact,
    Incident,
    Indicator,
    PageSnapshot,
)
from exporter.sources.fetch import get_json
from exporter.sources.shape import (
    Object,
    Unknowns,
    array,
    first_timestamp,
    flag,
    join,
    kind,
    obj,
    poll_failure_on_parse_error,
    string,
    text,
    timestamp,
)

if TYPE_CHECKING:
    from exporter.sources.client import PollClient

SUMMARY_PATH = "/api/v2/summary.json"
RESOLVED_STATUSES = frozenset({"resolved", "postmortem"})
ACTIVE_MAINTENANCE_STATUSES = frozenset({"in_progress", "verifying"})
INCIDENT_TIME_KEYS = ("started_at", "created_at")
MAINTENANCE_TIME_KEYS = ("started_at", "scheduled_for", "created_at")
_KNOWN_IMPACT_ALIASES = {"maintenance": Impact.NONE}


async def fetch(client: PollClient, page: StatusPageConfig) -> PageSnapshot:
    """Poll `page`'s summary; a payload without the summary's shape is INVALID_PAYLOAD."""
    payload = await get_json(client, page.url + SUMMARY_PATH, timeout=page.effective_timeout)
    with poll_failure_on_parse_error():
        return parse(payload)


def parse(payload: object) -> PageSnapshot:
    """A `PageSnapshot` from a decoded summary.json; `ParseError` when it has another shape."""
    root = obj(payload, "summary")
    status = obj(root.get("status"), "status")
    unknown = Unknowns()
    return PageSnapshot(
        indicator=_indicator(status, unknown),
        description=text(status, "description", "status") or "",
        components=_components(array(root, "components", ""), unknown),
        incidents=_incidents(root, unknown),
        maintenances=_maintenances(root, unknown),
        updated_at=_page_updated_at(root),
        unknown_values=unknown.values(),
    )


# --- enum values and their fallbacks ----------------------------------------


def _indicator(status: Object, unknown: Unknowns) -> Indicator:
    raw = text(status, "indicator", "status")
    if raw is None:
        raise ParseError("status.indicator is missing")
    return unknown.map(Indicator, "indicator", raw, Indicator.MINOR)


def _impact(raw: str | None, unknown: Unknowns) -> Impact:
    if raw in _KNOWN_IMPACT_ALIASES:
        return _KNOWN_IMPACT_ALIASES[raw]
    return unknown.map(Impact, "impact", raw, Impact.MINOR)


# --- components ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    """One entry of `components`, type-checked but not yet interpreted."""

    index: int
    id: str
    name: str
    status: str | None
    is_group: bool
    group_id: str
    member_ids: tuple[str, ...]
    position: float


def _components(items: list[object], unknown: Unknowns) -> tuple[Component, ...]:
    rows = [_row(i, item) for i, item in enumerate(items)]
    parents = _parents(rows)
    leaves = [row for row in rows if not row.is_group and row.name]
    leaves.sort(key=lambda row: _display_key(row, parents.get(row.index)))
    return tuple(_component(row, parents.get(row.index), unknown) for row in leaves)


def _row(index: int, item: object) -> _Row:
    path = f"components[{index}]"
    raw = obj(item, path)
    members = array(raw, "components", path)
    return _Row(
        index=index,
        id=text(raw, "id", path) or "",
        name=(text(raw, "name", path) or "").strip(),
        status=text(raw, "status", path),
        is_group=flag(raw, "group", path),
        group_id=text(raw, "group_id", path) or "",
        member_ids=tuple(string(m, f"{path}.components[{i}]") for i, m in enumerate(members)),
        position=_number(raw, "position", path),
    )


def _parents(rows: list[_Row]) -> dict[int, _Row]:
    """The group of each member, by row index: its `group_id`, else a group listing it."""
    groups = {row.id: row for row in reversed(rows) if row.is_group and row.id}
    first_by_id = {row.id: row for row in reversed(rows) if row.id}
    parents: dict[int, _Row] = {}
    for group in groups.values():
        for member_id in group.member_ids:
            member = first_by_id.get(member_id)
            if member is not None and not member.is_group:
                parents.setdefault(member.index, group)
    for row in rows:
        if not row.is_group and row.group_id in groups:
            parents[row.index] = groups[row.group_id]
    return parents


def _display_key(row: _Row, group: _Row | None) -> tuple[float, int, float, int]:
    if group is None:
        return (row.position, row.index, -math.inf, row.index)
    return (group.position, group.index, row.position, row.index)


def _component(row: _Row, group: _Row | None, unknown: Unknowns) -> Component:
    status = unknown.map(
        ComponentStatus, "component_status", row.status, ComponentStatus.DEGRADED_PERFORMANCE
    )
    return Component(id=row.id, name=row.name, status=status, group=group.name if group else "")


# --- incidents and maintenances -------------------------------------------------


def _incidents(root: Object, unknown: Unknowns) -> tuple[Incident, ...]:
    def is_open(status: str) -> bool:
        return status not in RESOLVED_STATUSES

    return _select(root, "incidents", is_open, INCIDENT_TIME_KEYS, unknown)


def _maintenances(root: Object, unknown: Unknowns) -> tuple[Incident, ...]:
    def is_active(status: str) -> bool:
        return status in ACTIVE_MAINTENANCE_STATUSES

    return _select(root, "scheduled_maintenances", is_active, MAINTENANCE_TIME_KEYS, unknown)


def _select(
    root: Object,
    field: str,
    wanted: Callable[[str], bool],
    time_keys: tuple[str, ...],
    unknown: Unknowns,
) -> tuple[Incident, ...]:
    """The entries of `root[field]` whose status is `wanted`, as `Incident`s."""
    selected = []
    for i, item in enumerate(array(root, field, "")):
        path = f"{field}[{i}]"
        raw = obj(item, path)
        if wanted(text(raw, "status", path) or ""):
            selected.append(_incident(raw, path, time_keys, unknown))
    return tuple(selected)


def _incident(raw: Object, path: str, time_keys: tuple[str, ...], unknown: Unknowns) -> Incident:
    return Incident(
        id=text(raw, "id", path) or "",
        name=text(raw, "name", path) or "",
        status=text(raw, "status", path) or "",
        impact=_impact(text(raw, "impact", path), unknown),
        started_at=first_timestamp(raw, time_keys),
        component_ids=_component_ids(raw, path),
    )


def _component_ids(raw: Object, path: str) -> tuple[str, ...]:
    ids = []
    for i, item in enumerate(array(raw, "components", path)):
        item_path = f"{path}.components[{i}]"
        ids.append(text(obj(item, item_path), "id", item_path) or "")
    return tuple(id_ for id_ in ids if id_)


# --- page-level fields ------------------------------------------------------------


def _page_updated_at(root: Object) -> float | None:
    page = root.get("page")
    if page is None:
        return None
    return timestamp(obj(page, "page").get("updated_at"))


def _number(parent: Object, key: str, path: str) -> float:
    """A number, or +inf (sorts last) when missing."""
    value = parent.get(key)
    if value is None:
        return math.inf
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParseError(f"{join(path, key)}: expected a number, got {kind(value)}")
    return value  # an int stays an int: float() of a huge one overflows
