"""Typed dashboard pieces and their Grafana JSON: targets, panels, rows, variables.

Nothing here is written by position: panels flow left to right through the 24 grid
columns of their row and wrap, rows stack, and panel ids are assigned in order, so the
committed JSON is stable and overlaps cannot happen. Every query goes to the dashboard's
`datasource` variable; nothing names a datasource of its own.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

SCHEMA_VERSION = 39  # Grafana 11.0; Grafana 11.x and 12.x migrate it on load
GRID_WIDTH = 24
TAGS = ("statusprobe",)
DATASOURCE: Json = {"type": "prometheus", "uid": "${datasource}"}
REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True, slots=True)
class Target:
    """One PromQL query of a panel.

    `requires` names the data the query needs beyond one exporter with a status page and
    a probe mapped to one of its components, both polled a few times, and the rules pack
    loaded: "ttft" (a streaming LLM probe that got a first token), "tls" (a probe of a
    verified TLS endpoint), "incident" (an open incident on a page), "slo" (an SLO in the
    config the rules were rendered with). Not written to the JSON.
    """

    expr: str
    legend: str = ""
    instant: bool = False
    table: bool = False
    requires: frozenset[str] = frozenset()

    def to_json(self, ref_id: str) -> Json:
        return {
            "datasource": DATASOURCE,
            "editorMode": "code",
            "expr": self.expr,
            "format": "table" if self.table else "time_series",
            "instant": self.instant,
            "legendFormat": self.legend or "__auto",
            "range": not self.instant,
            "refId": ref_id,
        }


@dataclass(frozen=True, slots=True)
class Panel:
    type: str  # timeseries | stat | state-timeline | table | bargauge
    title: str
    description: str
    targets: tuple[Target, ...]
    width: int
    height: int
    unit: str
    defaults: Json = field(default_factory=dict)  # the rest of fieldConfig.defaults
    overrides: tuple[Json, ...] = ()
    options: Json = field(default_factory=dict)
    transformations: tuple[Json, ...] = ()

    def __post_init__(self) -> None:
        if not 0 < self.width <= GRID_WIDTH or self.height <= 0:
            raise ValueError(f"panel {self.title!r}: bad size {self.width}x{self.height}")
        if not self.targets or len(self.targets) > len(REF_IDS):
            raise ValueError(f"panel {self.title!r}: needs 1 to 26 targets")

    def ref_ids(self) -> Iterator[tuple[str, Target]]:
        return zip(REF_IDS, self.targets, strict=False)

    def to_json(self, panel_id: int, grid: Json) -> Json:
        return {
            "datasource": DATASOURCE,
            "description": self.description,
            "fieldConfig": {
                "defaults": {"unit": self.unit, **self.defaults},
                "overrides": list(self.overrides),
            },
            "gridPos": grid,
            "id": panel_id,
            "options": self.options,
            "targets": [target.to_json(ref) for ref, target in self.ref_ids()],
            "title": self.title,
            "transformations": list(self.transformations),
            "type": self.type,
        }


@dataclass(frozen=True, slots=True)
class Row:
    """A row and the panels under it; `repeat` names a variable to repeat it by."""

    title: str
    panels: tuple[Panel, ...]
    repeat: str | None = None


@dataclass(frozen=True, slots=True)
class Variable:
    """A template variable: `query` is a Prometheus variable query (`label_values(...)`),
    or the datasource type for the datasource variable."""

    name: str
    label: str
    query: str
    kind: str = "query"  # query | datasource
    multi: bool = True
    include_all: bool = True
    description: str = ""

    def to_json(self) -> Json:
        out: Json = {
            "description": self.description,
            "hide": 0,
            "includeAll": self.include_all,
            "label": self.label,
            "multi": self.multi,
            "name": self.name,
            "options": [],
            "query": self.query,
            "refresh": 1,
            "regex": "",
            "type": self.kind,
        }
        if self.kind == "datasource":
            out["current"] = {}
            return out
        out["current"] = (
            {"selected": True, "text": ["All"], "value": ["$__all"]} if self.include_all else {}
        )
        out["allValue"] = ".*" if self.include_all else None
        out["datasource"] = DATASOURCE
        out["definition"] = self.query
        out["refresh"] = 2  # on time range change: pages and probes come and go
        out["sort"] = 1
        return out


@dataclass(frozen=True, slots=True)
class Annotation:
    """Events drawn on every time series: a PromQL query whose series are the events."""

    name: str
    expr: str
    title: str  # Grafana's titleFormat, with {{label}}s
    tags: tuple[str, ...]
    color: str

    def to_json(self) -> Json:
        return {
            "datasource": DATASOURCE,
            "enable": True,
            "expr": self.expr,
            "hide": False,
            "iconColor": self.color,
            "name": self.name,
            "step": "1m",
            "tagKeys": ",".join(self.tags),
            "textFormat": "",
            "titleFormat": self.title,
            "useValueForTime": False,
        }


@dataclass(frozen=True, slots=True)
class Link:
    title: str
    uid: str
    tooltip: str

    def to_json(self) -> Json:
        return {
            "asDropdown": False,
            "icon": "dashboard",
            "includeVars": True,
            "keepTime": True,
            "tags": [],
            "targetBlank": False,
            "title": self.title,
            "tooltip": self.tooltip,
            "type": "link",
            "url": f"/d/{self.uid}",
        }


@dataclass(frozen=True, slots=True)
class Placed:
    """A panel or row with its id and grid position, as the JSON will have it."""

    id: int
    item: Panel | Row
    x: int
    y: int
    w: int
    h: int

    def grid(self) -> Json:
        return {"h": self.h, "w": self.w, "x": self.x, "y": self.y}


@dataclass(frozen=True, slots=True)
class Dashboard:
    uid: str
    title: str
    description: str
    variables: tuple[Variable, ...]
    rows: tuple[Row, ...]
    links: tuple[Link, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    time_from: str = "now-6h"
    refresh: str = "1m"

    def placed(self) -> list[Placed]:
        """Every row and panel in order, with ids from 1 and grid positions."""
        out: list[Placed] = []
        y = 0
        for row in self.rows:
            out.append(Placed(len(out) + 1, row, 0, y, GRID_WIDTH, 1))
            y += 1
            x, line = 0, 0
            for panel in row.panels:
                if x + panel.width > GRID_WIDTH:
                    x, y, line = 0, y + line, 0
                out.append(Placed(len(out) + 1, panel, x, y, panel.width, panel.height))
                x, line = x + panel.width, max(line, panel.height)
            y += line
        return out

    def to_json(self) -> Json:
        panels: list[Json] = []
        for placed in self.placed():
            item = placed.item
            if isinstance(item, Row):
                panels.append(_row_json(item, placed))
            else:
                panels.append(item.to_json(placed.id, placed.grid()))
        return {
            "annotations": {"list": [a.to_json() for a in self.annotations]},
            "description": self.description,
            "editable": True,
            "fiscalYearStartMonth": 0,
            "graphTooltip": 1,  # shared crosshair
            "links": [link.to_json() for link in self.links],
            "panels": panels,
            "refresh": self.refresh,
            "schemaVersion": SCHEMA_VERSION,
            "tags": list(TAGS),
            "templating": {"list": [v.to_json() for v in self.variables]},
            "time": {"from": self.time_from, "to": "now"},
            "timepicker": {},
            "timezone": "browser",
            "title": self.title,
            "uid": self.uid,
            "version": 1,
        }


def _row_json(row: Row, placed: Placed) -> Json:
    out: Json = {
        "collapsed": False,
        "gridPos": placed.grid(),
        "id": placed.id,
        "panels": [],
        "title": row.title,
        "type": "row",
    }
    if row.repeat:
        out["repeat"] = row.repeat
    return out


def map_exprs(dashboard: Dashboard, change: Callable[[str], str]) -> Dashboard:
    """`dashboard` with `change` applied to every PromQL expression: panel targets,
    annotations and the selectors of `label_values(...)` variables."""

    def panel(item: Panel) -> Panel:
        targets = tuple(dataclasses.replace(t, expr=change(t.expr)) for t in item.targets)
        return dataclasses.replace(item, targets=targets)

    def variable(item: Variable) -> Variable:
        match = _LABEL_VALUES.fullmatch(item.query)
        if item.kind != "query" or match is None:
            return item
        return dataclasses.replace(
            item, query=f"label_values({change(match.group(1))}, {match.group(2)})"
        )

    return dataclasses.replace(
        dashboard,
        rows=tuple(
            dataclasses.replace(row, panels=tuple(panel(p) for p in row.panels))
            for row in dashboard.rows
        ),
        variables=tuple(variable(v) for v in dashboard.variables),
        annotations=tuple(
            dataclasses.replace(a, expr=change(a.expr)) for a in dashboard.annotations
        ),
    )


_LABEL_VALUES = re.compile(r"label_values\((.+), *(\w+)\)", re.DOTALL)
