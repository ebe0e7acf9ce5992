"""Latest snapshots and per-probe counters: what the collector reads.

Every entry is a frozen object, replaced whole when a poll or probe finishes.
`State.snapshot()` copies the two name -> entry maps (a shallow copy, atomic
under the GIL), so a scrape reads one consistent view however long it takes
and two scrapes never interleave with each other or with updates.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from exporter.config import Config, HttpProbeConfig, StatusPageConfig
from exporter.metrics import DURATION_BUCKETS, TTFT_BUCKETS
from exporter.models import Outcome, PageSnapshot, PollError, ProbeResult

OUTCOMES = tuple(Outcome)
POLL_ERRORS = tuple(PollError)


@dataclass(frozen=True, slots=True)
class HistogramData:
    """A Prometheus histogram as plain data: per-bucket counts (last is +Inf)."""

    bounds: tuple[float, ...]
    counts: tuple[int, ...]
    sum: float = 0.0

    @classmethod
    def empty(cls, bounds: tuple[float, ...]) -> HistogramData:
        return cls(bounds, (0,) * (len(bounds) + 1))

    @property
    def count(self) -> int:
        return sum(self.counts)

    def observe(self, value: float) -> HistogramData:
        i = bisect_left(self.bounds, value)  # `le` buckets: value <= bound
        counts = self.counts[:i] + (self.counts[i] + 1,) + self.counts[i + 1 :]
        return HistogramData(self.bounds, counts, self.sum + value)

    def cumulative(self) -> list[tuple[str, int]]:
        """(le, cumulative count) pairs as the exposition wants them."""
        out, running = [], 0
        for bound, n in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += n
            out.append(("+Inf" if bound == float("inf") else repr(float(bound)), running))
        return out


@dataclass(frozen=True, slots=True)
class PageState:
    config: StatusPageConfig
    snapshot: PageSnapshot | None = None  # the last good one; kept after a failed poll
    up: bool = False
    polled: bool = False  # at least one poll finished, successful or not
    last_success: float | None = None
    last_error: str = ""  # "reason: detail" of the last failed poll
    errors: tuple[int, ...] = (0,) * len(POLL_ERRORS)  # aligned with POLL_ERRORS

    def error_count(self, reason: PollError) -> int:
        return self.errors[POLL_ERRORS.index(reason)]


@dataclass(frozen=True, slots=True)
class ProbeState:
    config: HttpProbeConfig
    last: ProbeResult | None = None
    last_run: float | None = None
    last_failure: ProbeResult | None = None
    last_failure_at: float | None = None
    outcomes: tuple[int, ...] = (0,) * len(OUTCOMES)  # aligned with OUTCOMES
    # HistogramData is frozen, so one shared empty default is safe.
    duration: HistogramData = HistogramData.empty(DURATION_BUCKETS)  # noqa: RUF009
    ttft: HistogramData = HistogramData.empty(TTFT_BUCKETS)  # noqa: RUF009

    def outcome_count(self, outcome: Outcome) -> int:
        return self.outcomes[OUTCOMES.index(outcome)]


@dataclass(frozen=True, slots=True)
class StateSnapshot:
    pages: Mapping[str, PageState]
    probes: Mapping[str, ProbeState]


def _bump(counts: tuple[int, ...], index: int) -> tuple[int, ...]:
    return counts[:index] + (counts[index] + 1,) + counts[index + 1 :]


class State:
    """The mutable holder of immutable entries, keyed by page and probe name."""

    def __init__(self) -> None:
        self._pages: dict[str, PageState] = {}
        self._probes: dict[str, ProbeState] = {}

    def apply_config(self, config: Config) -> None:
        """Track exactly the configured items; counters survive for names kept."""
        pages = {p.name: p for p in config.status_pages}
        probes = {p.name: p for p in config.probes}
        self._pages = {
            name: replace(self._pages[name], config=cfg) if name in self._pages else PageState(cfg)
            for name, cfg in pages.items()
        }
        self._probes = {
            name: replace(self._probes[name], config=cfg)
            if name in self._probes
            else ProbeState(cfg)
            for name, cfg in probes.items()
        }

    def record_page_success(
        self, name: str, snapshot: PageSnapshot, now: float | None = None
    ) -> None:
        current = self._pages.get(name)
        if current is None:  # removed by a reload while the poll was running
            return
        self._pages[name] = replace(
            current,
            snapshot=snapshot,
            up=True,
            polled=True,
            last_success=time.time() if now is None else now,
            last_error="",
        )

    def record_page_failure(self, name: str, reason: PollError, detail: str) -> None:
        current = self._pages.get(name)
        if current is None:
            return
        self._pages[name] = replace(
            current,
            up=False,
            polled=True,
            last_error=f"{reason.value}: {detail}",
            errors=_bump(current.errors, POLL_ERRORS.index(reason)),
        )

    def record_probe(self, name: str, result: ProbeResult, now: float | None = None) -> None:
        current = self._probes.get(name)
        if current is None:
            return
        now = time.time() if now is None else now
        failed = not result.success
        self._probes[name] = replace(
            current,
            last=result,
            last_run=now,
            last_failure=result if failed else current.last_failure,
            last_failure_at=now if failed else current.last_failure_at,
            outcomes=_bump(current.outcomes, OUTCOMES.index(result.outcome)),
            duration=current.duration.observe(result.duration),
            ttft=current.ttft if result.ttft is None else current.ttft.observe(result.ttft),
        )

    def page(self, name: str) -> PageState | None:
        return self._pages.get(name)

    def snapshot(self) -> StateSnapshot:
        return StateSnapshot(
            MappingProxyType(dict(self._pages)), MappingProxyType(dict(self._probes))
        )
