"""Google Cloud's service health dashboard: `GET <url>/incidents.json` and
`GET <url>/products.json` (`url: https://status.cloud.google.com`; the Google Workspace
dashboard, `https://www.google.com/appsstatus/dashboard`, serves the same two files).

`incidents.json` is a list of every incident of the last years, resolved ones included,
each with `id`, `number`, `begin`, `created`, `end` (absent while it lasts), `modified`,
`external_desc`, `updates[]`, `most_recent_update` (`when`, `text`, `status`),
`status_impact`, `severity`, `service_key`, `service_name`, `affected_products[]`
(`id`, `title`), `uri` and the affected locations. `products.json` is
`{"products": [{"id", "title"}]}`. The history makes incidents.json large: it may be up
to `MAX_BYTES`.

What is read:

- Components: every product of products.json in its order (id, `title`), ungrouped, plus
  any product an open incident names that the list lacks. A product is operational unless
  an open incident names it.
- Open incidents: entries without an `end`. Name from `external_desc`'s first line,
  status the impact word lower-cased (e.g. `service_disruption`), `started_at` from
  `begin`, `component_ids` from `affected_products[].id`. The impact comes from
  `most_recent_update.status` (the current state), else from `status_impact`.
- The page's last update: the latest `modified` of any incident. The indicator is
  derived: the worst open incident's impact.

| status word | impact | state of the products named |
|---|---|---|
| AVAILABLE | none | unchanged |
| SERVICE_INFORMATION | none | unchanged |
| SERVICE_DISRUPTION | major | partial_outage |
| SERVICE_OUTAGE | critical | major_outage |

What it cannot give: maintenances, component groups, a description.

Fallback (recorded once in `unknown_values`): an unknown or missing status word is
`minor` and leaves the products `degraded_performance` (`status_impact=<value>`).
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

INCIDENTS_PATH = "/incidents.json"
PRODUCTS_PATH = "/products.json"
MAX_BYTES = 32 * 1024 * 1024  # incidents.json carries the whole history


class Effect(NamedTuple):
    impact: Impact
    state: ComponentStatus | None  # None: leaves the products' state as it is


EFFECTS = {
    "AVAILABLE": Effect(Impact.NONE, None),
    "SERVICE_INFORMATION": Effect(Impact.NONE, None),
    "SERVICE_DISRUPTION": Effect(Impact.MAJOR, ComponentStatus.PARTIAL_OUTAGE),
    "SERVICE_OUTAGE": Effect(Impact.CRITICAL, ComponentStatus.MAJOR_OUTAGE),
}
FALLBACK = Effect(Impact.MINOR, ComponentStatus.DEGRADED_PERFORMANCE)


async def fetch(client: PollClient, page: StatusPageConfig) -> PageSnapshot:
    """Poll the incidents, then the products; another shape is INVALID_PAYLOAD."""
    timeout = page.effective_timeout
    incidents = await get_json(
        client, page.url + INCIDENTS_PATH, timeout=timeout, max_bytes=MAX_BYTES
    )
    with shape.poll_failure_on_parse_error():
        _entries(incidents)  # not a dashboard: don't ask for more
    products = await get_json(client, page.url + PRODUCTS_PATH, timeout=timeout)
    with shape.poll_failure_on_parse_error():
        return parse(incidents, products)


def parse(incidents: object, products: object = None) -> PageSnapshot:
    """A `PageSnapshot` from decoded incidents.json and products.json (None: no product
    list); `ParseError` for another shape."""
    unknown = Unknowns()
    entries = _entries(incidents)
    states: dict[str, ComponentStatus] = {}
    names: dict[str, str] = {}
    for product_id, title in _products(products):
        states.setdefault(product_id, ComponentStatus.OPERATIONAL)
        names.setdefault(product_id, title)
    open_incidents = []
    for path, raw in entries:
        if raw.get("end") not in (None, ""):
            continue
        effect = _effect(raw, path, unknown)
        affected = _affected(raw, path)
        for product_id, title in affected:
            names.setdefault(product_id, title)
            current = states.setdefault(product_id, ComponentStatus.OPERATIONAL)
            if effect.state is not None:
                states[product_id] = shape.worse(current, effect.state)
        open_incidents.append(_incident(raw, path, effect, affected))
    components = tuple(
        Component(id=pid, name=names[pid], status=state)
        for pid, state in states.items()
        if names[pid]
    )
    return PageSnapshot(
        indicator=shape.derive_indicator(components, open_incidents),
        components=components,
        incidents=tuple(open_incidents),
        updated_at=shape.latest(shape.timestamp(raw.get("modified")) for _, raw in entries),
        unknown_values=unknown.values(),
    )


def _entries(payload: object) -> list[tuple[str, Object]]:
    if not isinstance(payload, list):
        raise ParseError(f"incidents: expected a list, got {shape.kind(payload)}")
    return shape.objects({"incidents": payload}, "incidents", "")


def _products(payload: object) -> list[tuple[str, str]]:
    if payload is None:
        return []
    rows = shape.objects(shape.obj(payload, "product list"), "products", "")
    return [_product(row, path) for path, row in rows]


def _product(row: Object, path: str) -> tuple[str, str]:
    title = (shape.text(row, "title", path) or "").strip()
    return shape.identifier(row, "id", path) or title, title


def _affected(raw: Object, path: str) -> list[tuple[str, str]]:
    products = [_product(row, p) for p, row in shape.objects(raw, "affected_products", path)]
    return list(dict.fromkeys(p for p in products if p[0]))


def _effect(raw: Object, path: str, unknown: Unknowns) -> Effect:
    recent = shape.optional_obj(raw, "most_recent_update", path)
    word = shape.text(recent, "status", f"{path}.most_recent_update")
    if word is None:
        word = shape.text(raw, "status_impact", path)
    return unknown.lookup(EFFECTS, "status_impact", word, FALLBACK)


def _incident(raw: Object, path: str, effect: Effect, affected: list[tuple[str, str]]) -> Incident:
    description = (shape.text(raw, "external_desc", path) or "").strip()
    recent = shape.optional_obj(raw, "most_recent_update", path)
    word = shape.text(recent, "status", "") or shape.text(raw, "status_impact", path) or ""
    return Incident(
        id=shape.identifier(raw, "id", path),
        name=description.splitlines()[0] if description else "",
        status=word.lower(),
        impact=effect.impact,
        started_at=shape.timestamp(raw.get("begin")),
        component_ids=tuple(product_id for product_id, _ in affected),
    )
