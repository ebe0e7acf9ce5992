"""Runs every status-page poll and probe in the background on its own interval.

Items wait in one heap ordered by due time, under one timer; when an item is due, a task
runs it once (taking a slot of the global concurrency limit) and puts it back in the heap
at its next due time. An item that is not running is an entry and a heap row, no task,
coroutine or timer of its own: ten thousand probes are ten thousand small rows, not forty
thousand objects the garbage collector walks on every full collection (heap.py). An item
is back in the heap only after its run ends, so the same item never overlaps itself.

The first round runs at once (so the exporter is ready quickly); after it every item
keeps a random phase within its interval, which spreads the load evenly while the
cadence stays steady (rate() and SLO maths need a steady cadence). A run that overruns
its interval skips the missed slots instead of bunching them, and counts them.

A job may ask for a pause: when it returns a delay in seconds (a status page's
Retry-After), the item's next run waits at least that long, moved to a later slot of its
own phase so the cadence stays steady afterwards. Those slots are not counted as skipped.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from exporter.config import Config, ProbeConfig, StatusPageConfig
from exporter.metrics import ExporterMetrics

log = logging.getLogger(__name__)

Item = StatusPageConfig | ProbeConfig
# A job runs one item once; it may return the least delay (seconds) before the next run.
Job = Callable[[Item], Awaitable[float | None]]


# How early a due item may start. Timers fire on the loop's clock, which may run up to a
# millisecond behind `time.monotonic()` (uvloop's is in whole milliseconds): without this,
# a timer that fires 0.3 ms early re-arms for 0.3 ms, which fires at once, and spins.
EARLY = 0.002
# (kind, name): "page" | "probe", and the item's name
Key = tuple[str, str]


@dataclass(slots=True)
class _Entry:
    """One configured item: when it is next due, and its run while one is in flight."""

    key: Key
    item: Item
    token: int  # this entry's heap rows carry it; a replaced or removed entry's rows are stale
    due: float
    next_gap: float  # the gap to the next due time: the random phase once, then the interval
    task: asyncio.Task[None] | None = None


class Scheduler:
    def __init__(
        self,
        jobs: dict[str, Job],
        metrics: ExporterMetrics,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._jobs = jobs  # kind -> coroutine running one item once
        self._metrics = metrics
        self._clock = clock
        self._rng = rng or random.Random()
        self._entries: dict[Key, _Entry] = {}
        # (due, token, kind, name): atomic values only, so the collector soon stops tracking them
        self._heap: list[tuple[float, int, str, str]] = []
        self._tokens = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due = math.inf
        self._semaphore = asyncio.Semaphore(64)
        self._limit = 64
        self._awaiting_first_run: set[Key] = set()
        self.ready = asyncio.Event()

    def apply(self, config: Config) -> None:
        """Start, restart or stop items so they match `config`. Unchanged items keep their
        phase (and a run in flight); a changed item starts afresh, at once."""
        if config.scheduler.max_concurrency != self._limit:
            # Runs in flight keep their slot of the old semaphore; new runs use the new one.
            self._limit = config.scheduler.max_concurrency
            self._semaphore = asyncio.Semaphore(self._limit)
        wanted: dict[Key, Item] = {("page", p.name): p for p in config.status_pages}
        wanted.update({("probe", p.name): p for p in config.probes})
        for key in [k for k in self._entries if k not in wanted]:
            self._drop(key)
        now = self._clock()
        for key, item in wanted.items():
            entry = self._entries.get(key)
            if entry is not None and entry.item == item:
                continue
            if entry is not None:
                self._drop(key)
            gap = item.interval * self._rng.uniform(0.5, 1.5)  # this item's phase
            self._entries[key] = entry = _Entry(key, item, next(self._tokens), now, gap)
            self._push(entry)
            if not self.ready.is_set():
                self._awaiting_first_run.add(key)
        self._check_ready()

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._heap.clear()
        tasks = [e.task for e in self._entries.values() if e.task is not None]
        self._entries.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _drop(self, key: Key) -> None:
        """Forget an item: its heap rows go stale, its run in flight is cancelled."""
        entry = self._entries.pop(key)
        if entry.task is not None:
            entry.task.cancel()
        self._awaiting_first_run.discard(key)

    def _check_ready(self) -> None:
        if not self._awaiting_first_run and not self.ready.is_set():
            self.ready.set()
            log.info("first round complete; ready")

    def _push(self, entry: _Entry) -> None:
        kind, name = entry.key
        heapq.heappush(self._heap, (entry.due, entry.token, kind, name))
        if entry.due < self._timer_due:
            self._arm()

    def _arm(self) -> None:
        """One timer, for the earliest row of the heap."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_due = self._heap[0][0] if self._heap else math.inf
        if self._heap:
            delay = max(0.0, self._timer_due - self._clock())
            self._timer = asyncio.get_running_loop().call_later(delay, self._start_due)

    def _start_due(self) -> None:
        """Start a run of every item that is due."""
        self._timer, self._timer_due = None, math.inf
        now = self._clock() + EARLY
        while self._heap and self._heap[0][0] <= now:
            _, token, kind, name = heapq.heappop(self._heap)
            entry = self._entries.get((kind, name))
            if entry is None or entry.token != token:
                continue  # removed or replaced by a reload
            entry.task = asyncio.create_task(self._run(entry), name=f"{kind}:{name}")
        self._arm()

    async def _run(self, entry: _Entry) -> None:
        kind, name = entry.key
        job = self._jobs[kind]
        try:
            async with self._semaphore:
                self._metrics.scheduler_lag.labels(kind).observe(
                    max(0.0, self._clock() - entry.due)
                )
                pause = None
                try:
                    pause = await job(entry.item)
                except Exception as exc:  # a bug in a job must not stop the item's runs
                    log.error("%s %s: internal error %s", kind, name, type(exc).__name__)
        finally:
            entry.task = None
        self._awaiting_first_run.discard(entry.key)
        self._check_ready()
        self._next(entry, pause)
        if self._entries.get(entry.key) is entry:
            self._push(entry)

    def _next(self, entry: _Entry, pause: float | None) -> None:
        """Move `entry.due` to the item's next slot."""
        interval = entry.item.interval
        entry.due += entry.next_gap
        entry.next_gap = interval
        # A run that ended after its next slot began has missed that slot: wait for the
        # following one of its phase, and count the miss. (Starting late instead would
        # keep the item late for good: a probe whose timeout equals its interval would
        # show a permanent lag and never a skip.)
        now = self._clock()
        missed = math.ceil((now - entry.due) / interval) if now > entry.due else 0
        if missed > 0:
            entry.due += missed * interval
            self._metrics.scheduler_skipped.labels(entry.key[0]).inc(missed)
        if pause:
            entry.due = _not_before(entry.due, self._clock() + pause, interval)


def _not_before(due: float, earliest: float, interval: float) -> float:
    """The first slot of the item's phase (`due` + k * interval) at or after `earliest`."""
    if due >= earliest:
        return due
    return due + math.ceil((earliest - due) / interval) * interval
