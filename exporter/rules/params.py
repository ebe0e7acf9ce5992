"""The rules pack's parameters: selectors, thresholds and `for:` durations with defaults.

This is the pack's `_config`, as in a monitoring mixin. `Params()` is the default, the
one the committed files under `rules/` are rendered with. Override a field with
`dataclasses.replace(Params(), ...)` from Python, or `--param NAME=VALUE` on the command
line (`statusprobe rules --param selector='job="statusprobe"'`).

Durations are Prometheus durations ("5m"). Every window and `for:` goes through
`Params.window()`, which applies `time_scale`: the `compressed` profile divides them all
by `COMPRESSION` for end-to-end tests. Thresholds (ratios, seconds of latency, days to a
certificate's expiry) are never scaled.

Alternations of label values (`"rate_limited|client_error"`) are regular expressions,
matched whole, as in PromQL.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from exporter.durations import parse_duration
from exporter.metrics import DURATION_BUCKETS, TTFT_BUCKETS

PROFILES = ("default", "compressed")
COMPRESSION = 60  # compressed profile: one hour of the default profile takes one minute


@dataclass(frozen=True, slots=True)
class Params:
    # --- selectors ---------------------------------------------------------------------
    # Label matchers added to every statusprobe_* selector, e.g. 'job="statusprobe"'.
    # Empty: the metric names are unique to statusprobe.
    selector: str = ""
    # Matchers that pick the exporter's scrape targets in `up` (StatusprobeExporterDown).
    exporter_selector: str = 'job=~".*statusprobe.*"'
    # Where runbook_url points: this plus "#<alert name in lower case>". Relative by
    # default (the runbook ships as docs/runbook.md); set your repository's or wiki's URL.
    runbook_url_base: str = "docs/runbook.md"
    # Where dashboard_url points: Grafana's base URL ("https://grafana.example.com"); the
    # alert links the probe detail (or the overview) dashboard with its variables set.
    # Empty: a path relative to Grafana ("/d/statusprobe-probe?...").
    dashboard_url_base: str = ""

    # --- windows -------------------------------------------------------------------------
    short_window: str = "5m"  # failure ratios, outcome ratios, latency quantiles
    long_window: str = "1h"  # the intermittent-failure ratio and flapping count

    # --- divergence: probes fail, the status page says operational ------------------------
    # Judged per region: one region failing is enough, however many are healthy.
    # Ratios sit between the values k/n that 3-5 regions' runs can produce (no float ties).
    divergence_failure_ratio: float = 0.115  # share of a region's runs in short_window
    divergence_min_failures: int = 2  # and at least this many failed runs there
    # and the region's failures spread over at least this long (first to last within
    # short_window): a burst of about a minute, in every region at once, never pages.
    divergence_min_span: str = "2m"
    # Outcomes that say little about the provider's health: usually your quota or request.
    divergence_ignored_outcomes: str = "rate_limited|client_error"
    divergence_for: str = "30s"
    divergence_acknowledged_for: str = "1m"

    # --- upstream: what the probes see ----------------------------------------------------
    down_for: str = "3m"  # every vantage point's latest probe failed for this long
    localized_failing_ratio: float = 0.185  # a region is failing at or above this ratio,
    localized_healthy_ratio: float = 0.065  # healthy at or below this one
    localized_for: str = "3m"
    intermittent_failure_ratio: float = 0.048  # over long_window, at or above
    intermittent_flaps: int = 10  # or this many success <-> failure changes in long_window
    intermittent_for: str = "10m"
    auth_error_ratio: float = 0.115
    auth_error_for: str = "5m"
    rate_limited_ratio: float = 0.115
    rate_limited_for: str = "10m"
    overloaded_ratio: float = 0.115
    overloaded_for: str = "5m"
    slow_quantile: float = 0.95
    slow_duration_seconds: float = 10.0  # whole probe; a bound of the duration histogram
    slow_ttft_seconds: float = 5.0  # time to first token; a bound of the TTFT histogram
    slow_for: str = "10m"

    # --- status page: what the provider says ----------------------------------------------
    incident_impacts_critical: str = "critical|major"
    incident_impacts_warning: str = "minor"
    incident_impacts_info: str = "none"
    component_statuses_critical: str = "major_outage"
    component_statuses_warning: str = "partial_outage|degraded_performance"
    component_statuses_info: str = "under_maintenance"
    status_page_for: str = "2m"
    # Below the pages' stale_after (5m by default), so the alert fires before the
    # snapshot's series go away.
    page_unreachable_for: str = "4m"
    # Component statuses the status page counts as "available" (availability SLOs) and as
    # "fast enough" (latency SLOs) in the claimed SLI; page indicators likewise, for probes
    # mapped to a whole page.
    claimed_available_statuses: str = "operational|degraded_performance|under_maintenance"
    claimed_fast_statuses: str = "operational|under_maintenance"
    claimed_available_indicators: str = "none|minor|maintenance"
    claimed_fast_indicators: str = "none|maintenance"

    # --- SLOs (burn rates and window pairs are the SRE workbook's, fixed) -----------------
    slo_page_for: str = "0s"
    slo_ticket_for: str = "0s"

    # --- the exporter itself --------------------------------------------------------------
    exporter_down_for: str = "5m"
    # No target at all: long enough for a Prometheus restart or first rollout to find them.
    exporter_absent_for: str = "15m"
    # Scrape targets vanished from service discovery: fewer than the most seen in this.
    exporter_targets_window: str = "1h"
    exporter_targets_for: str = "10m"
    # A probe inside a live exporter that has not run for this long.
    probe_stale_after: str = "10m"
    probe_stale_for: str = "5m"
    # A probe mapped to a component the page does not list, or mapped differently by
    # replicas or regions (a rollout), for this long.
    mapping_for: str = "10m"
    config_reload_for: str = "5m"
    cert_expiry_warning: str = "14d"  # thresholds: never scaled
    cert_expiry_critical: str = "3d"
    cert_expiry_for: str = "15m"

    # --- profile --------------------------------------------------------------------------
    # Every window and `for:` is multiplied by this. 1 in the default profile.
    time_scale: float = 1.0

    def window(self, duration: str) -> str:
        """`duration` (a window or a `for:`) scaled by the profile, as a Prometheus duration."""
        return _format(parse_duration(duration) * self.time_scale)

    @property
    def profile(self) -> str:
        """The profile these parameters belong to, for the files' header."""
        if self.time_scale == 1:
            return "default"
        if self.time_scale == 1 / COMPRESSION:
            return "compressed"
        return f"time_scale {self.time_scale:g}"

    def runbook_url(self, alert: str) -> str:
        return f"{self.runbook_url_base}#{alert.lower()}"

    def dashboard_url(self) -> str:
        """A templated link: the probe detail for an alert with a `probe` label, else the
        overview, with the page chosen when the alert has one."""
        base = self.dashboard_url_base.rstrip("/")
        return (
            f"{{{{ if $labels.probe }}}}{base}/d/statusprobe-probe"
            f"?var-probe={{{{ $labels.probe }}}}{{{{ else }}}}{base}/d/statusprobe-overview"
            "{{ if $labels.page }}?var-page={{ $labels.page }}{{ end }}{{ end }}"
        )


def _format(seconds: float) -> str:
    """Days and smaller units (`30d`, `1h12m`, `5s`): no weeks, unlike format_duration."""
    ms, out = round(seconds * 1000), []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        n, ms = divmod(ms, size)
        if n:
            out.append(f"{n}{unit}")
    if ms:
        out.append(f"{ms}ms")
    return "".join(out) or "0s"


def for_profile(profile: str, params: Params | None = None) -> Params:
    """`params` (default: the defaults) with the profile's time scale."""
    params = params or Params()
    if profile == "default":
        return params
    if profile == "compressed":
        return dataclasses.replace(params, time_scale=params.time_scale / COMPRESSION)
    raise ValueError(f"unknown profile {profile!r}: use one of {', '.join(PROFILES)}")


def with_overrides(params: Params, overrides: dict[str, str]) -> Params:
    """`params` with fields set from text (`--param NAME=VALUE`), each checked."""
    fields = {f.name: f for f in dataclasses.fields(Params) if f.name != "time_scale"}
    changes: dict[str, Any] = {}
    for name, text in overrides.items():
        field = fields.get(name)
        if field is None:
            raise ValueError(f"unknown parameter {name!r}: use one of {', '.join(fields)}")
        changes[name] = _convert(name, str(field.type), text)
    return dataclasses.replace(params, **changes)


def _convert(name: str, type_: str, text: str) -> str | float | int:
    try:
        if type_ == "float":
            value = float(text)
            if _is_ratio(name) and not 0 <= value <= 1:
                raise ValueError(f"parameter {name}: {text} is not a ratio from 0 to 1")
            _check_bucket(name, value)
            return value
        if type_ == "int":
            number = int(text)
            if number < 0:
                raise ValueError(f"parameter {name}: {text} is negative")
            return number
    except ValueError as exc:
        if str(exc).startswith("parameter "):
            raise
        raise ValueError(f"parameter {name}: {text!r} is not a number") from None
    if _is_duration(name):
        try:
            parse_duration(text)
        except ValueError as exc:
            raise ValueError(f"parameter {name}: {exc}") from None
    if name.endswith("selector") and text and not MATCHERS.fullmatch(text):
        raise ValueError(
            f"parameter {name}: {text!r} is not a PromQL matcher list "
            '(write label="value", label=~"regex", ... separated by commas)'
        )
    return text


def _check_bucket(name: str, value: float) -> None:
    """Latency thresholds sit on a bound of their histogram, or the quantile is a guess."""
    buckets = {"slow_duration_seconds": DURATION_BUCKETS, "slow_ttft_seconds": TTFT_BUCKETS}
    if name in buckets and value not in buckets[name]:
        bounds = ", ".join(f"{b:g}" for b in buckets[name])
        raise ValueError(
            f"parameter {name}: {value:g}s is not a histogram bucket bound ({bounds}); "
            "thresholds must sit on a bound"
        )


def _is_ratio(name: str) -> bool:
    return name.endswith("_ratio") or name == "slow_quantile"


def _is_duration(name: str) -> bool:
    return name.endswith(("_for", "_window", "_span", "_after")) or name.startswith("cert_expiry_")


_MATCHER = r"""\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*"""
# A list of label matchers as inside `{...}`: `job="sp", region=~"eu-.*"`.
MATCHERS = re.compile(rf"{_MATCHER}(?:,{_MATCHER})*")
