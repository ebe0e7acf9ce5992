"""The scheduler on a real event loop with instrumented jobs (short intervals)."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter

from prometheus_client import CollectorRegistry

from exporter.config import Config, parse_config
from exporter.metrics import ExporterMetrics
from exporter.scheduler import Item, Scheduler


def _config(n_probes: int, interval: str = "100ms", concurrency: int = 64) -> Config:
    return parse_config(
        {
            "scheduler": {"max_concurrency": concurrency},
            "probes": [
                {"name": f"p{i}", "type": "http", "url": "http://127.0.0.1:9", "interval": interval}
                for i in range(n_probes)
            ],
        }
    )


class Recorder:
    """A job that records runs and concurrency, and sleeps `work` seconds."""

    def __init__(self, work: float = 0.0) -> None:
        self.work = work
        self.runs: Counter[str] = Counter()
        self.active: Counter[str] = Counter()
        self.max_active_per_item = 0
        self.max_active_total = 0

    async def __call__(self, item: Item) -> None:
        self.active[item.name] += 1
        self.max_active_per_item = max(self.max_active_per_item, self.active[item.name])
        self.max_active_total = max(self.max_active_total, sum(self.active.values()))
        try:
            await asyncio.sleep(self.work)
            self.runs[item.name] += 1
        finally:
            self.active[item.name] -= 1


def _scheduler(job: Recorder) -> tuple[Scheduler, ExporterMetrics, CollectorRegistry]:
    registry = CollectorRegistry()
    metrics = ExporterMetrics(registry)
    return Scheduler({"probe": job}, metrics, rng=random.Random(7)), metrics, registry


async def test_ready_after_every_item_ran_once() -> None:
    job = Recorder(work=0.05)
    scheduler, _, _ = _scheduler(job)
    scheduler.apply(_config(5, interval="10s"))
    assert not scheduler.ready.is_set()
    await asyncio.wait_for(scheduler.ready.wait(), timeout=5)
    assert set(job.runs) == {f"p{i}" for i in range(5)}
    await scheduler.stop()


async def test_an_empty_config_is_ready_at_once() -> None:
    scheduler, _, _ = _scheduler(Recorder())
    scheduler.apply(_config(0))
    assert scheduler.ready.is_set()
    await scheduler.stop()


async def test_the_global_concurrency_limit_holds() -> None:
    job = Recorder(work=0.05)
    scheduler, _, _ = _scheduler(job)
    scheduler.apply(_config(10, interval="10s", concurrency=3))
    await asyncio.wait_for(scheduler.ready.wait(), timeout=5)
    await scheduler.stop()
    assert job.max_active_total == 3


async def test_an_item_never_overlaps_itself_and_overruns_are_counted() -> None:
    job = Recorder(work=0.35)  # each run takes 3.5 intervals
    scheduler, _, registry = _scheduler(job)
    scheduler.apply(_config(1, interval="100ms"))
    await asyncio.sleep(1.2)
    await scheduler.stop()
    assert job.max_active_per_item == 1
    assert job.runs["p0"] >= 2
    skipped = registry.get_sample_value(
        "statusprobe_scheduler_skipped_runs_total", {"kind": "probe"}
    )
    assert skipped is not None and skipped >= 2


async def test_runs_keep_their_interval() -> None:
    job = Recorder()
    scheduler, _, registry = _scheduler(job)
    scheduler.apply(_config(1, interval="100ms"))
    await asyncio.sleep(1.0)
    await scheduler.stop()
    # First run at once, the second after 0.5..1.5 intervals, then every 100 ms: 8..11 runs.
    assert 7 <= job.runs["p0"] <= 12
    lag_count = registry.get_sample_value(
        "statusprobe_scheduler_lag_seconds_count", {"kind": "probe"}
    )
    assert lag_count == job.runs["p0"]


def _p1_changed_p2_removed() -> Config:
    """`_config(3, "10s")` with p1's interval changed and p2 removed."""
    config = _config(2, interval="10s")
    p1 = config.probes[1].model_copy(update={"interval": 20.0})
    return config.model_copy(update={"probes": [config.probes[0], p1]})


async def test_apply_keeps_unchanged_items_and_restarts_changed_ones() -> None:
    job = Recorder()
    scheduler, _, _ = _scheduler(job)
    scheduler.apply(_config(3, interval="10s"))
    await asyncio.wait_for(scheduler.ready.wait(), timeout=5)
    assert job.runs == {"p0": 1, "p1": 1, "p2": 1}
    scheduler.apply(_p1_changed_p2_removed())
    await asyncio.sleep(0.2)
    await scheduler.stop()
    # p0 kept its phase (next run 5-15 s away); p1 changed, so it started afresh, at once;
    # p2 is gone.
    assert job.runs == {"p0": 1, "p1": 2, "p2": 1}


async def test_apply_cancels_the_run_in_flight_of_a_removed_or_changed_item() -> None:
    job = Recorder(work=5.0)
    scheduler, _, _ = _scheduler(job)
    scheduler.apply(_config(3, interval="10s"))
    await asyncio.sleep(0.05)
    assert job.active == {"p0": 1, "p1": 1, "p2": 1}
    scheduler.apply(_p1_changed_p2_removed())
    await asyncio.sleep(0.05)
    # p0's run goes on; p1's was cancelled and its new config's run began; p2's was cancelled.
    assert job.active == {"p0": 1, "p1": 1, "p2": 0}
    assert sum(job.runs.values()) == 0
    await scheduler.stop()
    assert sum(job.active.values()) == 0


async def test_many_items_wait_without_a_task_each() -> None:
    """Between runs an item is a heap row: the tasks alive are the runs in flight."""
    job = Recorder()
    scheduler, _, _ = _scheduler(job)
    scheduler.apply(_config(500, interval="10s"))
    await asyncio.wait_for(scheduler.ready.wait(), timeout=10)
    await asyncio.sleep(0)
    assert sum(job.runs.values()) == 500
    assert len(asyncio.all_tasks()) < 10
    await scheduler.stop()


async def test_a_failing_job_does_not_stop_its_loop() -> None:
    calls = Counter[str]()

    async def broken(item: Item) -> None:
        calls[item.name] += 1
        raise RuntimeError("bug")

    scheduler = Scheduler({"probe": broken}, ExporterMetrics(CollectorRegistry()))
    scheduler.apply(_config(1, interval="50ms"))
    await asyncio.sleep(0.4)
    await scheduler.stop()
    assert calls["p0"] >= 3


async def test_runs_as_long_as_their_interval_skip_a_slot_instead_of_lagging_for_good() -> None:
    """A probe whose timeout equals its interval: each run ends as its next slot begins.
    It must skip that slot (counted) and start on time, not start late forever."""
    offset = [0.0]
    interval = 0.1

    async def takes_one_interval(item: Item) -> None:
        offset[0] += interval  # the run lasts one interval (plus the real time it takes)
        await asyncio.sleep(0)

    registry = CollectorRegistry()
    # Seed 1: the item's phase puts its second slot 0.63 intervals after its first start,
    # so the first run ends after that slot began.
    scheduler = Scheduler(
        {"probe": takes_one_interval},
        ExporterMetrics(registry),
        clock=lambda: time.monotonic() + offset[0],
        rng=random.Random(1),
    )
    scheduler.apply(_config(1, interval="100ms"))
    await asyncio.sleep(0.5)
    await scheduler.stop()
    count = registry.get_sample_value("statusprobe_scheduler_lag_seconds_count", {"kind": "probe"})
    lag = registry.get_sample_value("statusprobe_scheduler_lag_seconds_sum", {"kind": "probe"})
    skipped = registry.get_sample_value(
        "statusprobe_scheduler_skipped_runs_total", {"kind": "probe"}
    )
    assert count is not None and count >= 3
    assert skipped is not None and skipped >= count - 2  # the slot each run overran
    # Each run starts in its own slot, late only by the loop's wake-up; before, every run
    # started 0.37 intervals late, for good.
    assert lag is not None and lag / count < interval / 4
