"""SLO rules: multi-window multi-burn-rate (Google SRE workbook, chapter 5), error budget,
and what the status page claimed over the same window.

One recording group per SLO records, with the labels `slo`, `probe` and `sli`:

  slo:sli_error:ratio_rate<w>       for the windows of the burn-rate alerts
  slo:objective:ratio, slo:error_budget:ratio, slo:time_period:days
  slo:current_burn_rate:ratio       error ratio over 5m / error budget
  slo:period_sli_error:ratio        error ratio over the SLO window
  slo:period_sli:ratio              measured SLI over the window: "measured 98.7%"
  slo:period_burn_rate:ratio, slo:period_error_budget_remaining:ratio
  slo:claimed_sli:ratio             1 while the status page counts the probe's component
                                    as available (or as fast, for a latency SLO), else 0
  slo:period_claimed_sli:ratio      its average over the window: "official 100%"

The two alerts are generic: they join every SLO's error ratios with its own error budget,
so they are in the pack even when no SLO is configured (and then never fire).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exporter.config import Config
from exporter.durations import format_duration
from exporter.metrics import DURATION_BUCKETS
from exporter.rules.model import Alert, Group, Record, alert, indent, le, num, sel
from exporter.rules.names import (
    COMPONENT_STATUS,
    PAGE_INDICATOR,
    PROBE_INFO,
    RESULTS,
    SLI_ERROR,
    SLO_CLAIMED_SLI,
    SLO_CURRENT_BURN_RATE,
    SLO_ERROR_BUDGET,
    SLO_OBJECTIVE,
    SLO_PERIOD_BUDGET_REMAINING,
    SLO_PERIOD_BURN_RATE,
    SLO_PERIOD_CLAIMED_SLI,
    SLO_PERIOD_DAYS,
    SLO_PERIOD_SLI,
    SLO_PERIOD_SLI_ERROR,
)
from exporter.rules.params import Params

# (severity, [(long window, short window, burn rate), ...]): the SRE workbook's table 5-8.
PAGE = ("critical", (("1h", "5m", 14.4), ("6h", "30m", 6.0)))
TICKET = ("warning", (("1d", "2h", 3.0), ("3d", "6h", 1.0)))
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


@dataclass(frozen=True, slots=True)
class SLOSpec:
    """One SLO to render. `latency_threshold` None: availability (probe outcomes);
    seconds: latency (share of probe runs faster than it; must be a bucket bound)."""

    name: str
    probe: str
    objective: float  # percent, as in the config: 99.5
    window: float = 30 * 86400.0  # seconds
    latency_threshold: float | None = None

    @property
    def sli(self) -> str:
        return "availability" if self.latency_threshold is None else "latency"

    def __post_init__(self) -> None:
        if not 0 < self.objective < 100:
            raise ValueError(f"SLO {self.name}: objective must be a percentage, 0 < x < 100")
        if self.latency_threshold is not None and self.latency_threshold not in DURATION_BUCKETS:
            raise ValueError(
                f"SLO {self.name}: latency_threshold {num(self.latency_threshold)}s is not a "
                f"bucket bound of statusprobe_probe_duration_seconds "
                f"({', '.join(num(b) for b in DURATION_BUCKETS)})"
            )


def from_config(config: Config) -> list[SLOSpec]:
    return [
        SLOSpec(s.name, s.probe, s.objective, s.window, latency_threshold=s.latency_threshold)
        for s in config.slos
    ]


def groups(params: Params, slos: Sequence[SLOSpec]) -> list[Group]:
    return [*(_recording(params, slo) for slo in slos), _alerts(params)]


def _labels(slo: SLOSpec) -> dict[str, str]:
    return {"slo": slo.name, "probe": slo.probe, "sli": slo.sli}


def _error_ratio(params: Params, slo: SLOSpec, window: str) -> str:
    """The SLI's error ratio over `window`. A window without runs records no sample
    (the `> 0` on the denominator) rather than 0/0 = NaN, which would poison the
    avg_over_time of the period series for a whole SLO window."""
    w = params.window(window)
    probe = f'probe="{slo.probe}"'
    if slo.latency_threshold is None:
        bad = sel(params, RESULTS, probe, 'outcome!="success"')
        return f"sum(rate({bad}[{w}]))\n/\n(sum(rate({sel(params, RESULTS, probe)}[{w}])) > 0)"
    assert slo.latency_threshold is not None
    fast = sel(
        params,
        "statusprobe_probe_duration_seconds_bucket",
        probe,
        f'le="{le(slo.latency_threshold)}"',
    )
    total = sel(params, "statusprobe_probe_duration_seconds_count", probe)
    return f"1 - (\n  sum(rate({fast}[{w}]))\n  /\n  (sum(rate({total}[{w}])) > 0)\n)"


def _claimed(params: Params, slo: SLOSpec) -> str:
    if slo.latency_threshold is None:
        statuses, indicators = (
            params.claimed_available_statuses,
            params.claimed_available_indicators,
        )
    else:
        statuses, indicators = params.claimed_fast_statuses, params.claimed_fast_indicators
    return (
        "max(\n"
        "  (\n"
        f'    max by (page, component) ({COMPONENT_STATUS}{{status=~"{statuses}"}})\n'
        "    or\n"
        f'    max by (page) ({PAGE_INDICATOR}{{indicator=~"{indicators}"}})\n'
        "  )\n"
        "  and on (page, component)\n"
        f'  {PROBE_INFO}{{probe="{slo.probe}"}}\n'
        ")"
    )


def _recording(params: Params, slo: SLOSpec) -> Group:
    labels = _labels(slo)
    only = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    period = params.window(format_duration(slo.window))
    budget = num(1 - slo.objective / 100)

    def r(record: str, expr: str) -> Record:
        return Record(record, expr, dict(labels))

    return Group(
        f"statusprobe-slo-{slo.name}",
        (
            *(r(SLI_ERROR.format(w=w), _error_ratio(params, slo, w)) for w in WINDOWS),
            r(SLO_OBJECTIVE, f"vector({num(slo.objective / 100)})"),
            r(SLO_ERROR_BUDGET, f"vector({budget})"),
            r(SLO_PERIOD_DAYS, f"vector({num(slo.window / 86400)})"),
            r(
                SLO_CURRENT_BURN_RATE,
                f"{SLI_ERROR.format(w='5m')}{{{only}}}\n/\n{SLO_ERROR_BUDGET}{{{only}}}",
            ),
            r(
                SLO_PERIOD_SLI_ERROR,
                f"avg_over_time({SLI_ERROR.format(w='5m')}{{{only}}}[{period}])",
            ),
            r(SLO_PERIOD_SLI, f"1 - {SLO_PERIOD_SLI_ERROR}{{{only}}}"),
            r(
                SLO_PERIOD_BURN_RATE,
                f"{SLO_PERIOD_SLI_ERROR}{{{only}}}\n/\n{SLO_ERROR_BUDGET}{{{only}}}",
            ),
            r(SLO_PERIOD_BUDGET_REMAINING, f"1 - {SLO_PERIOD_BURN_RATE}{{{only}}}"),
            r(SLO_CLAIMED_SLI, _claimed(params, slo)),
            r(
                SLO_PERIOD_CLAIMED_SLI,
                f"avg_over_time({SLO_CLAIMED_SLI}{{{only}}}[{period}])",
            ),
        ),
    )


def _burn(pairs: Sequence[tuple[str, str, float]]) -> str:
    conditions = [
        f"(\n  {SLI_ERROR.format(w=long_)} > ({num(rate)} * {SLO_ERROR_BUDGET})\n"
        f"and\n  {SLI_ERROR.format(w=short)} > ({num(rate)} * {SLO_ERROR_BUDGET})\n)"
        for long_, short, rate in pairs
    ]
    expr = "\nor\n".join(conditions)
    return f"(\n{indent(expr, 2)}\n)\n* on (probe) group_left (page, component)\n  {PROBE_INFO}"


def _describe(pairs: Sequence[tuple[str, str, float]]) -> str:
    return " or ".join(f"{num(rate)}x over {long_} and {short}" for long_, short, rate in pairs)


def _alerts(params: Params) -> Group:
    return Group(
        "statusprobe-slo-alerts", tuple(_alert(params, *level) for level in (PAGE, TICKET))
    )


def _alert(params: Params, severity: str, pairs: Sequence[tuple[str, str, float]]) -> Alert:
    fast = severity == "critical"
    return alert(
        params,
        "StatusprobeSLOErrorBudgetBurn",
        _burn(pairs),
        for_=params.slo_page_for if fast else params.slo_ticket_for,
        severity=severity,
        summary="An SLO burns its error budget too fast."
        if fast
        else "An SLO burns its error budget faster than it can afford.",
        description=(
            "SLO {{ $labels.slo }} ({{ $labels.sli }} of probe {{ $labels.probe }}) burns its "
            f"error budget at {_describe(pairs)} (error ratio {{{{ $value | humanizePercentage }}}}"
            " over the long window). "
            + (
                "At this pace the whole budget is gone within days. "
                if fast
                else "At this pace the budget runs out before the SLO window ends. "
            )
            + "Them or us: the SLO measures the upstream from your vantage points; compare "
            "slo:period_claimed_sli:ratio (what the status page claimed) with "
            "slo:period_sli:ratio, and check the StatusprobeUpstream* alerts for the same "
            "probe for the failure pattern and region."
        ),
    )
