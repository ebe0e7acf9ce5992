"""Every panel's PromQL with Grafana's variables substituted: what the end-to-end tests
run against a real Prometheus, and what promtool syntax-checks.

    panel_queries({"page": "anthropic", "__rate_interval": "30s"})

Values are inserted as given. Template variables sit inside `=~` matchers, so a value
is a regular expression: `.*` (Grafana's "All", the default here), a name, or `(a|b)`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from exporter.dashboards.model import Panel
from exporter.dashboards.render import dashboards
from exporter.rules.params import Params

# Grafana's built-in variables, with the values a dashboard over the last hour on a
# 15s-scrape Prometheus would give them; override them like any variable.
BUILTINS = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}
# Every template variable of the dashboards, set to "All".
TEMPLATE_DEFAULTS = {"page": ".*", "probe": ".*", "region": ".*", "slo": ".*"}

_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")


@dataclass(frozen=True, slots=True)
class PanelQuery:
    dashboard: str  # uid: statusprobe-overview, statusprobe-slo, statusprobe-probe
    panel_id: int
    title: str  # the panel's title as written ("$page" rows' panels are not renamed)
    ref_id: str
    expr: str  # variables substituted
    instant: bool  # Grafana runs it as an instant query (tables, sorted bar gauges)
    requires: frozenset[str]  # data needed beyond the basics: see model.Target


def substitute(expr: str, values: Mapping[str, str]) -> str:
    """`expr` with `$name` and `${name}` replaced; KeyError for a variable without a value."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise KeyError(f"no value for ${name} in {expr!r}")
        return values[name]

    return _VARIABLE.sub(value, expr)


def panel_queries(
    variables: Mapping[str, str] | None = None, params: Params | None = None
) -> list[PanelQuery]:
    """Every query of every panel of every dashboard, in dashboard and panel order."""
    values = {**BUILTINS, **TEMPLATE_DEFAULTS, **(variables or {})}
    out = []
    for dashboard in dashboards(params):
        for placed in dashboard.placed():
            if not isinstance(placed.item, Panel):
                continue
            for ref_id, target in placed.item.ref_ids():
                out.append(
                    PanelQuery(
                        dashboard=dashboard.uid,
                        panel_id=placed.id,
                        title=placed.item.title,
                        ref_id=ref_id,
                        expr=substitute(target.expr, values),
                        instant=target.instant,
                        requires=target.requires,
                    )
                )
    return out
