"""The board's in-process history: a bounded ring per probe and per status page.

Each probe keeps its last `RUNS` runs (the history strip, the short windows) and one
success/total count per minute for the last `MINUTES` minutes (the long windows); each page
keeps its last `POLLS` polls. Memory is bounded by the number of configured items: about
12 to 20 KB per probe and 14 KB per page (docs/board.md). They are appended to on the event loop;
the board copies them there (`History.copy()`) and renders the copy in a thread.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from exporter.models import OUTCOMES, ComponentStatus, Outcome, PageSnapshot, ProbeResult

_OUTCOME_INDEX = {o: i for i, o in enumerate(OUTCOMES)}
_SUCCESS = _OUTCOME_INDEX[Outcome.SUCCESS]

RUNS = 120  # per probe: the strip's cells, and the windows they cover
POLLS = 120  # per page
MINUTES = 1440  # per probe: one bucket a minute, 24 hours
BUCKET = 60.0  # seconds per bucket


@dataclass(frozen=True, slots=True)
class Run:
    """One probe run as the board shows it (never a secret: outcome, codes, timings)."""

    at: float  # unix seconds
    outcome: Outcome
    status_code: int = 0
    duration: float = 0.0
    ttft: float | None = None
    request_id: str = ""

    @classmethod
    def of(cls, result: ProbeResult, at: float) -> Run:
        return cls(
            at, result.outcome, result.status_code, result.duration, result.ttft, result.request_id
        )

    @property
    def success(self) -> bool:
        return self.outcome is Outcome.SUCCESS


@dataclass(frozen=True, slots=True)
class Poll:
    """One status-page poll: whether it worked, and what the page said then."""

    at: float
    up: bool
    indicator: str = ""  # "" when the poll failed
    # Components not operational, as (name, status); usually empty.
    degraded: tuple[tuple[str, str], ...] = ()
    incidents: int = 0
    error: str = ""  # "reason: detail" of a failed poll
    named: frozenset[str] = frozenset()  # components an open incident names
    listed: frozenset[str] = frozenset()  # every component the page lists

    @classmethod
    def of(cls, snapshot: PageSnapshot, at: float, before: Poll | None = None) -> Poll:
        """The poll that found `snapshot`; `before` (the previous poll) lends its set of
        listed components when unchanged, so a ring of polls holds one copy of it."""
        degraded = tuple(
            (c.name, c.status.value)
            for c in snapshot.components
            if c.status is not ComponentStatus.OPERATIONAL
        )
        ids = {c.id: c.name for c in snapshot.components}
        named = frozenset(
            ids[i] for inc in snapshot.incidents for i in inc.component_ids if i in ids
        )
        listed = frozenset(ids.values())
        if before is not None and before.listed == listed:
            listed = before.listed
        return cls(
            at, True, snapshot.indicator.value, degraded, len(snapshot.incidents), "", named, listed
        )

    def admits(self, component: str | None) -> bool:
        """Whether this poll admits trouble with `component`, as the rules pack judges it:
        a listed component not operational (maintenance included) or named by an open
        incident; for a whole-page probe or a component the page does not list, the
        indicator not `none` or any open incident. A failed poll admits nothing."""
        if not self.up:
            return False
        if component is not None and component in self.listed:
            return component in self.named or any(n == component for n, _ in self.degraded)
        return self.indicator != "none" or self.incidents > 0

    def status_of(self, component: str | None) -> str:
        """What this poll said about `component` (None: the page as a whole)."""
        if not self.up:
            return "unreachable"
        if component is None:
            return "operational" if self.indicator == "none" else self.indicator
        return dict(self.degraded).get(component, "operational")


class Minutes:
    """Success and total counts per minute for the last `size` minutes: two arrays of
    16-bit counts and the newest minute written; a bucket's minute follows from its place."""

    __slots__ = ("_last", "_ok", "_total", "bucket", "size")

    def __init__(self, size: int = MINUTES, bucket: float = BUCKET) -> None:
        self.size = size
        self.bucket = bucket
        self._last = -size  # the newest minute counted; nothing counted yet
        self._total = array("H", bytes(2 * size))
        self._ok = array("H", bytes(2 * size))

    def copy(self) -> Minutes:
        other = Minutes.__new__(Minutes)
        other.size, other.bucket, other._last = self.size, self.bucket, self._last
        other._total, other._ok = self._total[:], self._ok[:]
        return other

    def add(self, at: float, success: bool) -> None:
        minute = int(at // self.bucket)
        if minute > self._last:  # a new minute: clear the buckets it and any gap reuse
            for m in range(max(self._last + 1, minute - self.size + 1), minute + 1):
                self._total[m % self.size] = self._ok[m % self.size] = 0
            self._last = minute
        elif minute <= self._last - self.size:
            return  # older than the ring (the clock stepped back a day)
        i = minute % self.size
        if self._total[i] < 0xFFFF:  # a 16-bit count saturates rather than wraps
            self._total[i] += 1
            self._ok[i] += success

    def counts(self, now: float, seconds: float) -> tuple[int, int]:
        """(successes, runs) in the minutes that overlap the last `seconds` before `now`."""
        current = int(now // self.bucket)
        last = min(current, self._last)
        oldest = max(self._last, current) - self.size + 1  # the ring's reach, as of `now`
        first = max(oldest, int((now - seconds) // self.bucket))
        ok = total = 0
        for lo, hi in _spans(first, last, self.size):
            ok += sum(self._ok[lo:hi])
            total += sum(self._total[lo:hi])
        return ok, total


def _spans(first: int, last: int, size: int) -> list[tuple[int, int]]:
    """The index ranges of minutes first..last (inclusive) in a ring of `size`."""
    if last < first:
        return []
    lo, hi = first % size, last % size + 1
    return [(lo, hi)] if lo < hi else [(lo, size), (0, hi)]


class ProbeHistory:
    """A probe's last `RUNS` runs, column by column, and its per-minute counts.

    No object per run: a run is a slot in a few arrays, so a probe's history is a handful
    of objects whatever its length, and the garbage collector, which walks every object
    it tracks on each full collection, does not slow down as the rings fill (ten
    thousand probes keep 1.2 million runs). `runs` and `window()` build `Run`s on demand,
    for the board.
    """

    __slots__ = (
        "_at",
        "_code",
        "_duration",
        "_next",
        "_outcome",
        "_request_id",
        "_ttft",
        "minutes",
    )

    def __init__(self) -> None:
        self._at = array("d")
        self._outcome = bytearray()  # index in OUTCOMES
        self._code = array("H")
        self._duration = array("d")
        self._ttft = array("d")  # NaN: no ttft
        self._request_id: list[str] = []
        self._next = 0  # the slot the next run takes once the ring is full
        self.minutes = Minutes()

    def copy(self) -> ProbeHistory:
        other = ProbeHistory.__new__(ProbeHistory)
        other._at, other._outcome, other._code = self._at[:], self._outcome[:], self._code[:]
        other._duration, other._ttft = self._duration[:], self._ttft[:]
        other._request_id, other._next = self._request_id[:], self._next
        other.minutes = self.minutes.copy()
        return other

    def add(self, run: Run) -> None:
        ttft = math.nan if run.ttft is None else run.ttft
        outcome = _OUTCOME_INDEX[run.outcome]
        if len(self._at) < RUNS:
            self._at.append(run.at)
            self._outcome.append(outcome)
            self._code.append(run.status_code)
            self._duration.append(run.duration)
            self._ttft.append(ttft)
            self._request_id.append(run.request_id)
        else:
            i = self._next
            self._at[i], self._outcome[i], self._code[i] = run.at, outcome, run.status_code
            self._duration[i], self._ttft[i], self._request_id[i] = (
                run.duration,
                ttft,
                run.request_id,
            )
            self._next = (i + 1) % RUNS
        self.minutes.add(run.at, run.success)

    def _order(self) -> Iterator[int]:
        """Slot indexes, oldest run first."""
        n = len(self._at)
        return (i % n for i in range(self._next, self._next + n))

    def _run(self, i: int) -> Run:
        ttft = self._ttft[i]
        return Run(
            self._at[i],
            OUTCOMES[self._outcome[i]],
            self._code[i],
            self._duration[i],
            None if math.isnan(ttft) else ttft,
            self._request_id[i],
        )

    @property
    def runs(self) -> tuple[Run, ...]:
        """The kept runs, oldest first."""
        return tuple(self._run(i) for i in self._order())

    def window(self, now: float, seconds: float) -> list[Run]:
        return [self._run(i) for i in self._order() if now - seconds < self._at[i] <= now]

    def success(self, now: float, seconds: float) -> tuple[int, int]:
        """(successes, runs) over the last `seconds`: exact from the runs while they cover
        the window, else from the per-minute counts."""
        n = len(self._at)
        if n and (n < RUNS or self._at[self._next % n] <= now - seconds):
            ok = total = 0
            for i in range(n):
                if now - seconds < self._at[i] <= now:
                    total += 1
                    ok += self._outcome[i] == _SUCCESS
            return ok, total
        return self.minutes.counts(now, seconds)


class History:
    """Name -> ring, for the configured probes and pages."""

    def __init__(self) -> None:
        self.probes: dict[str, ProbeHistory] = {}
        self.pages: dict[str, deque[Poll]] = {}

    def copy(self) -> History:
        """A copy that later appends do not change, to read off the event loop."""
        other = self.copy_pages()
        other.probes = self.copy_probes(self.probes)
        return other

    def copy_pages(self) -> History:
        """A copy with the page rings only (`copy_probes` adds the probes' in parts)."""
        other = History()
        other.pages = {n: deque(r, maxlen=POLLS) for n, r in self.pages.items()}
        return other

    def copy_probes(self, names: Iterable[str]) -> dict[str, ProbeHistory]:
        """Copies of these probes' rings (names no longer kept are left out)."""
        return {n: ring.copy() for n in names if (ring := self.probes.get(n)) is not None}

    def probe(self, name: str) -> ProbeHistory:
        ring = self.probes.get(name)
        if ring is None:
            ring = self.probes[name] = ProbeHistory()
        return ring

    def add_run(self, name: str, run: Run) -> None:
        self.probe(name).add(run)

    def add_poll(self, name: str, poll: Poll) -> None:
        ring = self.pages.get(name)
        if ring is None:
            ring = self.pages[name] = deque(maxlen=POLLS)
        ring.append(poll)

    def last_poll(self, name: str) -> Poll | None:
        ring = self.pages.get(name)
        return ring[-1] if ring else None

    def polls(self, name: str) -> Iterator[Poll]:
        return iter(self.pages.get(name, ()))

    def retain(self, probes: Iterable[str], pages: Iterable[str]) -> None:
        """Keep the rings of these names only (a reload: items kept unchanged)."""
        keep_probes, keep_pages = set(probes), set(pages)
        self.probes = {n: r for n, r in self.probes.items() if n in keep_probes}
        self.pages = {n: r for n, r in self.pages.items() if n in keep_pages}
