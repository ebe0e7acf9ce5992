"""Measured success over windows, and divergence judged locally as the rule judges it.

`StatusprobeStatusPageDivergence` (exporter/rules/divergence.py) fires when, over the
rules' short window, a probe's failures that say something about the provider (every
outcome but success and `divergence_ignored_outcomes`) are above `divergence_failure_ratio`
of its runs and at least `divergence_min_failures`, while the status page shows its
component operational (the page indicator `none` for a probe without a component) and has
no open incident. `diverging()` applies the same parameters (the rules' defaults) to the
probe's recent runs; the alert then waits `divergence_for` before it fires, the board does
not wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exporter.board.history import Run
from exporter.durations import parse_duration
from exporter.models import Outcome
from exporter.rules import Params

DEFAULTS = Params()
DIVERGENCE_WINDOW = parse_duration(DEFAULTS.short_window)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The failure side of the divergence condition over one window."""

    runs: int
    counted: int  # failures that count (not success, not an ignored outcome)

    @property
    def ratio(self) -> float:
        return self.counted / self.runs if self.runs else 0.0

    @property
    def failing(self) -> bool:
        return (
            self.ratio > DEFAULTS.divergence_failure_ratio
            and self.counted >= DEFAULTS.divergence_min_failures
        )


def ignored_outcomes(params: Params = DEFAULTS) -> frozenset[Outcome]:
    return frozenset(Outcome(o) for o in params.divergence_ignored_outcomes.split("|") if o)


IGNORED = ignored_outcomes()


def failures(runs: Sequence[Run]) -> Verdict:
    counted = sum(not r.success and r.outcome not in IGNORED for r in runs)
    return Verdict(len(runs), counted)


def page_admits(official: str | None, incidents: int) -> bool:
    """Whether the page admits a problem: the component (or page) is not operational, or an
    incident is open. `official` None: the page was never polled (it admits nothing)."""
    return incidents > 0 or (official is not None and official != "operational")


def diverging(runs: Sequence[Run], official: str | None, incidents: int) -> bool:
    """Probes fail while the page says operational and has no incident. Needs a page that
    was polled successfully: an unknown page neither confirms nor denies."""
    return official == "operational" and incidents == 0 and failures(runs).failing
