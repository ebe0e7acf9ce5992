"""Grafana dashboards for statusprobe, built from code (plain typed builders, no SDK).

  model.py       typed targets, panels, rows, variables; grid layout, ids, Grafana JSON
  panels.py      panel builders with the house style: units, thresholds, colours
  promql.py      the PromQL the dashboards share, on the rules pack's recorded series
  variables.py   datasource, page, probe, region, slo
  links.py       the stable uids and titles, links between the dashboards
  overview.py    Upstreams overview: official vs measured, per status page
  slo.py         SLOs and error budgets, per SLO
  probe.py       Probe detail, per probe, and the exporter's own health
  render.py      JSON files, one per dashboard
  queries.py     every panel query with the variables substituted (end-to-end tests)

`statusprobe dashboards --output.dir D` writes them; the files under `dashboards/` are
its output.
"""

from exporter.dashboards.links import OVERVIEW_UID, PROBE_UID, SLO_UID
from exporter.dashboards.queries import PanelQuery, panel_queries, substitute
from exporter.dashboards.render import dashboards, render
from exporter.generated_files import write

__all__ = [
    "OVERVIEW_UID",
    "PROBE_UID",
    "SLO_UID",
    "PanelQuery",
    "dashboards",
    "panel_queries",
    "render",
    "substitute",
    "write",
]
