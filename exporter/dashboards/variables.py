"""The template variables the dashboards share: datasource, page, probe, region, slo.

Every query variable is multi-value with "All" as `.*`, so panels filter with `=~` and
series without a `region` label still match when no region is chosen or none exists.
"""

from __future__ import annotations

from exporter.dashboards.model import Variable
from exporter.rules.names import SLO_OBJECTIVE

DATASOURCE = Variable(
    "datasource",
    "Data source",
    "prometheus",
    kind="datasource",
    multi=False,
    include_all=False,
    description="The Prometheus (or Thanos, Mimir) that scrapes statusprobe and evaluates "
    "its rules pack.",
)
PAGE = Variable(
    "page",
    "Status page",
    "label_values(statusprobe_page_up, page)",
    description="Status pages, as named in the config (`status_pages[].name`).",
)
PROBE = Variable(
    "probe",
    "Probe",
    'label_values(statusprobe_probe_info{page=~"$page"}, probe)',
    description="Probes of the chosen status pages (`probes[].name`).",
)
# The probe detail repeats a row per chosen probe: no "All" there, a few at a time.
ONE_PROBE = Variable(
    "probe",
    "Probe",
    PROBE.query,
    include_all=False,
    description=PROBE.description,
)
REGION = Variable(
    "region",
    "Region",
    "label_values(statusprobe_probe_results_total, region)",
    description="Vantage points: the `region` target label added at scrape time. Empty "
    "when there is none; panels then show one series per probe.",
)
SLO = Variable(
    "slo",
    "SLO",
    f"label_values({SLO_OBJECTIVE}, slo)",
    description="SLOs of the rules pack (`slos[].name` of the config it was rendered with).",
)
