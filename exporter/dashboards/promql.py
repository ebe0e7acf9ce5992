"""PromQL the dashboards share, built on the rules pack's recorded series.

Grafana variables appear only inside `=~` matchers (`page=~"$page"`), so "All" (`.*`)
and multi-value selections (`(a|b)`) both work, and `region=~"$region"` also matches
series without a `region` label. Recorded series (exporter.rules.recording) are
preferred: they are cheap and mean what the alerts mean. Raw metrics are used where a
panel must follow Grafana's interval or split by `region`, which the recorded `probe:`
series aggregate away.
"""

from __future__ import annotations

import re

from exporter.rules.names import (
    COMPONENT_STATUS,
    FAILURE_RATIO,
    INCIDENTS_OPEN,
    PAGE_INDICATOR,
    PROBE_INFO,
    REGION_FAILURE_RATIO,
    RESULTS,
    UPSTREAM_FAILURE_RATIO,
    name,
)
from exporter.rules.params import Params

PAGE = 'page=~"$page"'
PROBE = 'probe=~"$probe"'
REGION = 'region=~"$region"'
SLO = 'slo=~"$slo"'
RATE = "$__rate_interval"

# Statuses and indicators on the 0-4 scale of panels.STATUS_SCALE (0: operational, the
# value when none of these is 1).
COMPONENT_CODES = (
    ("under_maintenance", 1),
    ("degraded_performance", 2),
    ("partial_outage", 3),
    ("major_outage", 4),
)
INDICATOR_CODES = (("maintenance", 1), ("minor", 2), ("major", 3), ("critical", 4))


def sel(metric: str, *matchers: str) -> str:
    return f"{metric}{{{', '.join(matchers)}}}" if matchers else metric


def _scale(metric: str, label: str, codes: tuple[tuple[str, int], ...], *matchers: str) -> str:
    terms = [f"{sel(metric, *matchers, _eq(label, value))} * {code}" for value, code in codes]
    return "\n  or\n    ".join(terms)


def _eq(label: str, value: str) -> str:
    return f'{label}="{value}"'


def official_components(*matchers: str) -> str:
    """Each component's official status on the 0-4 scale, by (page, component)."""
    terms = _scale(COMPONENT_STATUS, "status", COMPONENT_CODES, *matchers)
    return f"max by (page, component) (\n    {terms}\n)"


def official_pages(*matchers: str) -> str:
    """Each page's indicator on the 0-4 scale, by (page)."""
    terms = _scale(PAGE_INDICATOR, "indicator", INDICATOR_CODES, *matchers)
    return f"max by (page) (\n    {terms}\n)"


def official_of_probes(*matchers: str) -> str:
    """What the status page says about what each probe measures, on the 0-4 scale: its
    component's status, or the page indicator for a probe mapped to a whole page."""
    return (
        "max by (probe, page, component) (\n"
        f"  (\n{_indent(official_components(), 4)}\n    or\n{_indent(official_pages(), 4)}\n  )\n"
        "  * on (page, component) group_right ()\n"
        f"  {sel(PROBE_INFO, *matchers)}\n"
        ")"
    )


def probes_of(*matchers: str) -> str:
    """The recorded probe-to-page mapping, filtered: the right side of `and on (probe)`."""
    return sel(PROBE_INFO, *matchers)


_RAW = re.compile(r"(?<![\w:])(statusprobe_\w+)(?![\w:])(\{([^}]*)\})?")


def with_selector(expr: str, selector: str) -> str:
    """`expr` with `selector` (the rules pack's `selector` parameter, e.g. `job="sp"`)
    added to every selector of an exporter metric (`statusprobe_*`). Recorded series
    (`probe:statusprobe_...`) already carry it: the rules applied it."""
    if not selector:
        return expr

    def scope(match: re.Match[str]) -> str:
        inner = (match.group(3) or "").strip()
        return (
            f"{match.group(1)}{{{selector}, {inner}}}"
            if inner
            else (f"{match.group(1)}{{{selector}}}")
        )

    return _RAW.sub(scope, expr)


def failure_ratio(params: Params) -> str:
    return name(FAILURE_RATIO, params)


def region_failure_ratio(params: Params) -> str:
    return name(REGION_FAILURE_RATIO, params)


def upstream_failure_ratio(params: Params) -> str:
    return name(UPSTREAM_FAILURE_RATIO, params)


def divergence(params: Params, *matchers: str) -> str:
    """Each mapped probe's failure ratio (as the divergence alert counts failures) while
    its status page claims all is well: component operational (or the indicator "none"
    for a whole-page mapping) and no open incident. 0 once the page admits a problem."""
    return (
        "(\n"
        f"  {upstream_failure_ratio(params)}\n"
        "  * on (probe) group_left (page, component)\n"
        f"  {sel(PROBE_INFO, *matchers)}\n"
        ")\n"
        "* on (page, component) group_left ()\n"
        "(\n"
        f'    max by (page, component) ({COMPONENT_STATUS}{{status="operational"}})\n'
        "  or\n"
        f'    max by (page) ({PAGE_INDICATOR}{{indicator="none"}})\n'
        ")\n"
        f"* on (page) group_left ()\n({INCIDENTS_OPEN} == bool 0)"
    )


def incidents_open(*matchers: str) -> str:
    return sel(INCIDENTS_OPEN, *matchers)


def results_rate(*matchers: str) -> str:
    return f"rate({sel(RESULTS, *matchers)}[{RATE}])"


def quantile(q: float, histogram: str, by: str, *matchers: str, page: str | None = None) -> str:
    """histogram_quantile over `histogram`'s buckets by (`by`, le), optionally only for the
    probes mapped to `page` matchers."""
    rate = f"rate({sel(histogram + '_bucket', *matchers)}[{RATE}])"
    if page is not None:
        rate = f"{rate}\n  and on (probe)\n  {probes_of(page, PROBE)}"
    return f"histogram_quantile({q}, sum by ({by}, le) (\n  {rate}\n))"


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.splitlines())
