"""Detection latency: computed from the rule durations for the default and the compressed
profile, measured in the compressed run; as tables for the test output and
docs/end-to-end.md.

A computed range starts at the model's time (model.py: the rules alone) and adds what a
real deployment may add: waiting for the next status-page poll (for what the page says),
a scrape and two rule evaluations (to see the change, and to see `for:` elapse), and
Alertmanager's batching: `group_wait` for an alert that opens its notification group, up
to `group_interval` for one that joins an open group and for every resolution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from exporter.rules import COMPRESSION, Params, for_profile
from exporter.scenarios import april_2026
from tests.e2e.model import Expected, expectations
from tests.e2e.routing import load_example, timing
from tests.e2e.scenario import SCALE, Run
from tests.e2e.stack import Cadence

# The default profile's cadence: probes every 30s (what it is calibrated for), the
# status page polled every 60s, Prometheus scraping and evaluating every 30s.
DEFAULT_CADENCE = Cadence(probe=30.0, page=60.0, scrape=30.0, evaluation=30.0)


@dataclass(frozen=True)
class Computed:
    expected: Expected
    fires: tuple[float, float] | None  # Prometheus fires the alert
    notified: tuple[float, float] | None  # the notification arrives
    resolves: tuple[float, float] | None
    resolved_notified: tuple[float, float] | None


@dataclass(frozen=True)
class Measured:
    alert: str
    fired: float | None  # Prometheus fired it (the alert's startsAt), after the reference
    notified: float | None  # the first firing notification arrived, after the reference
    resolved: float | None  # the first resolved notification arrived, after its reference


def compute(compressed: bool, routing: dict[str, Any] | None = None) -> list[Computed]:
    """The ranges for one profile; `routing` defaults to the shipped Alertmanager config."""
    routing = routing or load_example()
    if compressed:
        cadence = Cadence()
        expected = expectations(april_2026(SCALE), for_profile("compressed"), cadence.probe)
    else:
        cadence = DEFAULT_CADENCE
        expected = expectations(april_2026(), Params(), cadence.probe)
    return [_ranges(e, cadence, routing) for e in expected]


def _ranges(e: Expected, cadence: Cadence, routing: dict[str, Any]) -> Computed:
    spec = e.spec
    wait = timing(routing, "group_wait", spec.receiver)
    interval = timing(routing, "group_interval", spec.receiver)
    seen = cadence.scrape + cadence.evaluation
    fires = resolves = notified = resolved_notified = None
    if e.fires is not None:
        late = (cadence.page if spec.fires_on_poll else 0) + seen + cadence.evaluation
        fires = (e.fires, e.fires + late)
        if spec.opens_group:
            notified = (fires[0] + wait, fires[1] + wait)
        else:
            notified = (fires[0], fires[1] + interval)
    if e.resolves is not None:
        late = (cadence.page if spec.resolves_on_poll else 0) + seen
        resolves = (e.resolves, e.resolves + late)
        resolved_notified = (resolves[0], resolves[1] + interval)
    return Computed(e, fires, notified, resolves, resolved_notified)


def reference(run: Run, phase: str) -> float:
    """Wall-clock start of a reference: the first failure served for "spikes", else the
    phase's start."""
    return run.onset if phase == "spikes" else run.phases[phase]


def measure(run: Run, expected: Expected) -> Measured:
    spec = expected.spec
    alerts = [a for a in run.alerts() if a.alertname == spec.alert]
    start = reference(run, spec.reference)
    firing = [a for a in alerts if a.status == "firing" and a.starts_at >= start - 1]
    first = min(firing, key=lambda a: a.at, default=None)
    after = reference(run, spec.resolves_after)
    resolved = [a for a in alerts if a.status == "resolved" and a.at >= after]
    last = min(resolved, key=lambda a: a.at, default=None)
    return Measured(
        spec.alert,
        None if first is None else first.starts_at - start,
        None if first is None else first.at - start,
        None if last is None else last.at - after,
    )


def tables(run: Run) -> str:
    """The report: firing, then resolution, then the first notification per receiver."""
    default = {c.expected.alert: c for c in compute(False)}
    firing_rows, resolving_rows = [], []
    for c in compute(True, run.routing):
        spec, m, d = c.expected.spec, measure(run, c.expected), default[c.expected.alert]
        name = spec.alert.removeprefix("Statusprobe")
        firing_rows.append(
            (
                name,
                spec.receiver,
                _from(spec.reference),
                _minutes(d.fires),
                _minutes(d.notified),
                _seconds(c.fires),
                _seconds(m.fired),
                _seconds(m.notified),
                _minutes(None if m.notified is None else m.notified * COMPRESSION),
            )
        )
        resolving_rows.append(
            (
                name,
                _from(spec.resolves_after),
                _minutes(d.resolves),
                _minutes(d.resolved_notified),
                _seconds(c.resolves),
                _seconds(m.resolved),
            )
        )
    firing_head = (
        "alert",
        "receiver",
        "from",
        "default: fires",
        "default: notified",
        "compressed: fires",
        "measured: fired",
        "notified",
        "notified x60",
    )
    resolving_head = (
        "resolved",
        "from",
        "default: resolves",
        "default: notified",
        "compressed: resolves",
        "measured: notified",
    )
    return "\n\n".join(
        [
            _render(firing_head, firing_rows),
            _render(resolving_head, resolving_rows),
            first_notifications(run),
        ]
    )


def first_notifications(run: Run) -> str:
    """Which alert reached each receiver first, and when (after the first failure)."""
    lines = []
    for receiver in ("pager", "ticket", "chat"):
        first = next((a for a in run.alerts() if a.receiver == receiver), None)
        if first is not None:
            lines.append(
                f"first {receiver} notification: {first.alertname} "
                f"{first.at - run.onset:.1f}s after the first failure"
            )
    return "\n".join(lines)


def _from(phase: str) -> str:
    return "first failure" if phase == "spikes" else phase


def _seconds(value: float | tuple[float, float] | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, tuple):
        return f"{value[0]:.1f}-{value[1]:.1f}s"
    return f"{value:.1f}s"


def _minutes(value: float | tuple[float, float] | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, tuple):
        return f"{_clock(value[0])}-{_clock(value[1])}"
    return _clock(value)


def _clock(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m}m{s:02d}s"


def _render(head: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in (head, *rows)]
    return "\n".join(line.rstrip() for line in lines)
