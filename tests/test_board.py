"""The status board's pure parts: the bounded history, the local divergence judgement and
the HTML's honest empty states. Chromium renders it in test_landing_chromium.py."""

from __future__ import annotations

from typing import Any

from exporter.board import html, view
from exporter.board.judge import admitted, failures
from exporter.config import parse_config
from exporter.history import MINUTES, POLLS, RUNS, History, Minutes, Poll, Run
from exporter.models import (
    Component,
    ComponentStatus,
    Impact,
    Incident,
    Indicator,
    Outcome,
    PageSnapshot,
    PollError,
    ProbeResult,
)
from exporter.state import State

NOW = 1_776_160_000.0
OK = ProbeResult(Outcome.SUCCESS, 0.1, status_code=200)
OVERLOADED = ProbeResult(Outcome.OVERLOADED, 0.2, status_code=529, request_id="req_1")


def _config(probes: int = 1, page: bool = True) -> dict[str, Any]:
    return {
        "status_pages": [{"name": "acme", "url": "https://status.acme.test"}] if page else [],
        "probes": [
            {
                "name": f"acme-api-{i}",
                "type": "http",
                "url": "https://api.acme.test/v1",
                "page": "acme",
                "component": "API",
            }
            for i in range(probes)
        ],
    }


def _snapshot(
    status: ComponentStatus = ComponentStatus.OPERATIONAL, incidents: int = 0
) -> PageSnapshot:
    return PageSnapshot(
        Indicator.NONE
        if status is ComponentStatus.OPERATIONAL and not incidents
        else Indicator.MINOR,
        "All Systems Operational",
        components=(Component("c1", "API", status),),
        incidents=tuple(
            Incident(f"inc{i}", "Elevated errors", "investigating", Impact.MINOR, NOW - 60, ("c1",))
            for i in range(incidents)
        ),
    )


def Impact_minor() -> Any:
    from exporter.models import Impact

    return Impact.MINOR


def _render(state: State, *, ready: bool = True, **options: Any) -> str:
    board = view.build(
        state.snapshot(),
        state.history,
        version="test",
        ready=ready,
        reload_error="",
        now=NOW,
        options=view.Options(**options),
    )
    return html.render(board)


def test_the_rings_are_bounded() -> None:
    history = History()
    for k in range(RUNS * 3):
        history.add_run("p", Run(NOW - RUNS * 3 + k, Outcome.SUCCESS))
        history.add_poll("page", Poll(NOW - RUNS * 3 + k, up=True, indicator="none"))
    assert len(history.probe("p").runs) == RUNS
    assert len(list(history.polls("page"))) == POLLS
    minutes = Minutes(size=10)
    for k in range(100):
        minutes.add(k * 60.0, success=k % 2 == 0)
    assert minutes.counts(99 * 60.0, 10 * 60.0) == (5, 10)  # only the last 10 minutes kept
    assert MINUTES * 60 == 86400  # the 24h window is exact


def test_windows_beyond_the_runs_come_from_the_minutes() -> None:
    history = History()
    for k in range(600):  # one run a minute for ten hours: 1 failure in 10
        outcome = Outcome.TIMEOUT if k % 10 == 0 else Outcome.SUCCESS
        history.add_run("p", Run(NOW - 600 * 60 + (k + 1) * 60, outcome))
    ring = history.probe("p")
    assert ring.success(NOW, 300) == (5, 5)  # exact, from the runs
    ok, total = ring.success(NOW, 86400)
    assert (ok, total) == (540, 600)


def test_history_survives_a_reload_for_unchanged_items_only() -> None:
    state = State()
    state.apply_config(parse_config(_config(probes=2)))
    for name in ("acme-api-0", "acme-api-1"):
        state.record_probe(name, OK, now=NOW)
    state.record_page_success("acme", _snapshot(), now=NOW)
    changed = _config(probes=2)
    changed["probes"][1]["url"] = "https://api.acme.test/v2"
    state.apply_config(parse_config(changed))
    assert len(state.history.probe("acme-api-0").runs) == 1
    assert len(state.history.probe("acme-api-1").runs) == 0  # its config changed
    assert len(list(state.history.polls("acme"))) == 1
    state.apply_config(parse_config(_config(probes=0)))
    assert "acme-api-0" not in state.history.probes


def test_divergence_is_the_rules_condition() -> None:
    def runs(*outcomes: Outcome, every: float = 30.0) -> list[Run]:
        return [Run(NOW - every * k, o) for k, o in enumerate(outcomes)]

    f, ok = Outcome.OVERLOADED, Outcome.SUCCESS
    spread = runs(f, ok, ok, ok, f, ok, ok, ok, ok, ok)  # 2 of 10 over 2m
    assert failures(spread).counted == 2 and failures(spread).span == 120.0
    assert failures(spread).failing
    burst = runs(f, f, f, *[ok] * 7, every=10.0)  # 3 of 10 within 20s: a burst
    assert not failures(burst).failing
    one = runs(f, ok)  # 50%, but a single failed run
    assert not failures(one).failing
    few = runs(f, *[ok] * 3, f, *[ok] * 4)  # 2 of 9 = 22%: failing; of 18 (11%): not
    assert failures(few).failing and not failures(few + runs(*[ok] * 9, every=1)).failing
    ignored = runs(Outcome.RATE_LIMITED, ok, ok, ok, Outcome.CLIENT_ERROR)
    assert not failures(ignored).failing


def test_the_page_admits_trouble_with_the_component_as_the_rule_reads_it() -> None:
    listed = frozenset({"API", "Web"})

    def poll(at: float, **kw: Any) -> Poll:
        return Poll(NOW - at, True, kw.pop("indicator", "none"), listed=listed, **kw)

    minor = {"indicator": "minor", "incidents": 1}
    assert poll(0, degraded=(("API", "partial_outage"),)).admits("API")
    assert poll(0, degraded=(("API", "under_maintenance"),)).admits("API")
    assert poll(0, named=frozenset({"API"}), **minor).admits("API")
    # an incident about another component does not admit trouble with this one...
    assert not poll(0, named=frozenset({"Web"}), **minor).admits("API")
    # ...but does for a whole-page probe, or a component the page does not list
    assert poll(0, named=frozenset({"Web"}), **minor).admits(None)
    assert poll(0, **minor).admits("Unlisted")
    assert not Poll(NOW, up=False, error="timeout: 10s").admits(None)
    # admitted at any moment of the window keeps it admitted
    polls = [poll(200, degraded=(("API", "major_outage"),)), poll(100)]
    assert admitted(polls, "API", NOW, 300, 600)
    assert not admitted(polls, "API", NOW, 90, 600)
    # a snapshot older than stale_after admits nothing any more
    assert not admitted([poll(400, named=frozenset({"API"}), **minor)], "API", NOW, 300, 60)


def test_the_badge_comes_and_goes_with_the_page() -> None:
    state = State()
    state.apply_config(parse_config(_config()))
    state.record_page_success("acme", _snapshot(), now=NOW - 200)
    for at, result in ((-150, OVERLOADED), (-90, OK), (-10, OVERLOADED)):
        state.record_probe("acme-api-0", result, now=NOW + at)
    page = _render(state)
    assert (
        "DIVERGENCE" in page
        and "2 of 3 runs failed in the last 5m (67%, spread over 2m20s)" in page
    )
    assert "admitted no trouble with “API”" in page
    assert "req_1" in page  # the provider's request id of the last failures
    state.record_page_success("acme", _snapshot(ComponentStatus.PARTIAL_OUTAGE, 1), now=NOW)
    page = _render(state)
    assert "DIVERGENCE" not in page and "acknowledged" in page
    assert "https://status.acme.test/incidents/inc0" in page and "▲ partial outage" in page


def test_a_page_that_cannot_be_polled_admits_nothing() -> None:
    state = State()
    state.apply_config(parse_config(_config()))
    for at in (-150, -10):
        state.record_probe("acme-api-0", OVERLOADED, now=NOW + at)
    state.record_page_failure("acme", PollError.TIMEOUT, "no answer in 10s")
    page = _render(state)
    assert "DIVERGENCE" in page and "the status page cannot be polled" in page


def test_honest_empty_states() -> None:
    state = State()
    state.apply_config(parse_config(_config()))
    page = _render(state, ready=False)
    assert "not polled yet" in page and "not run yet" in page
    assert "waiting for the first poll of page acme, the first run of probe acme-api-0" in page
    state.record_page_failure("acme", PollError.HTTP_ERROR, "HTTP 503")
    page = _render(state)
    assert "status page unreachable since" in page and "never polled successfully" in page
    assert "Unknown: the page was never polled successfully." in page  # not "None open"
    assert "but every status page failed its last poll" in page
    bare = State()
    bare.apply_config(parse_config(_config(probes=0)))
    page = _render(bare)
    assert "No probes configured." in page and "docs/configuration.md" in page
    assert "No probe measures this upstream" in page


def test_names_and_texts_are_escaped() -> None:
    config = _config()
    config["probes"][0]["component"] = "<script>alert(1)</script>"  # names are validated
    state = State()
    state.apply_config(parse_config(config))
    state.record_probe(
        "acme-api-0",
        ProbeResult(Outcome.SERVER_ERROR, 0.1, 500, request_id="<img src=x onerror=alert(1)>"),
        now=NOW,
    )
    page = _render(state)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_demo_banner_and_story_time() -> None:
    state = State()
    state.apply_config(parse_config(_config()))
    page = _render(state, time_scale=10.0, banner=lambda: "Demo, phase 2 of 5: spikes")
    assert "Demo, phase 2 of 5: spikes" in page
    assert "<b>30s</b>" in page and "<b>6m</b>" in page  # 5m and 1h in story time


def test_a_keyless_probe_says_so_where_the_config_knows() -> None:
    state = State()
    config = parse_config(_config())
    state.apply_config(config)
    page = _render(state)
    # http probes without credentials are keyless where the config model has the flag
    # (the status API's `keyless`); the board shows exactly what the config says.
    keyless = bool(getattr(config.probes[0], "keyless", False))
    assert ("keyless</span>" in page) == keyless
