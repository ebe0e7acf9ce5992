"""The three dashboards' stable uids and titles, and the links between them."""

from __future__ import annotations

from exporter.dashboards.model import Link

OVERVIEW_UID = "statusprobe-overview"
SLO_UID = "statusprobe-slo"
PROBE_UID = "statusprobe-probe"

TITLES = {
    OVERVIEW_UID: "statusprobe / Upstreams overview",
    SLO_UID: "statusprobe / SLOs and error budgets",
    PROBE_UID: "statusprobe / Probe detail",
}
TOOLTIPS = {
    OVERVIEW_UID: "Official status next to measured success, per upstream",
    SLO_UID: "Objectives, error budgets, burn rates; official vs measured availability",
    PROBE_UID: "Phases, status codes, outcomes, TTFT, certificates; the exporter's health",
}


def links(own: str) -> tuple[Link, ...]:
    """Links to the other two dashboards, keeping the time range and variables."""
    return tuple(Link(title, uid, TOOLTIPS[uid]) for uid, title in TITLES.items() if uid != own)
