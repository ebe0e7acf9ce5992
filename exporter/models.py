"""The normalised data model every source and probe produces.

Sources turn a provider's status page into a `PageSnapshot`; probes turn one
request into a `ProbeResult`. Both are frozen: the state stores them as they
are and the collector reads them at scrape time without copying.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Indicator(StrEnum):
    """The page-wide indicator (Statuspage `status.indicator`)."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"
    MAINTENANCE = "maintenance"


class ComponentStatus(StrEnum):
    """The five component states every platform is mapped onto."""

    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    UNDER_MAINTENANCE = "under_maintenance"


class Impact(StrEnum):
    """The declared impact of an incident."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class Outcome(StrEnum):
    """The closed set of probe outcomes (the `outcome` label)."""

    SUCCESS = "success"
    AUTH_ERROR = "auth_error"
    RATE_LIMITED = "rate_limited"
    OVERLOADED = "overloaded"
    SERVER_ERROR = "server_error"
    CLIENT_ERROR = "client_error"
    TIMEOUT = "timeout"
    CONNECT_ERROR = "connect_error"
    DNS_ERROR = "dns_error"
    TLS_ERROR = "tls_error"
    UNEXPECTED_RESPONSE = "unexpected_response"


OUTCOMES = tuple(Outcome)  # in a fixed order: state counters and history index into it


class PollError(StrEnum):
    """Why a status-page poll failed (the `reason` label of poll errors)."""

    TIMEOUT = "timeout"
    CONNECT_ERROR = "connect_error"
    DNS_ERROR = "dns_error"
    TLS_ERROR = "tls_error"
    RATE_LIMITED = "rate_limited"
    HTTP_ERROR = "http_error"
    TOO_LARGE = "too_large"
    INVALID_JSON = "invalid_json"
    INVALID_PAYLOAD = "invalid_payload"
    INTERNAL_ERROR = "internal_error"  # a bug in statusprobe; the traceback is in the log


PHASES = ("dns", "connect", "tls", "ttfb", "transfer")


@dataclass(frozen=True, slots=True)
class Component:
    id: str
    name: str
    status: ComponentStatus
    group: str = ""  # the name of the group it belongs to, "" when none


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    name: str
    status: str  # investigating | identified | monitoring | ... (as the page says)
    impact: Impact
    started_at: float | None = None  # unix seconds
    component_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PageSnapshot:
    """One successful poll of a status page, normalised."""

    indicator: Indicator
    description: str = ""
    components: tuple[Component, ...] = ()
    incidents: tuple[Incident, ...] = ()
    maintenances: tuple[Incident, ...] = ()
    updated_at: float | None = None  # the page's own last-update time, unix seconds
    # Enum values the page sent that we do not know, as "field=value"; each
    # was mapped to its documented fallback.
    unknown_values: tuple[str, ...] = ()
    # The platform that served it, when the source found out itself (`provider: auto`);
    # "" means the configured provider.
    provider: str = ""

    def official_status(self, component: str | None) -> str:
        """What the page says about `component` (or, for None, the whole page)."""
        if component is None:
            return f"page {self.indicator.value}"
        for comp in self.components:
            if comp.name == component:
                return comp.status.value
        return f"component {component!r} not on page"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What one run of a probe saw. Never carries a secret."""

    outcome: Outcome
    duration: float  # seconds, the whole probe
    status_code: int = 0  # last HTTP status, 0 when there was none
    phases: tuple[tuple[str, float], ...] = ()  # (phase, seconds), phases from PHASES
    ttft: float | None = None  # streaming probes: time to first token
    detail: str = ""  # a short human explanation, safe to show (no secrets)
    request_id: str = ""  # the provider's request id of a failure, for support tickets
    tls_not_after: float | None = None  # unix seconds, the peer certificate's expiry

    @property
    def success(self) -> bool:
        return self.outcome is Outcome.SUCCESS
