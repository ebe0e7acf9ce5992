"""What every platform parser shares: JSON shape checks, enum fallbacks, timestamps, and
the page indicator derived from components and incidents.

Shape checks raise `ParseError` with a message that names the path and the JSON type found
(`components[2].name: expected a string, got int`), never the value: messages end up in logs
and on the status page. `null` where a value is usual reads as missing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

from exporter.errors import ParseError, PollFailed
from exporter.models import Component, ComponentStatus, Impact, Incident, Indicator, PollError

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")
Object = Mapping[str, object]

MAX_SHOWN = 64  # an unknown value is recorded truncated to this many characters


# --- enum values and their fallbacks ---------------------------------------------


class Unknowns:
    """Maps raw enum values, recording each unknown one once as "field=value"."""

    def __init__(self) -> None:
        self._seen: dict[str, None] = {}  # insertion-ordered set

    def map(self, enum: type[E], field: str, raw: str | None, fallback: E) -> E:
        """`enum(raw)`, or `fallback` (recorded) when raw is None or not a member."""
        if raw is not None:
            with contextlib.suppress(ValueError):
                return enum(raw)
        self.record(field, raw)
        return fallback

    def lookup(self, table: Mapping[str, T], field: str, raw: str | None, fallback: T) -> T:
        """`table[raw]`, or `fallback` (recorded) when raw is None or not in the table."""
        if raw is not None and raw in table:
            return table[raw]
        self.record(field, raw)
        return fallback

    def record(self, field: str, raw: object) -> None:
        shown = "null" if raw is None else str(raw)[:MAX_SHOWN]
        self._seen.setdefault(f"{field}={shown}")

    def values(self) -> tuple[str, ...]:
        return tuple(self._seen)


@contextlib.contextmanager
def poll_failure_on_parse_error() -> Iterator[None]:
    """Inside a fetcher: a payload without the platform's shape is INVALID_PAYLOAD."""
    try:
        yield
    except ParseError as exc:
        raise PollFailed(PollError.INVALID_PAYLOAD, str(exc)) from None


# --- JSON shape checks -------------------------------------------------------------


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def obj(value: object, path: str) -> Object:
    if not isinstance(value, dict):
        raise ParseError(f"{path}: expected an object, got {kind(value)}")
    return value


def optional_obj(parent: Object, key: str, path: str) -> Object:
    """`parent[key]` as an object; an empty one when it is missing or null."""
    value = parent.get(key)
    return {} if value is None else obj(value, join(path, key))


def array(parent: Object, key: str, path: str) -> list[object]:
    """`parent[key]` as a list; an empty one when it is missing or null."""
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"{join(path, key)}: expected a list, got {kind(value)}")
    return value


def objects(parent: Object, key: str, path: str) -> list[tuple[str, Object]]:
    """The entries of the list `parent[key]`, each checked to be an object, with its path."""
    out = []
    for i, item in enumerate(array(parent, key, path)):
        item_path = f"{join(path, key)}[{i}]"
        out.append((item_path, obj(item, item_path)))
    return out


def string(value: object, path: str) -> str:
    """A string field. JSON can carry a lone surrogate ("\\ud800") that UTF-8 cannot
    encode; it becomes "?" here, or it would break every later /metrics render."""
    if not isinstance(value, str):
        raise ParseError(f"{path}: expected a string, got {kind(value)}")
    if value.isascii():
        return value
    return value.encode("utf-8", "replace").decode("utf-8")


def text(parent: Object, key: str, path: str) -> str | None:
    """A string field; None when missing or null."""
    value = parent.get(key)
    return None if value is None else string(value, join(path, key))


def identifier(parent: Object, key: str, path: str) -> str:
    """An id that may be a string or an integer; "" when missing."""
    value = parent.get(key)
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return string(value, join(path, key))


def flag(parent: Object, key: str, path: str) -> bool:
    value = parent.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ParseError(f"{join(path, key)}: expected true or false, got {kind(value)}")
    return value


def integer(parent: Object, key: str, path: str) -> int | None:
    """An integer field; None when missing or null."""
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParseError(f"{join(path, key)}: expected an integer, got {kind(value)}")
    return value


# --- timestamps ----------------------------------------------------------------------


def timestamp(value: object) -> float | None:
    """Unix seconds of an ISO 8601 string (`Z` or an offset; none means UTC); else None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.timestamp()
    except (OverflowError, ValueError, OSError):  # year 1 in a far-west offset, and friends
        return None


def first_timestamp(raw: Object, keys: Iterable[str]) -> float | None:
    """The first of `raw[key]` that reads as a timestamp."""
    return next((t for t in map(timestamp, map(raw.get, keys)) if t is not None), None)


def latest(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


# --- severity orders and the derived page indicator ----------------------------------

COMPONENT_SEVERITY = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}
IMPACT_SEVERITY = {Impact.NONE: 0, Impact.MINOR: 1, Impact.MAJOR: 2, Impact.CRITICAL: 3}
_INDICATOR_OF_IMPACT = {
    Impact.NONE: Indicator.NONE,
    Impact.MINOR: Indicator.MINOR,
    Impact.MAJOR: Indicator.MAJOR,
    Impact.CRITICAL: Indicator.CRITICAL,
}
_IMPACT_OF_COMPONENT = {
    ComponentStatus.OPERATIONAL: Impact.NONE,
    ComponentStatus.UNDER_MAINTENANCE: Impact.NONE,
    ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR,
    ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
    ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL,
}


def worse(a: ComponentStatus, b: ComponentStatus) -> ComponentStatus:
    return a if COMPONENT_SEVERITY[a] >= COMPONENT_SEVERITY[b] else b


def worst_impact(impacts: Iterable[Impact]) -> Impact:
    return max(impacts, key=IMPACT_SEVERITY.__getitem__, default=Impact.NONE)


def impact_of(status: ComponentStatus) -> Impact:
    """The incident impact that matches a component state (maintenance is none)."""
    return _IMPACT_OF_COMPONENT[status]


def derive_indicator(
    components: Iterable[Component],
    incidents: Iterable[Incident],
    maintenances: Iterable[Incident] = (),
) -> Indicator:
    """The indicator of a platform that publishes none, as Statuspage would show it.

    The worst of the open incidents' impacts and the components' states (degraded
    performance is minor, partial outage major, major outage critical); `maintenance` when
    nothing is worse than none and a maintenance is in progress or a component is under
    maintenance; `none` otherwise.
    """
    components = tuple(components)
    impact = worst_impact([i.impact for i in incidents] + [impact_of(c.status) for c in components])
    if impact is not Impact.NONE:
        return _INDICATOR_OF_IMPACT[impact]
    in_maintenance = any(c.status is ComponentStatus.UNDER_MAINTENANCE for c in components)
    if in_maintenance or any(True for _ in maintenances):
        return Indicator.MAINTENANCE
    return Indicator.NONE


def indicator_of_impact(impact: Impact) -> Indicator:
    return _INDICATOR_OF_IMPACT[impact]
