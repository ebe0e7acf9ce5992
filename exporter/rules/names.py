"""Names of the series the rules pack records, shared by the rules and the dashboards.

A name with `{w}` carries its window, as written in the parameters (`short_window`,
`long_window`; never scaled by the profile): `name(FAILURE_RATIO, params)` is
`probe:statusprobe_probe_failures:ratio_rate5m` by default and `...ratio_rate10m` with
`--param short_window=10m`. Dashboards must build their queries from these, so that a
pack rendered with other parameters and the dashboards rendered with the same ones agree
(tests/test_dashboards.py checks it).
"""

from __future__ import annotations

from exporter.rules.params import Params

RESULTS = "statusprobe_probe_results_total"

# --- per probe (recording.py) ---------------------------------------------------------------
RUNS_RATE = "probe:statusprobe_probe_results:rate{w}"
FAILURE_RATIO = "probe:statusprobe_probe_failures:ratio_rate{w}"
REGION_FAILURE_RATIO = "probe_region:statusprobe_probe_failures:ratio_rate{w}"
OUTCOME_RATIO = "probe_outcome:statusprobe_probe_results:ratio_rate{w}"
SUCCESS_CHANGES = "probe:statusprobe_probe_success:changes{w}"
DURATION_QUANTILE = "probe_quantile:statusprobe_probe_duration_seconds:histogram_quantile_rate{w}"
TTFT_QUANTILE = "probe_quantile:statusprobe_probe_ttft_seconds:histogram_quantile_rate{w}"
PROBE_INFO = "probe:statusprobe_probe_info:max"

# --- per status page (recording.py) -----------------------------------------------------------
COMPONENT_STATUS = "page_component:statusprobe_component_status:max"
PAGE_INDICATOR = "page:statusprobe_page_indicator:max"
INCIDENTS_OPEN = "page:statusprobe_incidents_open:sum"
INCIDENT_COMPONENT = "page_component:statusprobe_incident_component_info:max"
# 1 while the page admits trouble: with a component (not operational, or an open incident
# names it), with the page as a whole (indicator not "none", or any open incident).
COMPONENT_ADMITS = "page_component:statusprobe_page_admits_trouble:max"
PAGE_ADMITS = "page:statusprobe_page_admits_trouble:max"
# ... with what a probe measures (its component; the page for a whole-page mapping or a
# component the page does not list), and declared maintenance of it.
PROBE_ADMITTED = "probe:statusprobe_page_admits_trouble:max"
PROBE_MAINTENANCE = "probe:statusprobe_page_maintenance:max"

# --- divergence (divergence.py) ---------------------------------------------------------------
UPSTREAM_FAILURE_RATIO = "probe:statusprobe_probe_upstream_failures:ratio_rate{w}"
UPSTREAM_FAILURES = "probe:statusprobe_probe_upstream_failures:increase{w}"
REGION_UPSTREAM_FAILURE_RATIO = "probe_region:statusprobe_probe_upstream_failures:ratio_rate{w}"
REGION_UPSTREAM_FAILURES = "probe_region:statusprobe_probe_upstream_failures:increase{w}"
# The evaluation time when a region's latest scrape carried a failed run, and the time from
# the first to the last such evaluation within the window: how long failures lasted.
REGION_FAILING_AT = "probe_region:statusprobe_probe_upstream_failures:timestamp"
REGION_FAILURE_SPAN = "probe_region:statusprobe_probe_upstream_failures:span{w}"

# --- SLOs (slo.py); the windows are the SRE workbook's, fixed ---------------------------------
SLI_ERROR = "slo:sli_error:ratio_rate{w}"
SLO_OBJECTIVE = "slo:objective:ratio"
SLO_ERROR_BUDGET = "slo:error_budget:ratio"
SLO_PERIOD_DAYS = "slo:time_period:days"
SLO_CURRENT_BURN_RATE = "slo:current_burn_rate:ratio"
SLO_PERIOD_SLI_ERROR = "slo:period_sli_error:ratio"
SLO_PERIOD_SLI = "slo:period_sli:ratio"
SLO_PERIOD_BURN_RATE = "slo:period_burn_rate:ratio"
SLO_PERIOD_BUDGET_REMAINING = "slo:period_error_budget_remaining:ratio"
SLO_CLAIMED_SLI = "slo:claimed_sli:ratio"
SLO_PERIOD_CLAIMED_SLI = "slo:period_claimed_sli:ratio"


def name(template: str, params: Params, window: str | None = None) -> str:
    """A recorded series' name for `window` (default: the short window)."""
    return template.format(w=window or params.short_window)
