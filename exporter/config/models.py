"""The config sections as typed, frozen pydantic models.

Cross-field checks are field validators on the later field (fields validate in
declaration order), so each error carries that field's path and all are reported.
The `probes:` section's models are in probes.py. The field reference for users is
docs/configuration.md.
"""

from __future__ import annotations

from typing import Literal, get_args
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator

from exporter.config.checks import check_timeout as _check_timeout
from exporter.config.multi_target import MultiTargetConfig, check_stale_after
from exporter.config.probes import ProbeConfig
from exporter.config.types import Duration, HttpUrl, Model, Name, StrictInt
from exporter.durations import format_duration
from exporter.metrics import DURATION_BUCKETS

# The status-page platforms (exporter/sources/, docs/sources.md); `auto` detects one.
Provider = Literal[
    "statuspage", "incidentio", "statusio", "instatus", "slack", "gcp", "feed", "auto"
]
PROVIDERS: tuple[str, ...] = get_args(Provider)
STATUSIO_API_PATH = "/1.0/status/"
DEFAULT_STALE_AFTER = 300.0  # a page's stale_after is at least this by default


class SchedulerConfig(Model):
    max_concurrency: StrictInt = Field(64, ge=1, le=10000)


class ShardConfig(Model):
    """Which share of the pages and probes this replica takes (exporter/sharding.py)."""

    count: StrictInt = Field(1, ge=1, le=10000)
    index: StrictInt = Field(0, ge=0)

    @field_validator("index")
    @classmethod
    def _index_below_count(cls, value: int, info: ValidationInfo) -> int:
        count = info.data.get("count")
        if isinstance(count, int) and value >= count:
            raise ValueError(f"must be less than shard.count ({count}): 0 to {count - 1}")
        return value


class StatusPageConfig(Model):
    name: Name
    provider: Provider = "statuspage"
    url: HttpUrl
    interval: Duration = 60.0
    timeout: Duration | None = None

    # Cardinality bounds and staleness: docs/configuration.md, <status_page_config>.
    max_components: StrictInt = Field(500, ge=1, le=100_000)
    max_incidents: StrictInt = Field(20, ge=1, le=1000)
    stale_after: Duration | None = None

    @property
    def effective_timeout(self) -> float:
        return self.timeout if self.timeout is not None else min(10.0, self.interval)

    @property
    def effective_stale_after(self) -> float:
        """Seconds after the last successful poll when the mirrored series go away."""
        if self.stale_after is not None:
            return self.stale_after
        return max(DEFAULT_STALE_AFTER, 5 * self.interval)

    @field_validator("stale_after")
    @classmethod
    def _stale_after_spans_two_polls(
        cls, value: float | None, info: ValidationInfo
    ) -> float | None:
        check_stale_after(value, info.data.get("interval"), "interval")
        return value

    @field_validator("url")
    @classmethod
    def _statusio_api_url(cls, value: str, info: ValidationInfo) -> str:
        path = urlsplit(value).path
        if info.data.get("provider") == "statusio" and not path.partition(STATUSIO_API_PATH)[2]:
            raise ValueError(
                "a statusio page's url is its API URL, https://api.status.io/1.0/status/<page_id>"
            )
        return value

    @field_validator("timeout")
    @classmethod
    def _timeout_within_interval(cls, value: float | None, info: ValidationInfo) -> float | None:
        _check_timeout(value, info.data.get("interval"))
        return value


class SLOConfig(Model):
    name: Name
    probe: str
    objective: float = Field(strict=True)  # percent: 99.9, not 0.999
    window: Duration = 30 * 86400.0
    # None: an availability SLO (outcomes); a duration: a latency SLO (runs at most this slow)
    latency_threshold: Duration | None = None

    @field_validator("latency_threshold")
    @classmethod
    def _on_a_bucket_bound(cls, value: float | None) -> float | None:
        if value is not None and value not in DURATION_BUCKETS:
            bounds = ", ".join(format_duration(b) for b in DURATION_BUCKETS)
            raise ValueError(f"must be a bound of the duration histogram: one of {bounds}")
        return value

    @field_validator("objective")
    @classmethod
    def _percentage(cls, value: float) -> float:
        if not 0 < value < 100:
            raise ValueError("must be a percentage between 0 and 100 (exclusive), e.g. 99.9")
        return value


class Config(Model):
    scheduler: SchedulerConfig = SchedulerConfig()
    shard: ShardConfig = ShardConfig()
    status_pages: tuple[StatusPageConfig, ...] = ()
    probes: tuple[ProbeConfig, ...] = ()
    slos: tuple[SLOConfig, ...] = ()
    multi_target: MultiTargetConfig = MultiTargetConfig()

    def secret_values(self) -> list[str]:
        return [s for probe in self.probes for s in probe.secret_values()]

    def page(self, name: str) -> StatusPageConfig | None:
        return next((p for p in self.status_pages if p.name == name), None)
