"""The board's in-process history: a bounded ring per probe and per status page.

Each probe keeps its last `RUNS` runs (the history strip, the short windows) and one
success/total count per minute for the last `MINUTES` minutes (the long windows); each page
keeps its last `POLLS` polls. Memory is bounded by the number of configured items: about
43 KB per probe and 14 KB per page (docs/board.md). They are appended to on the event loop;
the board copies them there (`History.copy()`) and renders the copy in a thread.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from exporter.models import ComponentStatus, Outcome, PageSnapshot, ProbeResult

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
    """Success and total counts per minute for the last `size` minutes, in three arrays."""

    def __init__(self, size: int = MINUTES, bucket: float = BUCKET) -> None:
        self.size = size
        self.bucket = bucket
        self._minute = array("q", [-1]) * size
        self._total = array("I", [0]) * size
        self._ok = array("I", [0]) * size

    def copy(self) -> Minutes:
        other = Minutes(self.size, self.bucket)
        other._minute, other._total, other._ok = self._minute[:], self._total[:], self._ok[:]
        return other

    def add(self, at: float, success: bool) -> None:
        minute = int(at // self.bucket)
        i = minute % self.size
        if self._minute[i] != minute:
            self._minute[i], self._total[i], self._ok[i] = minute, 0, 0
        self._total[i] += 1
        self._ok[i] += success

    def counts(self, now: float, seconds: float) -> tuple[int, int]:
        """(successes, runs) in the minutes that overlap the last `seconds` before `now`."""
        last = int(now // self.bucket)
        first = max(last - self.size + 1, int((now - seconds) // self.bucket))
        ok = total = 0
        for minute, n_ok, n in zip(self._minute, self._ok, self._total, strict=True):
            if first <= minute <= last:  # each bucket holds one minute: its latest
                ok += n_ok
                total += n
        return ok, total


class ProbeHistory:
    def __init__(self) -> None:
        self.runs: deque[Run] = deque(maxlen=RUNS)
        self.minutes = Minutes()

    def copy(self) -> ProbeHistory:
        other = ProbeHistory()
        other.runs.extend(self.runs)
        other.minutes = self.minutes.copy()
        return other

    def add(self, run: Run) -> None:
        self.runs.append(run)
        self.minutes.add(run.at, run.success)

    def window(self, now: float, seconds: float) -> list[Run]:
        return [r for r in self.runs if now - seconds < r.at <= now]

    def success(self, now: float, seconds: float) -> tuple[int, int]:
        """(successes, runs) over the last `seconds`: exact from the runs while they cover
        the window, else from the per-minute counts."""
        runs = self.runs
        if runs and (len(runs) < RUNS or runs[0].at <= now - seconds):
            window = self.window(now, seconds)
            return sum(r.success for r in window), len(window)
        return self.minutes.counts(now, seconds)


class History:
    """Name -> ring, for the configured probes and pages."""

    def __init__(self) -> None:
        self.probes: dict[str, ProbeHistory] = {}
        self.pages: dict[str, deque[Poll]] = {}

    def copy(self) -> History:
        """A copy that later appends do not change, to read off the event loop."""
        other = History()
        other.probes = {n: r.copy() for n, r in self.probes.items()}
        other.pages = {n: deque(r, maxlen=POLLS) for n, r in self.pages.items()}
        return other

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
