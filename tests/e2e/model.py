"""Detection latency computed from the rule durations (pure): when should each alert fire
and resolve in the April story, for a given rules profile and probe cadence?

The model replays the story's probe runs (every region runs at the same instants, every
`probe_interval`, with the phase's pattern letter; before the story, a full window of
successes) and evaluates each alert's condition, as the rules pack writes it, right after
every run: ratios over the short window, counted failures, the status page's state. An
alert fires `for` after its condition starts holding and resolves when it stops. What the
model leaves out, and the measured numbers include: the delay until the exporter polls the
page, Prometheus scrapes and evaluates (up to one interval each), and Alertmanager's
batching (`group_wait` for an alert that opens a notification group, else up to
`group_interval`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from exporter.durations import parse_duration
from exporter.rules import Params
from exporter.scenarios import API_COMPONENT, FAILING_REGION, REGIONS, Phase, Timeline

# Failures that count for divergence: every letter but S (success) and R (a 429, which
# `divergence_ignored_outcomes` leaves out). The other ratios count every letter but S.
COUNTED = frozenset("AOETM")


@dataclass(frozen=True)
class Run:
    at: float  # seconds from the story's start
    region: str
    letter: str


@dataclass(frozen=True)
class Spec:
    """An alert the end-to-end test asserts, and how its latency is measured."""

    alert: str
    receiver: str  # where the shipped routing sends it
    condition: str  # the `Story` method that says when its expression has a result
    for_param: str  # the `Params` field of its `for:`
    reference: str  # the phase its firing is measured from ("spikes": the first failure)
    resolves_after: str  # the phase its resolution is measured from
    fires_on_poll: bool  # what makes it fire is on the status page: it waits for a poll
    resolves_on_poll: bool  # likewise for what resolves it
    opens_group: bool  # the first alert of its notification group in the story


SPECS = (
    Spec(
        "StatusprobeStatusPageDivergence",
        "pager",
        "divergence",
        "divergence_for",
        "spikes",
        "incident",
        fires_on_poll=False,
        resolves_on_poll=True,
        opens_group=True,
    ),
    Spec(
        "StatusprobeUpstreamErrorsLocalized",
        "ticket",
        "localized",
        "localized_for",
        "spikes",
        "monitoring",
        fires_on_poll=False,
        resolves_on_poll=False,
        opens_group=True,
    ),
    Spec(
        "StatusprobeStatusPageDivergenceAcknowledged",
        "chat",
        "acknowledged",
        "divergence_acknowledged_for",
        "incident",
        "monitoring",
        fires_on_poll=True,
        resolves_on_poll=False,
        opens_group=True,
    ),
    Spec(
        "StatusprobeStatusPageIncident",
        "ticket",
        "incident",
        "status_page_for",
        "incident",
        "resolved",
        fires_on_poll=True,
        resolves_on_poll=True,
        opens_group=False,
    ),
    Spec(
        "StatusprobeStatusPageComponentDegraded",
        "ticket",
        "component_degraded",
        "status_page_for",
        "incident",
        "monitoring",
        fires_on_poll=True,
        resolves_on_poll=True,
        opens_group=False,
    ),
)


@dataclass(frozen=True)
class Expected:
    """When an alert fires and resolves by the rules alone, in seconds after its references
    (None: not in the story)."""

    spec: Spec
    fires: float | None
    resolves: float | None

    @property
    def alert(self) -> str:
        return self.spec.alert


def runs(timeline: Timeline, probe_interval: float, window: float) -> list[Run]:
    """Every region's runs, from one full window before the story to its end."""
    out = []
    counters: dict[tuple[str, str], int] = {}
    t = -window
    while t < timeline.duration:
        phase = timeline.at(t)
        for region in REGIONS:
            n = counters.get((phase.name, region), 0) if t >= 0 else 0
            if t >= 0:
                counters[(phase.name, region)] = n + 1
            out.append(Run(t, region, phase.pattern(region).letter(n) if t >= 0 else "S"))
        t = round(t + probe_interval, 6)
    return out


class Story:
    """The story's runs and page states, and the rules' conditions over them."""

    def __init__(self, timeline: Timeline, params: Params, probe_interval: float) -> None:
        self.timeline = timeline
        self.params = params
        self.window = parse_duration(params.window(params.short_window))
        self.runs = runs(timeline, probe_interval, self.window)
        self.times = sorted({r.at for r in self.runs if r.at >= 0})

    def _window(self, t: float, region: str | None = None) -> list[Run]:
        return [
            r
            for r in self.runs
            if t - self.window < r.at <= t and (region is None or r.region == region)
        ]

    def _ratio(self, t: float, region: str | None = None) -> float:
        runs = self._window(t, region)
        return sum(r.letter != "S" for r in runs) / len(runs)

    def _span(self, t: float, region: str) -> float:
        """How long the region's counted failures have lasted, as the recorded span: from
        the first to the last failed run within the window (the rules see each one at the
        evaluation after the scrape that carries it)."""
        failures = [
            r.at
            for r in self.runs
            if r.region == region and r.letter in COUNTED and t - self.window < r.at <= t
        ]
        return max(failures) - min(failures) if failures else 0.0

    def _region_failing(self, t: float, region: str) -> bool:
        runs = self._window(t, region)
        counted = sum(r.letter in COUNTED for r in runs)
        p = self.params
        return (
            counted / len(runs) > p.divergence_failure_ratio
            and counted >= p.divergence_min_failures
            and self._span(t, region) >= parse_duration(p.window(p.divergence_min_span))
        )

    def _failing(self, t: float) -> bool:
        """Divergence's failure condition, judged per region: one failing region is enough."""
        return any(self._region_failing(t, region) for region in REGIONS)

    def _page(self, t: float) -> Phase:
        return self.timeline.at(t)

    def _admits_now(self, t: float) -> bool:
        """The page admits trouble with the API component: not operational, or an open
        incident names it."""
        page = self._page(t).page
        named = any(API_COMPONENT in incident.components for incident in page.incidents)
        return page.status_of(API_COMPONENT) != "operational" or named

    def _admits(self, t: float) -> bool:
        """... now or within the window (the rules' max_over_time over the admission)."""
        starts = [s for s in self.timeline.starts().values() if t - self.window < s <= t]
        return any(self._admits_now(x) for x in [t, *starts, max(t - self.window, 0.0)])

    def divergence(self, t: float) -> bool:
        return self._failing(t) and not self._admits(t)

    def acknowledged(self, t: float) -> bool:
        return self._failing(t) and self._admits(t)

    def localized(self, t: float) -> bool:
        p = self.params
        failing = self._ratio(t, FAILING_REGION) >= p.localized_failing_ratio and self._span(
            t, FAILING_REGION
        ) >= parse_duration(p.window(p.divergence_min_span))
        others = [r for r in REGIONS if r != FAILING_REGION]
        return failing and any(self._ratio(t, r) <= p.localized_healthy_ratio for r in others)

    def incident(self, t: float) -> bool:
        return bool(self._page(t).page.incidents)

    def component_degraded(self, t: float) -> bool:
        return self._page(t).page.status_of(API_COMPONENT) != "operational"

    def expect(self, spec: Spec) -> Expected:
        """When the condition first holds for the alert's `for:` after the reference phase
        starts, and when it next stops holding after `resolves_after` starts."""
        condition: Callable[[float], bool] = getattr(self, spec.condition)
        starts = self.timeline.starts()
        hold = parse_duration(self.params.window(getattr(self.params, spec.for_param)))
        since: float | None = None
        fired: float | None = None
        resolved: float | None = None
        for t in sorted(set(self.times) | set(starts.values())):
            if t < starts[spec.reference]:
                continue
            if fired is None:
                since = (since if since is not None else t) if condition(t) else None
                if since is not None and t - since >= hold:
                    fired = since + hold
            elif t >= starts[spec.resolves_after] and not condition(t):
                resolved = t
                break
        return Expected(
            spec,
            None if fired is None else round(fired - starts[spec.reference], 3),
            None if resolved is None else round(resolved - starts[spec.resolves_after], 3),
        )


def expectations(timeline: Timeline, params: Params, probe_interval: float) -> list[Expected]:
    """The alerts the end-to-end test asserts, computed for `params`' profile."""
    story = Story(timeline, params, probe_interval)
    return [story.expect(spec) for spec in SPECS]
