"""Runs every status-page poll and probe in the background on its own interval.

Each item is one asyncio task that loops: wait until due, take a slot of the
global concurrency limit, run, compute the next due time. One task per item
means the same item never overlaps itself. The first round runs at once (so
the exporter is ready quickly); after it every item keeps a random phase
within its interval, which spreads the load evenly while the cadence stays
steady (rate() and SLO maths need a steady cadence). A run that overruns its
interval skips the missed slots instead of bunching them, and counts them.

A job may ask for a pause: when it returns a delay in seconds (a status page's
Retry-After), the item's next run waits at least that long, moved to a later slot of its
own phase so the cadence stays steady afterwards. Those slots are not counted as skipped.
"""

from __future__ import annotations

import asyncio
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


@dataclass(frozen=True, slots=True)
class _Key:
    kind: str  # "page" | "probe"
    name: str


@dataclass(slots=True)
class _Running:
    item: Item
    task: asyncio.Task[None]


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
        self._running: dict[_Key, _Running] = {}
        self._semaphore = asyncio.Semaphore(64)
        self._limit = 64
        self._awaiting_first_run: set[_Key] = set()
        self.ready = asyncio.Event()

    def apply(self, config: Config) -> None:
        """Start, restart or stop tasks so they match `config`. Unchanged items keep running."""
        if config.scheduler.max_concurrency != self._limit:
            # Runs in flight keep their slot of the old semaphore; new runs use the new one.
            self._limit = config.scheduler.max_concurrency
            self._semaphore = asyncio.Semaphore(self._limit)
        wanted: dict[_Key, Item] = {_Key("page", p.name): p for p in config.status_pages}
        wanted.update({_Key("probe", p.name): p for p in config.probes})
        for key in [k for k in self._running if k not in wanted]:
            self._running.pop(key).task.cancel()
            self._awaiting_first_run.discard(key)
        for key, item in wanted.items():
            running = self._running.get(key)
            if running is not None and running.item == item:
                continue
            if running is not None:
                running.task.cancel()
            task = asyncio.create_task(self._loop(key, item), name=f"{key.kind}:{key.name}")
            self._running[key] = _Running(item, task)
            if not self.ready.is_set():
                self._awaiting_first_run.add(key)
        self._check_ready()

    async def stop(self) -> None:
        tasks = [r.task for r in self._running.values()]
        self._running.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _check_ready(self) -> None:
        if not self._awaiting_first_run and not self.ready.is_set():
            self.ready.set()
            log.info("first round complete; ready")

    async def _loop(self, key: _Key, item: Item) -> None:
        job = self._jobs[key.kind]
        due = self._clock()
        next_gap = item.interval * self._rng.uniform(0.5, 1.5)  # this item's phase
        while True:
            delay = due - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            async with self._semaphore:
                self._metrics.scheduler_lag.labels(key.kind).observe(max(0.0, self._clock() - due))
                pause = None
                try:
                    pause = await job(item)
                except Exception as exc:  # a bug in a job must not stop the item's loop
                    log.error("%s %s: internal error %s", key.kind, key.name, type(exc).__name__)
            self._awaiting_first_run.discard(key)
            self._check_ready()
            due += next_gap
            next_gap = item.interval
            # A run that ended after its next slot began has missed that slot: wait for the
            # following one of its phase, and count the miss. (Starting late instead would
            # keep the item late for good: a probe whose timeout equals its interval would
            # show a permanent lag and never a skip.)
            now = self._clock()
            missed = math.ceil((now - due) / item.interval) if now > due else 0
            if missed > 0:
                due += missed * item.interval
                self._metrics.scheduler_skipped.labels(key.kind).inc(missed)
            if pause:
                due = _not_before(due, self._clock() + pause, item.interval)


def _not_before(due: float, earliest: float, interval: float) -> float:
    """The first slot of the item's phase (`due` + k * interval) at or after `earliest`."""
    if due >= earliest:
        return due
    return due + math.ceil((earliest - due) / interval) * interval
