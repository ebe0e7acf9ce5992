"""The probe history rings: what they keep (against a plain reference model) and what they
cost the garbage collector (nothing per run)."""

from __future__ import annotations

import gc
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.config import parse_config
from exporter.history import BUCKET, RUNS, Minutes, ProbeHistory, Run
from exporter.models import Outcome, ProbeResult
from exporter.state import State

NOW = 1_800_000_000.0

runs_strategy = st.lists(
    st.tuples(
        st.floats(0.0, 400.0),  # gap since the previous run, seconds
        st.sampled_from(list(Outcome)),
        st.integers(0, 599),
        st.floats(0.0, 30.0),
        st.none() | st.floats(0.0, 30.0),
        st.sampled_from(["", "req-1", "req_abc"]),
    ),
    max_size=400,
)


def _runs(steps: list[tuple[float, Outcome, int, float, float | None, str]]) -> list[Run]:
    at, out = NOW - 86_400, []
    for gap, outcome, code, duration, ttft, request_id in steps:
        at += gap
        out.append(Run(at, outcome, code, duration, ttft, request_id))
    return out


def _reference_success(runs: list[Run], now: float, seconds: float) -> tuple[int, int]:
    """What the ring promises: exact over the kept runs while they cover the window, else
    per-minute counts of every run in the minutes that overlap it (and the last day)."""
    kept = runs[-RUNS:]
    if kept and (len(runs) <= RUNS or kept[0].at <= now - seconds):
        window = [r for r in kept if now - seconds < r.at <= now]
        return sum(r.success for r in window), len(window)
    newest = max(int(r.at // BUCKET) for r in runs)
    current = int(now // BUCKET)
    first = max(max(newest, current) - 1440 + 1, int((now - seconds) // BUCKET))
    counted = [r for r in runs if first <= int(r.at // BUCKET) <= current]
    return sum(r.success for r in counted), len(counted)


@settings(max_examples=200, deadline=None)
@given(runs_strategy, st.sampled_from([60.0, 300.0, 3600.0, 86_400.0]), st.floats(0.0, 7200.0))
def test_the_ring_keeps_what_a_list_of_the_last_runs_would(
    steps: list[tuple[float, Outcome, int, float, float | None, str]],
    seconds: float,
    later: float,
) -> None:
    runs = _runs(steps)
    ring = ProbeHistory()
    for run in runs:
        ring.add(run)
    assert ring.runs == tuple(runs[-RUNS:])
    now = (runs[-1].at if runs else NOW) + later
    assert ring.window(now, seconds) == [r for r in runs[-RUNS:] if now - seconds < r.at <= now]
    if runs:
        assert ring.success(now, seconds) == _reference_success(runs, now, seconds)
    copy = ring.copy()
    ring.add(Run(now, Outcome.TIMEOUT))
    assert copy.runs == tuple(runs[-RUNS:])  # a copy does not see later runs


def test_a_missing_ttft_stays_missing_and_a_zero_stays_zero() -> None:
    ring = ProbeHistory()
    ring.add(Run(NOW, Outcome.SUCCESS, 200, 0.1, None))
    ring.add(Run(NOW + 1, Outcome.SUCCESS, 200, 0.1, 0.0))
    assert [r.ttft for r in ring.runs] == [None, 0.0]
    assert not math.isnan(ring.runs[1].duration)


def test_minutes_forget_a_day_old_bucket_when_its_place_comes_round() -> None:
    minutes = Minutes(size=10)
    minutes.add(0.0, success=True)
    minutes.add(10 * 60.0, success=False)  # the same bucket, ten minutes later
    assert minutes.counts(10 * 60.0, 3600.0) == (0, 1)
    minutes.add(5 * 60.0, success=True)  # late, still inside the ring
    minutes.add(-1 * 60.0, success=True)  # older than the ring: dropped
    assert minutes.counts(10 * 60.0, 3600.0) == (1, 2)
    assert minutes.counts(30 * 60.0, 3600.0) == (0, 0)  # nothing in the last ten minutes


def test_a_saturated_minute_keeps_its_ratio() -> None:
    minutes = Minutes(size=2)
    for k in range(70_000):
        minutes.add(1.0, success=k % 2 == 0)
    ok, total = minutes.counts(1.0, 60.0)
    assert total == 0xFFFF and ok == 0x8000


def test_recording_runs_leaves_nothing_for_the_garbage_collector() -> None:
    """A full collection walks every object the collector tracks; ten thousand probes with
    a run object each per ring slot were 1.2 million objects and pauses of a second. A
    probe's history is a fixed handful of objects however many runs it records."""
    state = State()
    config = {"probes": [{"name": "p", "type": "http", "url": "https://api.acme.test/"}]}
    state.apply_config(parse_config(config))
    result = ProbeResult(Outcome.SUCCESS, 0.05, 200, detail="HTTP 200")
    for k in range(10):  # the ring and the state's entry exist
        state.record_probe("p", result, now=NOW + k)
    gc.collect()
    before = len(gc.get_objects())
    for k in range(10, 10 + 3 * RUNS):
        state.record_probe("p", result, now=NOW + 30 * k)
    gc.collect()
    assert len(gc.get_objects()) - before < 10
    assert len(state.history.probe("p").runs) == RUNS
