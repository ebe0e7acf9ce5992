"""Latest snapshots and per-probe counters: what the collector reads.

Every entry is a frozen object, replaced whole when a poll or probe finishes.
`State.snapshot()` copies the two name -> entry maps (a shallow copy, atomic
under the GIL), so a scrape reads one consistent view however long it takes
and two scrapes never interleave with each other or with updates.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from exporter.caps import DROP_KINDS, dropped
from exporter.config import Config, ProbeConfig, StatusPageConfig
from exporter.history import History, Poll, Run
from exporter.metrics import DURATION_BUCKETS, TTFT_BUCKETS
from exporter.models import OUTCOMES, Outcome, PageSnapshot, PollError, ProbeResult

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
    dropped: tuple[int, ...] = (0,) * len(DROP_KINDS)  # aligned with DROP_KINDS, summed
    unknown_values: int = 0  # unknown enum values, summed over successful polls
    rate_limited_streak: int = 0  # consecutive polls that ended RATE_LIMITED
    backoff_until: float | None = None  # the next poll waits until then (unix seconds)
    last_duration: float | None = None  # seconds the last poll took

    def error_count(self, reason: PollError) -> int:
        return self.errors[POLL_ERRORS.index(reason)]

    def dropped_count(self, kind: str) -> int:
        return self.dropped[DROP_KINDS.index(kind)]

    def streak_after(self, reason: PollError) -> int:
        """`rate_limited_streak` once a poll has failed with `reason`."""
        return self.rate_limited_streak + 1 if reason is PollError.RATE_LIMITED else 0

    def is_stale(self, now: float) -> bool:
        """Whether the last good snapshot is older than the page's `stale_after`."""
        if self.last_success is None:
            return True
        return now - self.last_success > self.config.effective_stale_after

    def succeeded(
        self, snapshot: PageSnapshot, now: float, *, duration: float | None = None
    ) -> PageState:
        cfg = self.config
        drops = dropped(
            snapshot.components,
            snapshot.incidents,
            max_components=cfg.max_components,
            max_incidents=cfg.max_incidents,
        )
        return replace(
            self,
            snapshot=snapshot,
            up=True,
            polled=True,
            last_success=now,
            last_error="",
            dropped=tuple(map(sum, zip(self.dropped, drops, strict=True))),
            unknown_values=self.unknown_values + len(snapshot.unknown_values),
            rate_limited_streak=0,
            backoff_until=None,
            last_duration=duration,
        )

    def failed(
        self,
        reason: PollError,
        detail: str,
        *,
        duration: float | None = None,
        backoff_until: float | None = None,
    ) -> PageState:
        return replace(
            self,
            up=False,
            polled=True,
            last_error=f"{reason.value}: {detail}",
            errors=_bump(self.errors, POLL_ERRORS.index(reason)),
            rate_limited_streak=self.streak_after(reason),
            backoff_until=backoff_until,
            last_duration=duration,
        )


@dataclass(frozen=True, slots=True)
class ProbeState:
    config: ProbeConfig
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


def _poll(page: PageState, before: Poll | None) -> Poll:
    """The poll that just made `page` what it is, for the board's history."""
    if page.up and page.snapshot is not None and page.last_success is not None:
        return Poll.of(page.snapshot, page.last_success, before)
    return Poll(time.time(), up=False, error=page.last_error)


def _bump(counts: tuple[int, ...], index: int) -> tuple[int, ...]:
    return counts[:index] + (counts[index] + 1,) + counts[index + 1 :]


class State:
    """The mutable holder of immutable entries, keyed by page and probe name."""

    def __init__(self) -> None:
        self._pages: dict[str, PageState] = {}
        self._probes: dict[str, ProbeState] = {}
        self.history = (
            History()
        )  # recent runs and polls, bounded (history.py); the board reads them

    def apply_config(self, config: Config) -> None:
        """Track exactly the configured items; counters survive for names kept."""
        pages = {p.name: p for p in config.status_pages}
        probes = {p.name: p for p in config.probes}
        self.history.retain(
            (n for n, s in self._probes.items() if probes.get(n) == s.config),
            (n for n, s in self._pages.items() if pages.get(n) == s.config),
        )
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
        for name in probes:  # made now, they live as long as the config (heap.settle())
            self.history.probe(name)

    def update_page(self, name: str, change: Callable[[PageState], PageState]) -> None:
        """Replace page `name`'s entry with `change(entry)`; nothing if a reload removed it
        while its poll was running."""
        current = self._pages.get(name)
        if current is not None:
            self._pages[name] = page = change(current)
            self.history.add_poll(name, _poll(page, self.history.last_poll(name)))

    def record_page_success(
        self,
        name: str,
        snapshot: PageSnapshot,
        now: float | None = None,
        *,
        duration: float | None = None,
    ) -> None:
        now = time.time() if now is None else now
        self.update_page(name, lambda page: page.succeeded(snapshot, now, duration=duration))

    def record_page_failure(
        self,
        name: str,
        reason: PollError,
        detail: str,
        *,
        duration: float | None = None,
        backoff_until: float | None = None,
    ) -> None:
        self.update_page(
            name,
            lambda page: page.failed(
                reason, detail, duration=duration, backoff_until=backoff_until
            ),
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
        self.history.add_run(name, Run.of(result, now))

    def page(self, name: str) -> PageState | None:
        return self._pages.get(name)

    def probe(self, name: str) -> ProbeState | None:
        return self._probes.get(name)

    def snapshot(self) -> StateSnapshot:
        return StateSnapshot(
            MappingProxyType(dict(self._pages)), MappingProxyType(dict(self._probes))
        )
