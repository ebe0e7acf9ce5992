"""The dashboards as files: one JSON file per dashboard, named after its uid."""

from __future__ import annotations

import json
from collections.abc import Callable

from exporter.dashboards import overview, probe, slo
from exporter.dashboards.model import Dashboard, map_exprs
from exporter.dashboards.promql import with_selector
from exporter.rules.params import Params

BUILDERS: tuple[Callable[[Params], Dashboard], ...] = (overview.build, slo.build, probe.build)


def dashboards(params: Params | None = None) -> tuple[Dashboard, ...]:
    """The dashboards, built on the rules pack's series for `params` (default: defaults)."""
    chosen = params or Params()
    built = tuple(build(chosen) for build in BUILDERS)
    if not chosen.selector:
        return built
    return tuple(
        map_exprs(board, lambda expr: with_selector(expr, chosen.selector)) for board in built
    )


def render(params: Params | None = None) -> dict[str, str]:
    """File name -> JSON text, as `statusprobe dashboards` writes it."""
    return {
        f"{dashboard.uid}.json": json.dumps(
            dashboard.to_json(), indent=2, sort_keys=True, ensure_ascii=False
        )
        + "\n"
        for dashboard in dashboards(params)
    }
