"""A scenario's timeline (pure): phases with durations, each setting what the status page says
and how the LLM API behaves from each region.

A region's behaviour is a `Pattern`: a string of letters, one per request, cycled. Each
letter is one reply of the simulated Anthropic API (`LETTERS`):

    S  success: a streamed answer          A  401 authentication_error
    O  529 overloaded_error                E  500 api_error
    R  429 rate_limit_error                M  an overloaded_error event mid-stream
    T  a stall: one token, then silence until the client gives up

so `"AOSAO"` fails four requests in five (two 401s, two 529s) in a fixed order, which
keeps short rate() windows predictable. Durations are in seconds of the default profile;
`Timeline.scaled(1 / COMPRESSION)` plays the same story for the compressed rules profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from exporter.scenarios.replies import Reply

LETTERS: Mapping[str, Reply] = MappingProxyType(
    {
        "S": Reply(),
        "A": Reply(status=401, message="invalid x-api-key"),
        "O": Reply(status=529),
        "E": Reply(status=500),
        "R": Reply(status=429),
        "M": Reply(error_after=1),
        "T": Reply(stall_after=1),
    }
)


@dataclass(frozen=True)
class Pattern:
    """The replies of one region, one letter per request, repeated."""

    letters: str = "S"

    def __post_init__(self) -> None:
        unknown = sorted(set(self.letters) - set(LETTERS))
        if not self.letters or unknown:
            raise ValueError(
                f"pattern {self.letters!r}: use letters of {''.join(LETTERS)}"
                + (f", not {''.join(unknown)}" if unknown else "")
            )

    def letter(self, n: int) -> str:
        """The letter of the `n`th request (from 0) in this pattern."""
        return self.letters[n % len(self.letters)]

    @property
    def failure_ratio(self) -> float:
        return sum(c != "S" for c in self.letters) / len(self.letters)


HEALTHY = Pattern("S")


@dataclass(frozen=True)
class Incident:
    """An unresolved incident on the status page."""

    id: str
    name: str
    status: str = "investigating"  # investigating | identified | monitoring
    impact: str = "minor"  # none | minor | major | critical
    components: tuple[str, ...] = ()  # names of affected components
    update: str = "We are currently investigating this issue."


@dataclass(frozen=True)
class PageState:
    """What the status page says: indicator, component statuses, open incidents."""

    indicator: str = "none"  # none | minor | major | critical | maintenance
    description: str = "All Systems Operational"
    # Component name -> status; components not named are operational.
    components: Mapping[str, str] = field(default_factory=dict)
    incidents: tuple[Incident, ...] = ()

    def status_of(self, component: str) -> str:
        return self.components.get(component, "operational")


OPERATIONAL = PageState()


@dataclass(frozen=True)
class Phase:
    """One stretch of the story: a page state and per-region API behaviour."""

    name: str
    duration: float  # seconds
    page: PageState = OPERATIONAL
    regions: Mapping[str, Pattern] = field(default_factory=dict)  # region -> pattern
    default: Pattern = HEALTHY  # regions not named, and requests without a region
    summary: str = ""  # one line for people: what happens

    def pattern(self, region: str | None) -> Pattern:
        return self.regions.get(region, self.default) if region else self.default

    @property
    def failing(self) -> bool:
        """True when some region's API fails in this phase."""
        return any(p.failure_ratio > 0 for p in (self.default, *self.regions.values()))


@dataclass(frozen=True)
class Timeline:
    """Phases played one after the other; after the last, the last phase holds."""

    phases: tuple[Phase, ...]

    def __post_init__(self) -> None:
        if not self.phases:
            raise ValueError("a timeline needs at least one phase")
        names = [p.name for p in self.phases]
        if len(set(names)) != len(names):
            raise ValueError(f"phase names must be unique: {names}")
        if any(p.duration <= 0 for p in self.phases):
            raise ValueError("every phase needs a positive duration")

    @property
    def duration(self) -> float:
        return sum(p.duration for p in self.phases)

    def starts(self) -> dict[str, float]:
        """Each phase's start, in seconds from the timeline's start."""
        out, t = {}, 0.0
        for phase in self.phases:
            out[phase.name] = t
            t += phase.duration
        return out

    def at(self, elapsed: float) -> Phase:
        """The phase playing `elapsed` seconds after the start (the first before it)."""
        t = 0.0
        for phase in self.phases:
            t += phase.duration
            if elapsed < t:
                return phase
        return self.phases[-1]

    def phase(self, name: str) -> Phase:
        for phase in self.phases:
            if phase.name == name:
                return phase
        raise KeyError(name)

    def scaled(self, factor: float) -> Timeline:
        """The same story with every duration multiplied by `factor`."""
        return Timeline(tuple(replace(p, duration=p.duration * factor) for p in self.phases))

    @property
    def onset(self) -> float | None:
        """When the first failing phase starts, in seconds from the start; None if never."""
        starts = self.starts()
        return next((starts[p.name] for p in self.phases if p.failing), None)
