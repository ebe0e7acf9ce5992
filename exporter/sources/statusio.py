"""Status.io public status API: `GET https://api.status.io/1.0/status/<page_id>` (GitLab,
Docker, ...).

The configured `url` is that API URL itself (`check-config` insists on the
`/1.0/status/<page_id>` path): a Status.io page's own address does not name its id. The id
is in the page's source and in its "API" link, e.g. GitLab's is
`https://api.status.io/1.0/status/5b36dc6502d06804c08349f7`.

The answer is `{"result": {...}}`; what is read (`result.` prefix omitted):

- The indicator from `status_overall.status_code`, the description from
  `status_overall.status`, the page's last update from `status_overall.updated`.
- Components: each entry of `status[]` (`id`, `name`, `status_code`), in the page's order,
  ungrouped. A Status.io component's `containers` (locations, regions) are not separate
  components: the component's own `status_code` is Status.io's roll-up of them.
- Incidents: `incidents[]` without a `datetime_resolved`: `_id` (or `id`), `name`, the
  status from `current_state` (100 investigating, 200 identified, 300 monitoring), the
  impact from `current_status` (a status code), `started_at` from `datetime_open`,
  `component_ids` from `components_affected[]._id`. An incident without `current_state` /
  `current_status` takes them from its newest `messages[]` entry (`state`, `status`).
- Maintenances in progress: `maintenance.active[]`, impact `none`, `started_at` from
  `datetime_planned_start` (else `datetime_open`). Upcoming ones are left out.

Status codes (https://kb.status.io/developers/status-codes/):

| code | meaning | component state | indicator / impact |
|---|---|---|---|
| 100 | Operational | operational | none |
| 200 | Planned Maintenance | under_maintenance | maintenance / none |
| 300 | Degraded Performance | degraded_performance | minor |
| 400 | Partial Service Disruption | partial_outage | major |
| 500 | Service Disruption | major_outage | critical |
| 600 | Security Event | degraded_performance | minor |

Fallbacks (each recorded once in `unknown_values`): an unknown or missing status code ->
`degraded_performance` / `minor` (`status_code=<value>`); an unknown incident state is
kept as `state_<code>` (`incident_state=<value>`).

What it cannot give: component groups.
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

API_PATH = "/1.0/status/"

CS = ComponentStatus
CODES: dict[int, tuple[ComponentStatus, Indicator, Impact]] = {
    100: (CS.OPERATIONAL, Indicator.NONE, Impact.NONE),
    200: (CS.UNDER_MAINTENANCE, Indicator.MAINTENANCE, Impact.NONE),
    300: (CS.DEGRADED_PERFORMANCE, Indicator.MINOR, Impact.MINOR),
    400: (CS.PARTIAL_OUTAGE, Indicator.MAJOR, Impact.MAJOR),
    500: (CS.MAJOR_OUTAGE, Indicator.CRITICAL, Impact.CRITICAL),
    600: (CS.DEGRADED_PERFORMANCE, Indicator.MINOR, Impact.MINOR),
}
FALLBACK = (CS.DEGRADED_PERFORMANCE, Indicator.MINOR, Impact.MINOR)
STATES = {100: "investigating", 200: "identified", 300: "monitoring"}


async def fetch(client: PollClient, page: StatusPageConfig) -> PageSnapshot:
    """Poll the configured Status.io API URL; another shape is INVALID_PAYLOAD."""
    payload = await get_json(client, page.url, timeout=page.effective_timeout)
    with shape.poll_failure_on_parse_error():
        return parse(payload)


def parse(payload: object) -> PageSnapshot:
    """A `PageSnapshot` from a decoded status answer; `ParseError` for another shape."""
    root = shape.obj(shape.obj(payload, "status answer").get("result"), "result")
    overall = shape.obj(root.get("status_overall"), "result.status_overall")
    unknown = Unknowns()
    _, indicator, _ = _code(overall, "status_code", "result.status_overall", unknown)
    return PageSnapshot(
        indicator=indicator,
        description=shape.text(overall, "status", "result.status_overall") or "",
        components=_components(root, unknown),
        incidents=_incidents(root, unknown),
        maintenances=_maintenances(root),
        updated_at=shape.timestamp(overall.get("updated")),
        unknown_values=unknown.values(),
    )


def _code(
    raw: Object, key: str, path: str, unknown: Unknowns
) -> tuple[ComponentStatus, Indicator, Impact]:
    code = shape.integer(raw, key, path)
    if code in CODES:
        return CODES[code]
    unknown.record("status_code", code)
    return FALLBACK


def _components(root: Object, unknown: Unknowns) -> tuple[Component, ...]:
    out = []
    for path, raw in shape.objects(root, "status", "result"):
        shape.objects(raw, "containers", path)  # type-checks the list
        state, _, _ = _code(raw, "status_code", path, unknown)
        name = (shape.text(raw, "name", path) or "").strip()
        if name:
            out.append(Component(id=shape.identifier(raw, "id", path), name=name, status=state))
    return tuple(out)


def _incidents(root: Object, unknown: Unknowns) -> tuple[Incident, ...]:
    out = []
    for path, raw in shape.objects(root, "incidents", "result"):
        latest = _newest_message(raw, path)
        if shape.text(raw, "datetime_resolved", path):
            continue
        state_source = raw if raw.get("current_state") is not None else latest
        code_source = raw if raw.get("current_status") is not None else latest
        _, _, impact = _code(code_source, _key(code_source, "current_status"), path, unknown)
        out.append(
            Incident(
                id=_id(raw, path),
                name=shape.text(raw, "name", path) or "",
                status=_state(state_source, path, unknown),
                impact=impact,
                started_at=shape.timestamp(raw.get("datetime_open")),
                component_ids=_affected(raw, path),
            )
        )
    return tuple(out)


def _key(raw: Object, current: str) -> str:
    """`current_status` on an incident, `status` on a message (and so for state)."""
    return current if current in raw else current.removeprefix("current_")


def _state(raw: Object, path: str, unknown: Unknowns) -> str:
    code = shape.integer(raw, _key(raw, "current_state"), path)
    if code is None:
        return ""
    if code not in STATES:
        unknown.record("incident_state", code)
        return f"state_{code}"
    return STATES[code]


def _newest_message(raw: Object, path: str) -> Object:
    """The message with the latest `datetime` (the last one on a tie); {} when none."""
    messages = shape.objects(raw, "messages", path)
    for message_path, message in messages:
        shape.integer(message, "state", message_path)
        shape.integer(message, "status", message_path)
    if not messages:
        return {}
    ordered = sorted(
        enumerate(messages),
        key=lambda m: (shape.timestamp(m[1][1].get("datetime")) or float("-inf"), m[0]),
    )
    return ordered[-1][1][1]


def _id(raw: Object, path: str) -> str:
    return shape.identifier(raw, "_id", path) or shape.identifier(raw, "id", path)


def _affected(raw: Object, path: str) -> tuple[str, ...]:
    ids = [_id(item, p) for p, item in shape.objects(raw, "components_affected", path)]
    return tuple(dict.fromkeys(i for i in ids if i))


def _maintenances(root: Object) -> tuple[Incident, ...]:
    maintenance = root.get("maintenance")
    if isinstance(maintenance, list):  # some pages send [] when there is none
        active: list[tuple[str, Object]] = shape.objects(root, "maintenance", "result")
    else:
        parent = shape.optional_obj(root, "maintenance", "result")
        shape.objects(parent, "upcoming", "result.maintenance")  # type-checks the list
        active = shape.objects(parent, "active", "result.maintenance")
    return tuple(
        Incident(
            id=_id(raw, path),
            name=shape.text(raw, "name", path) or "",
            status="in_progress",
            impact=Impact.NONE,
            started_at=shape.first_timestamp(raw, ("datetime_planned_start", "datetime_open")),
            component_ids=_affected(raw, path),
        )
        for path, raw in active
    )
