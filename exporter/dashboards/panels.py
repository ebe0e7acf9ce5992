"""Panel builders with the house style: units, thresholds, colours, legends.

One function per panel type, each taking the title, a description (Grafana shows it as
the panel's info tooltip; say what the panel answers), the targets and a size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from exporter.dashboards.model import Json, Panel, Target

# Grafana's named colours.
GREEN, YELLOW, ORANGE, RED, BLUE, PURPLE = "green", "yellow", "orange", "red", "blue", "purple"
DARK_RED, GREY = "dark-red", "text"

# The official-status scale the status queries map to (promql.official_*): operational
# green ... major outage red. Component statuses and page indicators share it.
STATUS_SCALE: tuple[tuple[int, str, str], ...] = (
    (0, "operational", GREEN),
    (1, "under maintenance", BLUE),
    (2, "degraded / minor", YELLOW),
    (3, "partial outage / major", ORANGE),
    (4, "major outage / critical", RED),
)

# Colours of probe outcomes, wherever outcomes are stacked.
OUTCOME_COLOURS: tuple[tuple[str, str], ...] = (
    ("success", GREEN),
    ("auth_error", PURPLE),
    ("rate_limited", YELLOW),
    ("overloaded", ORANGE),
    ("server_error", RED),
    ("timeout", DARK_RED),
    ("client_error", "light-purple"),
    ("connect_error", "semi-dark-red"),
    ("dns_error", "light-red"),
    ("tls_error", "super-light-red"),
    ("unexpected_response", "light-orange"),
)


def thresholds(base: str, *steps: tuple[float, str]) -> Json:
    """Absolute thresholds: `base` below the first step, then each (value, colour)."""
    return {
        "mode": "absolute",
        "steps": [{"color": base, "value": None}]
        + [{"color": colour, "value": value} for value, colour in steps],
    }


# Measured success ratios: red below 90%, yellow below 99%, green from 99%.
SUCCESS_THRESHOLDS = thresholds(RED, (0.9, YELLOW), (0.99, GREEN))
# 0/1 gauges (up, success): red at 0, green at 1.
UP_THRESHOLDS = thresholds(RED, (1, GREEN))


def status_mappings() -> list[Json]:
    return [
        {
            "options": {
                str(code): {"color": colour, "index": code, "text": text}
                for code, text, colour in STATUS_SCALE
            },
            "type": "value",
        }
    ]


def up_mappings(up: str, down: str) -> list[Json]:
    return [
        {
            "options": {
                "0": {"color": RED, "index": 0, "text": down},
                "1": {"color": GREEN, "index": 1, "text": up},
            },
            "type": "value",
        }
    ]


def status_code_mappings() -> list[Json]:
    """HTTP status codes coloured by class; 0 (no response) says so."""
    ranges = ((200, 299, GREEN), (300, 399, BLUE), (400, 499, ORANGE), (500, 599, RED))
    out: list[Json] = [
        {
            "options": {"0": {"color": GREY, "index": 0, "text": "no response"}},
            "type": "value",
        }
    ]
    out += [
        {
            "options": {"from": low, "result": {"color": colour, "index": i + 1}, "to": high},
            "type": "range",
        }
        for i, (low, high, colour) in enumerate(ranges)
    ]
    return out


def colour_by_name(name: str, colour: str) -> Json:
    return {
        "matcher": {"id": "byName", "options": name},
        "properties": [{"id": "color", "value": {"fixedColor": colour, "mode": "fixed"}}],
    }


def outcome_overrides() -> tuple[Json, ...]:
    return tuple(colour_by_name(outcome, colour) for outcome, colour in OUTCOME_COLOURS)


def link_to(uid: str, title: str, params: str) -> Json:
    """A data link to another statusprobe dashboard, keeping time range and datasource."""
    return {
        "title": title,
        "url": f"/d/{uid}?{params}&${{__url_time_range}}&${{datasource:queryparam}}",
    }


def _with_given(defaults: Json, **optional: Any) -> Json:
    """`defaults` plus each `optional` key whose value is not None; a None leaves the key
    out, so Grafana applies its own default."""
    defaults.update({key: value for key, value in optional.items() if value is not None})
    return defaults


def _last_value() -> Json:
    """reduceOptions of a panel showing each series' latest value."""
    return {"calcs": ["lastNotNull"], "fields": "", "values": False}


def _legend(table: bool) -> Json:
    return {
        "calcs": ["lastNotNull", "min", "max"] if table else [],
        "displayMode": "table" if table else "list",
        "placement": "bottom",
        "showLegend": True,
    }


def timeseries(
    title: str,
    description: str,
    targets: Sequence[Target],
    *,
    unit: str,
    width: int = 12,
    height: int = 8,
    stacked: bool = False,
    bars: bool = False,
    min_: float | None = None,
    max_: float | None = None,
    threshold_steps: Json | None = None,
    threshold_lines: bool = False,
    overrides: Sequence[Json] = (),
    links: Sequence[Json] = (),
    legend_table: bool = False,
) -> Panel:
    custom: Json = {
        "drawStyle": "bars" if bars else "line",
        "fillOpacity": 80 if bars else (60 if stacked else 10),
        "lineWidth": 1,
        "showPoints": "never",
        "spanNulls": False,
        "stacking": {"group": "A", "mode": "normal" if stacked else "none"},
        "thresholdsStyle": {"mode": "line+area" if threshold_lines else "off"},
    }
    defaults = _with_given(
        {"color": {"mode": "palette-classic"}, "custom": custom, "links": list(links)},
        min=min_,
        max=max_,
        thresholds=threshold_steps,
    )
    return Panel(
        "timeseries",
        title,
        description,
        tuple(targets),
        width,
        height,
        unit,
        defaults=defaults,
        overrides=tuple(overrides),
        options={
            "legend": _legend(legend_table),
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
    )


def stat(
    title: str,
    description: str,
    targets: Sequence[Target],
    *,
    unit: str,
    width: int = 4,
    height: int = 4,
    threshold_steps: Json | None = None,
    mappings: Sequence[Json] = (),
    decimals: int | None = None,
    colour_mode: str = "background",
    links: Sequence[Json] = (),
    min_: float | None = None,
    max_: float | None = None,
    text_mode: str = "value_and_name",
) -> Panel:
    """`text_mode` "auto" leaves out the series name while there is one series."""
    defaults = _with_given(
        {
            "color": {"mode": "thresholds"},
            "links": list(links),
            "mappings": list(mappings),
            "thresholds": threshold_steps or thresholds(BLUE),
        },
        decimals=decimals,
        min=min_,
        max=max_,
    )
    return Panel(
        "stat",
        title,
        description,
        tuple(targets),
        width,
        height,
        unit,
        defaults=defaults,
        options={
            "colorMode": colour_mode,
            "graphMode": "none",
            "justifyMode": "auto",
            "orientation": "auto",
            "reduceOptions": _last_value(),
            "showPercentChange": False,
            "textMode": text_mode,
            "wideLayout": True,
        },
    )


def up_stat(
    title: str,
    description: str,
    targets: Sequence[Target],
    *,
    up: str,
    down: str,
    width: int = 4,
    height: int = 4,
    text_mode: str = "value_and_name",
) -> Panel:
    """A stat of a 0/1 gauge: 1 shows `up` in green, 0 `down` in red."""
    return stat(
        title,
        description,
        targets,
        unit="none",
        width=width,
        height=height,
        threshold_steps=UP_THRESHOLDS,
        mappings=up_mappings(up, down),
        text_mode=text_mode,
    )


def state_timeline(
    title: str,
    description: str,
    targets: Sequence[Target],
    *,
    mappings: Sequence[Json],
    threshold_steps: Json,
    unit: str = "none",
    width: int = 12,
    height: int = 8,
    links: Sequence[Json] = (),
    show_value: str = "never",
) -> Panel:
    return Panel(
        "state-timeline",
        title,
        description,
        tuple(targets),
        width,
        height,
        unit,
        defaults={
            "color": {"mode": "thresholds"},
            "custom": {"fillOpacity": 80, "lineWidth": 0},
            "links": list(links),
            "mappings": list(mappings),
            "thresholds": threshold_steps,
        },
        options={
            "alignValue": "left",
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "mergeValues": True,
            "rowHeight": 0.9,
            "showValue": show_value,
            "tooltip": {"mode": "single", "sort": "none"},
        },
    )


def table(
    title: str,
    description: str,
    targets: Sequence[Target],
    *,
    unit: str = "none",
    width: int = 12,
    height: int = 6,
    rename: dict[str, str] | None = None,
    hide: Sequence[str] = ("Time", "Value"),
    merge: bool = False,
    drop_zero: bool = False,
    overrides: Sequence[Json] = (),
    sort_by: str | None = None,
) -> Panel:
    """Instant queries as a table; `merge` joins several queries' rows on their labels."""
    transformations: list[Json] = []
    if merge:
        transformations.append({"id": "merge", "options": {}})
    if drop_zero:
        transformations.append(
            {
                "id": "filterByValue",
                "options": {
                    "filters": [
                        {
                            "config": {"id": "greater", "options": {"value": 0}},
                            "fieldName": "Value",
                        }
                    ],
                    "match": "any",
                    "type": "include",
                },
            }
        )
    transformations.append(
        {
            "id": "organize",
            "options": {
                "excludeByName": {name: True for name in hide},
                "indexByName": {},
                "renameByName": dict(rename or {}),
            },
        }
    )
    options: Json = {"cellHeight": "sm", "footer": {"show": False}, "showHeader": True}
    if sort_by:
        options["sortBy"] = [{"desc": True, "displayName": sort_by}]
    return Panel(
        "table",
        title,
        description,
        tuple(targets),
        width,
        height,
        unit,
        defaults={"custom": {"align": "auto", "filterable": True}},
        overrides=tuple(overrides),
        options=options,
        transformations=tuple(transformations),
    )


def bargauge(
    title: str,
    description: str,
    targets: Sequence[Target],
    *,
    unit: str,
    threshold_steps: Json,
    width: int = 8,
    height: int = 8,
    min_: float | None = None,
    max_: float | None = None,
    overrides: Sequence[Json] = (),
    links: Sequence[Json] = (),
) -> Panel:
    defaults = _with_given(
        {"color": {"mode": "thresholds"}, "links": list(links), "thresholds": threshold_steps},
        min=min_,
        max=max_,
    )
    return Panel(
        "bargauge",
        title,
        description,
        tuple(targets),
        width,
        height,
        unit,
        defaults=defaults,
        overrides=tuple(overrides),
        options={
            "displayMode": "basic",
            "minVizHeight": 16,
            "minVizWidth": 8,
            "namePlacement": "auto",
            "orientation": "horizontal",
            "reduceOptions": _last_value(),
            "showUnfilled": True,
            "sizing": "auto",
            "valueMode": "color",
        },
    )
