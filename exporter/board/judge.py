"""Measured success over windows, and divergence judged locally as the rule judges it.

`StatusprobeStatusPageDivergence` (exporter/rules/divergence.py) fires for a probe when,
in some region, over the rules' short window: the failures that say something about the
provider (every outcome but success and `divergence_ignored_outcomes`) are above
`divergence_failure_ratio` of the runs, at least `divergence_min_failures`, and spread over
at least `divergence_min_span` from the first to the last; and the status page has not
admitted trouble with what the probe measures at any moment of that window (`Poll.admits`:
the component not operational, or an open incident naming it; for a whole-page probe the
indicator or any incident). A page that cannot be polled, or whose last good snapshot is
older than its `stale_after`, admits nothing. The board is one region: it applies the same
parameters (the rules' defaults) to this exporter's recent runs and polls. The alert then
waits `divergence_for`; the board does not wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exporter.durations import parse_duration
from exporter.history import Poll, Run
from exporter.models import Outcome
from exporter.rules import Params

DEFAULTS = Params()
DIVERGENCE_WINDOW = parse_duration(DEFAULTS.short_window)
MIN_SPAN = parse_duration(DEFAULTS.divergence_min_span)


def ignored_outcomes(params: Params = DEFAULTS) -> frozenset[Outcome]:
    return frozenset(Outcome(o) for o in params.divergence_ignored_outcomes.split("|") if o)


IGNORED = ignored_outcomes()


@dataclass(frozen=True, slots=True)
class Verdict:
    """The failure side of the divergence condition over one window."""

    runs: int
    counted: int  # failures that count (not success, not an ignored outcome)
    span: float  # seconds from the first counted failure to the last
    min_span: float = MIN_SPAN

    @property
    def ratio(self) -> float:
        return self.counted / self.runs if self.runs else 0.0

    @property
    def failing(self) -> bool:
        return (
            self.ratio > DEFAULTS.divergence_failure_ratio
            and self.counted >= DEFAULTS.divergence_min_failures
            and self.span >= self.min_span
        )


def failures(runs: Sequence[Run], min_span: float = MIN_SPAN) -> Verdict:
    counted = [r.at for r in runs if not r.success and r.outcome not in IGNORED]
    span = max(counted) - min(counted) if counted else 0.0
    return Verdict(len(runs), len(counted), span, min_span)


def admitted(
    polls: Sequence[Poll], component: str | None, now: float, window: float, stale_after: float
) -> bool:
    """Whether the page, as the metrics mirrored it, admitted trouble with `component` at
    any moment of the last `window`: a successful poll shows until the next successful one,
    or until it is older than `stale_after`."""
    good = [p for p in polls if p.up]
    for i, poll in enumerate(good):
        until = min(good[i + 1].at if i + 1 < len(good) else now, poll.at + stale_after)
        if until > now - window and poll.admits(component):
            return True
    return False
