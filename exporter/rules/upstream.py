"""What the probes see: down, localized, intermittent, and one alert per outcome class.

Every alert carries the probe's `page` and `component` (joined from
statusprobe_probe_info) so Alertmanager can group by upstream and a declared outage
can inhibit them.
"""

from __future__ import annotations

from exporter.durations import parse_duration
from exporter.metrics import DURATION_BUCKETS, TTFT_BUCKETS
from exporter.rules.model import Alert, Group, alert, num, pct, sel
from exporter.rules.names import (
    DURATION_QUANTILE,
    FAILURE_RATIO,
    OUTCOME_RATIO,
    PROBE_MAINTENANCE,
    REGION_FAILURE_RATIO,
    REGION_FAILURE_SPAN,
    SUCCESS_CHANGES,
    TTFT_QUANTILE,
    name,
)
from exporter.rules.params import Params
from exporter.rules.recording import join_page


def group(params: Params) -> Group:
    return Group(
        "statusprobe-upstream",
        (
            *_down(params),
            _localized(params),
            _intermittent(params),
            _outcome(params, "StatusprobeUpstreamAuthErrors", "auth_error", AUTH),
            _outcome(params, "StatusprobeUpstreamRateLimited", "rate_limited", RATE_LIMITED),
            _outcome(params, "StatusprobeUpstreamOverloaded", "overloaded", OVERLOADED),
            *_slow(params),
        ),
    )


def _down(params: Params) -> list[Alert]:
    """Critical; warning instead while the page declares maintenance of the component."""
    down = join_page(f"max by (probe) ({sel(params, 'statusprobe_probe_success')}) == 0")
    out = []
    for severity, op, note in (
        ("critical", "unless", ""),
        (
            "warning",
            "and",
            " The status page declares maintenance of it, so this is a warning, not a page.",
        ),
    ):
        out.append(
            alert(
                params,
                "StatusprobeUpstreamDown",
                f"{down}\n{op} on (probe)\n{PROBE_MAINTENANCE}",
                for_=params.down_for,
                severity=severity,
                summary="Every probe of an upstream fails, from every vantage point.",
                description=(
                    "The latest run of probe {{ $labels.probe }}{{ if $labels.page }} "
                    '({{ $labels.page }} "{{ $labels.component }}"){{ end }} has failed '
                    f"from every region and replica for {params.window(params.down_for)}."
                    f"{note} Them or us: if probes of other upstreams still succeed, it is "
                    "them: switch to your fallback, check the status page and the outcome "
                    "on /api/v1/status (auth_error right after a key rotation is us). If "
                    "every upstream is down at once, it is us: the exporter's egress, DNS "
                    "or proxy."
                ),
            )
        )
    return out


def _localized(params: Params) -> Alert:
    ratio = name(REGION_FAILURE_RATIO, params)
    span = num(parse_duration(params.window(params.divergence_min_span)))
    expr = (
        f"{ratio} >= {num(params.localized_failing_ratio)}\n"
        f"and on (probe, region)\n{name(REGION_FAILURE_SPAN, params)} >= {span}\n"
        f"and on (probe)\n{ratio} <= {num(params.localized_healthy_ratio)}"
    )
    return alert(
        params,
        "StatusprobeUpstreamErrorsLocalized",
        join_page(expr),
        for_=params.localized_for,
        severity="warning",
        summary="An upstream fails from some regions while others are healthy.",
        description=(
            "{{ $value | humanizePercentage }} of the runs of probe {{ $labels.probe }} from "
            f"region {{{{ $labels.region }}}} failed in the last "
            f"{params.window(params.short_window)} (spread over at least "
            f"{params.window(params.divergence_min_span)}), while at least one other region "
            f"stays at or below {pct(params.localized_healthy_ratio)}. Them or us: the network "
            "path from that region, or the provider's regional edge. Route that region's "
            "traffic through a healthy one if you can; if the failing region is one of your "
            "own clusters, check its egress (NAT, firewall, DNS) before calling the provider."
        ),
    )


def _intermittent(params: Params) -> Alert:
    ratio = name(FAILURE_RATIO, params, params.long_window)
    changes = name(SUCCESS_CHANGES, params, params.long_window)
    long_ = params.window(params.long_window)
    expr = (
        f"{ratio} >= {num(params.intermittent_failure_ratio)}\n"
        f"or\n{ratio} and on (probe) {changes} >= {num(params.intermittent_flaps)}"
    )
    return alert(
        params,
        "StatusprobeUpstreamIntermittent",
        join_page(expr),
        for_=params.intermittent_for,
        severity="warning",
        summary="An upstream fails intermittently: flapping or a moderate error ratio.",
        description=(
            "{{ $value | humanizePercentage }} of the runs of probe {{ $labels.probe }} "
            f"failed over the last {long_} (alerting at "
            f"{pct(params.intermittent_failure_ratio)}, or at "
            f"{params.intermittent_flaps} success/failure flips). Them or us: spikes that "
            "every region sees are them, the pattern of April 2026; look at the outcome mix "
            "(auth_error, overloaded) and retry with backoff, consider the fallback for "
            "interactive traffic. Spikes in one region only point at your network there."
        ),
    )


AUTH = (
    "Them or us: a rotated, revoked or out-of-quota key is us (every probe with that key "
    "fails the same way, and not intermittently); 401/403 spikes on a valid key, while "
    "other keys also fail, are them, as in April 2026. Check the key, then the provider's "
    "status and the request ids on /api/v1/status."
)
RATE_LIMITED = (
    "Them or us: usually us, the probe's account hit its rate limit or quota (check the "
    "provider console, the probe interval and other traffic on the same key); 429s on a "
    "key with headroom mean the provider is shedding load."
)
OVERLOADED = (
    "Them or us: them, the provider is shedding load (529, or an error body saying "
    '"overloaded"). Retry with backoff, prefer a fallback model or provider for '
    "interactive traffic, and watch the "
    "status page."
)


def _outcome(params: Params, alertname: str, outcome: str, advice: str) -> Alert:
    ratio = float(getattr(params, f"{outcome}_ratio"))
    for_ = str(getattr(params, f"{outcome}_for"))
    expr = f'{name(OUTCOME_RATIO, params)}{{outcome="{outcome}"}} >= {num(ratio)}'
    return alert(
        params,
        alertname,
        join_page(expr),
        for_=for_,
        severity="warning",
        summary=f"Probes of an upstream get {outcome} responses.",
        description=(
            "{{ $value | humanizePercentage }} of the runs of probe {{ $labels.probe }} "
            f"ended in {outcome} in the last {params.window(params.short_window)} "
            f"(alerting at {pct(ratio)}). {advice}"
        ),
    )


def _slow(params: Params) -> list[Alert]:
    _check_bound(params.slow_duration_seconds, DURATION_BUCKETS, "slow_duration_seconds")
    _check_bound(params.slow_ttft_seconds, TTFT_BUCKETS, "slow_ttft_seconds")
    q = num(params.slow_quantile * 100)
    advice = (
        "Them or us: slow from every region is them (compare the status page's "
        "degraded_performance); slow from one region, or in the dns/connect/tls phases "
        "(statusprobe_probe_phase_seconds), is the network path. Lower timeouts or move "
        "latency-sensitive traffic to the fallback."
    )
    out = []
    for measure, template, limit, what in (
        ("duration", DURATION_QUANTILE, params.slow_duration_seconds, "run duration"),
        ("ttft", TTFT_QUANTILE, params.slow_ttft_seconds, "time to first token"),
    ):
        expr = f"{name(template, params)} > {num(limit)}"
        out.append(
            alert(
                params,
                "StatusprobeUpstreamSlow",
                join_page(expr),
                for_=params.slow_for,
                severity="warning",
                summary="Probes of an upstream are slow.",
                description=(
                    f"The p{q} {what} of probe {{{{ $labels.probe }}}} is "
                    "{{ $value | humanizeDuration }} over the last "
                    f"{params.window(params.short_window)}, above {num(limit)}s. {advice}"
                ),
                labels={"measure": measure},
            )
        )
    return out


def _check_bound(value: float, buckets: tuple[float, ...], param: str) -> None:
    if value not in buckets:
        raise ValueError(
            f"{param}: {num(value)}s is not a histogram bucket bound "
            f"({', '.join(num(b) for b in buckets)}); thresholds must sit on a bound"
        )
