"""The metric catalogue: every name, type, HELP text and label set in one place.

The names are the product's public API (docs/contract.md): users'
alerts and dashboards depend on them. Change them only deliberately.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

PREFIX = "statusprobe_"


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    type: str  # gauge | counter | histogram | info
    help: str
    labels: tuple[str, ...]


def _m(name: str, type_: str, help_: str, *labels: str) -> Metric:
    return Metric(PREFIX + name, type_, help_, labels)


# --- status pages (rendered by the collector from state) -------------------
PAGE_UP = _m(
    "page_up", "gauge", "1 if the last poll of the status page was fetched and parsed.", "page"
)
PAGE_INFO = _m("page_info", "gauge", "Status page metadata; always 1.", "page", "provider", "url")
PAGE_INDICATOR = _m(
    "page_indicator",
    "gauge",
    "The page-wide indicator the provider shows: one 0/1 series per state.",
    "page",
    "indicator",
)
COMPONENT_STATUS = _m(
    "component_status",
    "gauge",
    "The official status of a component: one 0/1 series per state.",
    "page",
    "component",
    "group",
    "status",
)
INCIDENTS_OPEN = _m(
    "incidents_open",
    "gauge",
    "Unresolved incidents on the status page by impact.",
    "page",
    "impact",
)
INCIDENT_INFO = _m(
    "incident_info",
    "gauge",
    "One series per unresolved incident (bounded); always 1.",
    "page",
    "incident_id",
    "name",
    "impact",
    "status",
)
INCIDENT_COMPONENT = _m(
    "incident_component_info",
    "gauge",
    "One series per component an unresolved incident of incident_info names (as the page "
    "lists them; bounded); always 1.",
    "page",
    "incident_id",
    "component",
)
PAGE_UPDATED = _m(
    "page_updated_timestamp_seconds",
    "gauge",
    "When the status page says it was last updated.",
    "page",
)
PAGE_LAST_SUCCESS = _m(
    "page_last_success_timestamp_seconds",
    "gauge",
    "When the status page was last polled successfully.",
    "page",
)
PAGE_POLL_ERRORS = _m(
    "page_poll_errors", "counter", "Failed polls of the status page by reason.", "page", "reason"
)
PAGE_POLL_DURATION = _m(
    "page_poll_duration_seconds", "gauge", "How long the last poll of the status page took.", "page"
)
PAGE_BACKOFF_UNTIL = _m(
    "page_backoff_until_timestamp_seconds",
    "gauge",
    "Set while the page asked to be polled less (Retry-After, repeated 429s): "
    "the earliest time of its next poll.",
    "page",
)
PAGE_DROPPED = _m(
    "page_dropped",
    "counter",
    "Components or open incidents left out of the page's series by max_components or "
    "max_incidents, summed over successful polls.",
    "page",
    "kind",
)
PAGE_UNKNOWN_VALUES = _m(
    "page_unknown_values",
    "counter",
    "Values the page sent that statusprobe does not know (a new status word), each read as "
    "its documented fallback; summed over successful polls.",
    "page",
)

# --- probes (rendered by the collector from state) -------------------------
PROBE_RESULTS = _m("probe_results", "counter", "Probe runs by outcome.", "probe", "outcome")
PROBE_SUCCESS = _m("probe_success", "gauge", "1 if the last probe run succeeded.", "probe")
PROBE_DURATION = _m("probe_duration_seconds", "histogram", "Duration of whole probe runs.", "probe")
PROBE_PHASE = _m(
    "probe_phase_seconds",
    "gauge",
    "Duration of each phase of the last probe run.",
    "probe",
    "phase",
)
PROBE_TTFT = _m(
    "probe_ttft_seconds",
    "histogram",
    "Streaming LLM probes: time to the first token.",
    "probe",
)
PROBE_STATUS_CODE = _m(
    "probe_status_code", "gauge", "HTTP status of the last probe run (0 when none).", "probe"
)
PROBE_INFO = _m(
    "probe_info",
    "gauge",
    "Probe metadata for joins with status-page metrics; always 1.",
    "probe",
    "type",
    "target",
    "page",
    "component",
)
PROBE_LAST_RUN = _m(
    "probe_last_run_timestamp_seconds", "gauge", "When the probe last finished a run.", "probe"
)
PROBE_TLS_EXPIRY = _m(
    "probe_tls_cert_expiry_timestamp_seconds",
    "gauge",
    "notAfter of the certificate the target presented on the last TLS probe run.",
    "probe",
)

COLLECTED: tuple[Metric, ...] = (
    PAGE_UP,
    PAGE_INFO,
    PAGE_INDICATOR,
    COMPONENT_STATUS,
    INCIDENTS_OPEN,
    INCIDENT_INFO,
    INCIDENT_COMPONENT,
    PAGE_UPDATED,
    PAGE_LAST_SUCCESS,
    PAGE_POLL_ERRORS,
    PAGE_POLL_DURATION,
    PAGE_BACKOFF_UNTIL,
    PAGE_DROPPED,
    PAGE_UNKNOWN_VALUES,
    PROBE_RESULTS,
    PROBE_SUCCESS,
    PROBE_DURATION,
    PROBE_PHASE,
    PROBE_TTFT,
    PROBE_STATUS_CODE,
    PROBE_INFO,
    PROBE_LAST_RUN,
    PROBE_TLS_EXPIRY,
)

MULTI_TARGET_RESULTS = ("fetched", "cached", "forbidden", "bad_request")

# Histogram buckets (seconds). Alert and SLO thresholds should sit on a bound.
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0)
TTFT_BUCKETS = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0)

# Bounds that keep cardinality in check whatever a page sends.
MAX_INCIDENT_INFO_PER_PAGE = 20  # the default of status_pages[].max_incidents
MAX_LABEL_LENGTH = 120


class ExporterMetrics:
    """What the exporter counts about itself (direct instrumentation)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.build_info = Gauge(
            PREFIX + "build_info",
            "statusprobe build information; always 1.",
            ["version", "python_version"],
            registry=registry,
        )
        self.reload_successful = Gauge(
            PREFIX + "config_last_reload_successful",
            "1 if the last configuration load or reload succeeded.",
            registry=registry,
        )
        self.reload_success_time = Gauge(
            PREFIX + "config_last_reload_success_timestamp_seconds",
            "When the configuration was last loaded successfully.",
            registry=registry,
        )
        self.scheduler_lag = Histogram(
            PREFIX + "scheduler_lag_seconds",
            "How late scheduled polls and probes start after their due time.",
            ["kind"],
            buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0),
            registry=registry,
        )
        self.scheduler_skipped = Counter(
            PREFIX + "scheduler_skipped_runs",
            "Runs skipped because the previous run of the same item overran its interval.",
            ["kind"],
            registry=registry,
        )
        for kind in ("page", "probe"):
            self.scheduler_lag.labels(kind)
            self.scheduler_skipped.labels(kind)
        self.poll_not_modified = Counter(
            PREFIX + "poll_not_modified",
            "Status-page requests answered 304 Not Modified; the stored response was used again.",
            registry=registry,
        )
        self.poll_saved_bytes = Counter(
            PREFIX + "poll_saved_bytes",
            "Response body bytes (as sent on the wire) that 304 Not Modified answers spared.",
            registry=registry,
        )
        self.multi_target_requests = Counter(
            PREFIX + "multi_target_requests",
            "Requests to /probe by result: fetched, cached, forbidden, bad_request.",
            ["result"],
            registry=registry,
        )
        for result in MULTI_TARGET_RESULTS:
            self.multi_target_requests.labels(result)
