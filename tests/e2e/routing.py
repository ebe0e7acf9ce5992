"""The shipped Alertmanager routing (rules/alertmanager.example.yml), made testable: every
receiver posts to the test's webhook, and every timing is divided by the same factor as
the compressed rules profile. The routing tree, grouping and inhibitions are untouched,
so what the test exercises is what ships."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from exporter.durations import format_duration, parse_duration

EXAMPLE = Path(__file__).resolve().parents[2] / "rules" / "alertmanager.example.yml"
ROUTE_TIMINGS = ("group_wait", "group_interval", "repeat_interval")


def load_example() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    return config


def for_test(example: dict[str, Any], webhook: str, scale: float) -> dict[str, Any]:
    """`example` with webhook receivers at `<webhook>/<receiver name>` and timings x `scale`."""
    config = copy.deepcopy(example)
    config["receivers"] = [
        {
            "name": receiver["name"],
            "webhook_configs": [
                {"url": f"{webhook}/{receiver['name']}", "send_resolved": True, "max_alerts": 0}
            ],
        }
        for receiver in config["receivers"]
    ]
    glob = config.setdefault("global", {})
    if "resolve_timeout" in glob:
        glob["resolve_timeout"] = _scaled(glob["resolve_timeout"], scale)
    _scale_route(config["route"], scale)
    return config


def timing(config: dict[str, Any], field: str, receiver: str) -> float:
    """Seconds of a route timing for `receiver`'s route (inherited from the root if unset)."""
    root = config["route"]
    for child in root.get("routes", []):
        if child.get("receiver") == receiver and field in child:
            return parse_duration(child[field])
    return parse_duration(root[field])


def _scale_route(route: dict[str, Any], scale: float) -> None:
    for field in ROUTE_TIMINGS:
        if field in route:
            route[field] = _scaled(route[field], scale)
    for child in route.get("routes", []):
        _scale_route(child, scale)


def _scaled(duration: str, scale: float) -> str:
    return format_duration(max(parse_duration(duration) * scale, 0.001))
