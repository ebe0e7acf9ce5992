"""The native exposition (exporter/exposition/native.py, lines.py) against
prometheus_client: for the same state, the same bytes, in every format it writes itself,
and prometheus_client's own output for every other negotiation.

The reference is prometheus_client's generate_latest (text) and OpenMetrics
generate_latest over the StatusprobeCollector's metric families, i.e. what /metrics
served before the native writer.
"""

from __future__ import annotations

import asyncio
import math
import re
import string
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import choose_encoder
from prometheus_client.openmetrics.exposition import ALLOWUTF8
from prometheus_client.openmetrics.exposition import _escape as om_escape
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from exporter.config import Config, parse_config
from exporter.exposition.collector import page_families
from exporter.exposition.lines import STEP_ENTRIES, STEP_RENDERED, escape, go_count, go_float
from exporter.exposition.native import Exposition, native_format, render_pages
from exporter.http.app import create_app
from exporter.models import (
    PHASES,
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
from exporter.runtime import Runtime
from exporter.sources import statuspage
from exporter.state import PageState, State, StateSnapshot
from tests import test_golden as golden
from tests.upstream import fixture

OPENMETRICS = "application/openmetrics-text;version=1.0.0;escaping=underscores"
T0 = golden.NOW

# What Prometheus sends (scrape/scrape.go), and what else a client may send.
PROMETHEUS_ACCEPTS = {
    "2.0-2.4x": "application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,"
    "*/*;q=0.1",
    "2.42": "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    "2.49+": "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;"
    "version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
    "2.5x utf8": "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
    "application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.4,"
    "text/plain;version=0.0.4;escaping=allow-utf-8;q=0.3,*/*;q=0.2",
    "3.x": "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
    "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;"
    "escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
    "3.x legacy names": "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,"
    "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;"
    "escaping=underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
    "3.x text 0.0.4 only": "text/plain;version=0.0.4;q=0.6,*/*;q=0.5",
    "3.x text 1.0.0 only": "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6,*/*;q=0.5",
}
OTHER_ACCEPTS = {
    "none": "",
    "any": "*/*",
    "openmetrics, no version": "application/openmetrics-text",
    "text 1.0.0 underscores": "text/plain;version=1.0.0;escaping=underscores",
    "text 1.0.0 values": "text/plain;version=1.0.0;escaping=values",
    "text 1.0.0 dots": "text/plain;version=1.0.0;escaping=dots",
    "text 1.0.0 unknown escaping": "text/plain;version=1.0.0;escaping=nonsense",
    "openmetrics dots": "application/openmetrics-text;version=1.0.0;escaping=dots",
    "openmetrics values": "application/openmetrics-text;version=1.0.0;escaping=values",
    "openmetrics 2.0.0": "application/openmetrics-text;version=2.0.0",
    "openmetrics 1.0.0.1": "application/openmetrics-text;version=1.0.0.1",
    "protobuf only": "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
    "encoding=delimited",
}
NATIVE = {
    *PROMETHEUS_ACCEPTS,
    "none",
    "any",
    "openmetrics, no version",
    "text 1.0.0 underscores",
    "text 1.0.0 values",
    "text 1.0.0 unknown escaping",
    "protobuf only",
}
ACCEPTS = PROMETHEUS_ACCEPTS | OTHER_ACCEPTS


def _exposition(
    state: Any, clock: Callable[[], float], others: Collector | None = None
) -> Exposition:
    """An exposition of `state` (and `others`, by default nothing else)."""
    return Exposition(state, others or CollectorRegistry(), clock=clock)


def _reference(registry: Collector, accept: str) -> tuple[bytes, str]:
    """What prometheus_client alone serves for `accept`: the path /metrics had before."""
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type


def _assert_same(exposition: Exposition, accept: str = "") -> bytes:
    expected = _reference(exposition.registry, accept)
    assert exposition.render(accept) == expected
    return expected[0]


def _both_formats(exposition: Exposition) -> None:
    registry = exposition.registry
    assert exposition.render("")[0] == generate_latest(registry)
    assert exposition.render(OPENMETRICS)[0] == generate_openmetrics(registry)


# --- the formatting primitives -----------------------------------------------------------


@given(st.floats() | st.integers(-(2**60), 2**60).map(float))
def test_go_float_is_prometheus_clients_float_to_go_string(value: float) -> None:
    assert go_float(value) == floatToGoString(value)


@pytest.mark.parametrize("value", [0.0, -0.0, 1.0, -1.0, 4095.0, 4096.0, 1e6, 1.777e9, 1e-7])
def test_go_float_edges(value: float) -> None:
    assert go_float(value) == floatToGoString(value)


@given(st.integers(0, 2**62))
def test_go_count_is_float_to_go_string_of_the_count(count: int) -> None:
    assert go_count(count) == floatToGoString(count)


@given(st.text())
def test_escape_is_prometheus_clients_label_value_escape(value: str) -> None:
    assert escape(value) == om_escape(value, ALLOWUTF8, lambda _b, _i: False)


# --- every golden state ------------------------------------------------------------------


def _golden_state(name: str) -> State:
    """The state behind tests/golden/<name>, as tests/test_golden.py builds it."""
    state = State()
    if name.startswith("probe_"):
        state.apply_config(golden.CONFIG)
        for i, result in enumerate(golden.PROBE_RUNS):
            state.record_probe("anthropic-api", result, now=golden.NOW + 30 * i)
        state.record_probe("anthropic-api", golden.PROBE_RUNS[0], now=golden.NOW + 90)
    elif name == "page_failed_after_success.prom":
        state.apply_config(golden.CONFIG)
        snapshot = statuspage.parse(fixture("incident.json"))
        state.record_page_success("anthropic", snapshot, now=golden.NOW)
        state.record_page_failure("anthropic", PollError.RATE_LIMITED, "HTTP 429 Too Many Requests")
    elif (case := name.removeprefix("page_").removesuffix(".prom")) in golden.PLATFORM_CASES:
        provider = case.partition("_")[0]
        page = {"name": provider, "provider": provider, "url": golden.PLATFORM_URLS[provider]}
        state.apply_config(parse_config({"status_pages": [page]}))
        state.record_page_success(provider, golden.PLATFORM_CASES[case](), now=golden.NOW)
    else:
        state.apply_config(golden.CONFIG)
        snapshot = statuspage.parse(fixture(f"{case}.json"))
        state.record_page_success("anthropic", snapshot, now=golden.NOW)
    return state


GOLDEN_FILES = sorted(path.name for path in golden.GOLDEN.glob("*.prom"))


def test_every_golden_file_has_a_state_here() -> None:
    assert len(GOLDEN_FILES) == 6 + len(golden.PLATFORM_CASES)


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_every_golden_state_renders_to_the_same_bytes(name: str) -> None:
    exposition = _exposition(_golden_state(name), clock=lambda: golden.NOW + 60)
    registry = exposition.registry
    text = exposition.render("")[0]
    assert text == generate_latest(registry)
    assert text.decode() == (golden.GOLDEN / name).read_text()
    openmetrics = exposition.render(OPENMETRICS)[0]
    assert openmetrics == generate_openmetrics(registry)
    om_file = golden.GOLDEN / name.replace(".prom", ".openmetrics")
    if om_file.exists():
        assert openmetrics.decode() == om_file.read_text()


# --- random states -----------------------------------------------------------------------

# Label values with everything that needs escaping or could confuse a template.
_TRICKY = st.sampled_from(['"', "\\", "\n", "{", "}", "%", "%s", "{0}", ",", "=", "é", "☃", " "])
# No lone surrogates: both paths fail alike on them (see the test below).
_CHARS = st.characters(exclude_categories=["Cs"])
_LABEL = st.lists(_TRICKY | _CHARS, max_size=8).map("".join) | st.text(
    string.ascii_letters, min_size=115, max_size=125
)  # around MAX_LABEL_LENGTH, to trim
_FLOAT = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [0.0, -0.0, 1.0, 1e-7, 1234567.0, 1.777e9, math.inf, math.nan]
)
_TIME = st.floats(T0 - 1000, T0 + 1000)


@st.composite
def _snapshots(draw: st.DrawFn) -> PageSnapshot:
    components = draw(
        st.lists(
            st.builds(
                Component,
                id=_LABEL,
                name=_LABEL | st.sampled_from(["API", "Web"]),  # duplicates, to dedupe
                status=st.sampled_from(ComponentStatus),
                group=_LABEL | st.just(""),
            ),
            max_size=6,
        )
    )
    incidents = draw(
        st.lists(
            st.builds(
                Incident, id=_LABEL, name=_LABEL, status=_LABEL, impact=st.sampled_from(Impact)
            ),
            max_size=5,
        )
    )
    return PageSnapshot(
        indicator=draw(st.sampled_from(Indicator)),
        components=tuple(components),
        incidents=tuple(incidents),
        updated_at=draw(st.none() | _FLOAT),
        unknown_values=tuple(draw(st.lists(_LABEL, max_size=2))),
        provider=draw(st.sampled_from(["", "incidentio"])),
    )


_RESULTS = st.builds(
    ProbeResult,
    outcome=st.sampled_from(Outcome),
    duration=st.floats(0, 1e4) | st.sampled_from([0.0, 0.05, 60.0, math.inf]),
    status_code=st.integers(0, 999),
    phases=st.lists(st.tuples(st.sampled_from(PHASES) | _LABEL, _FLOAT), max_size=5).map(tuple),
    ttft=st.none() | st.floats(0, 100),
    tls_not_after=st.none() | _FLOAT,
)


def _joins(pages: int) -> st.SearchStrategy[dict[str, str]]:
    """A probe's page (one of the config's) and component (any text), or none."""
    page = st.integers(0, pages - 1).map(lambda i: f"page{i}")
    return st.just({}) | st.fixed_dictionaries({"page": page, "component": _LABEL})


def _config(draw: st.DrawFn, pages: int, probes: int) -> Config:
    return parse_config(
        {
            "status_pages": [
                {
                    "name": f"page{i}",
                    "url": f"https://status{i}.example.test/x?y=1",
                    "provider": draw(st.sampled_from(["statuspage", "auto", "feed"])),
                    "max_components": draw(st.integers(1, 4)),
                    "max_incidents": draw(st.integers(1, 3)),
                }
                for i in range(pages)
            ],
            "probes": [
                {"name": f"probe{i}", "type": "http", "url": f"https://api{i}.test:8443/v1?k=s"}
                | (draw(_joins(pages)) if pages else {})
                for i in range(probes)
            ],
        }
    )


def _event(draw: st.DrawFn, state: State, config: Config) -> None:
    """One random update of a random page or probe."""
    if config.status_pages and draw(st.booleans()):
        page = draw(st.sampled_from(config.status_pages)).name
        if draw(st.booleans()):
            duration = draw(st.none() | _FLOAT)
            state.record_page_success(page, draw(_snapshots()), draw(_TIME), duration=duration)
        else:
            reason = draw(st.sampled_from(PollError))
            backoff = draw(st.none() | _TIME)
            state.record_page_failure(page, reason, "x", duration=1.0, backoff_until=backoff)
    elif config.probes:
        probe = draw(st.sampled_from(config.probes)).name
        state.record_probe(probe, draw(_RESULTS), now=draw(_TIME))


class _Renamed(State):
    """A state whose snapshot lists the entries under other names (any label value)."""

    def __init__(self, state: State, names: Callable[[str], str]) -> None:
        super().__init__()
        self._inner, self._names = state, names

    def snapshot(self) -> StateSnapshot:
        snap = self._inner.snapshot()
        return StateSnapshot(
            {self._names(n): page for n, page in snap.pages.items()},
            {self._names(n): probe for n, probe in snap.probes.items()},
        )


@st.composite
def _states(draw: st.DrawFn) -> State:
    config = _config(draw, draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    state = State()
    state.apply_config(config)
    for _ in range(draw(st.integers(0, 12))):
        _event(draw, state, config)
    names = draw(st.lists(_LABEL, min_size=6, max_size=6, unique=True))
    labels = {f"page{i}": names[i] for i in range(3)} | {
        f"probe{i}": names[3 + i] for i in range(3)
    }
    return _Renamed(state, labels.__getitem__) if draw(st.booleans()) else state


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_states(), _TIME)
def test_random_states_render_to_the_same_bytes(state: State, now: float) -> None:
    _both_formats(_exposition(state, clock=lambda: now))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_cached_render_equals_a_fresh_one_after_every_change(data: st.DataObject) -> None:
    """One exposition (one cache) through updates, reloads and time passing (staleness)."""
    draw = data.draw
    config = _config(draw, draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    state = State()
    state.apply_config(config)
    clock = [golden.NOW]
    exposition = _exposition(state, clock=lambda: clock[0])
    for _ in range(draw(st.integers(1, 12))):
        action = draw(st.sampled_from(["update", "update", "nothing", "reload"]))
        if action == "update":
            _event(draw, state, config)
        elif action == "reload":  # replaces every entry by an equal one
            state.apply_config(config)
        clock[0] = draw(_TIME) + draw(st.sampled_from([0.0, 400.0]))  # 400 s: past stale_after
        _both_formats(exposition)
        snap = state.snapshot()
        assert (len(exposition.lines.pages), len(exposition.lines.probes)) == (
            len(snap.pages),
            len(snap.probes),
        )


def test_a_lone_surrogate_fails_both_paths_alike() -> None:
    """A label value that UTF-8 cannot encode (JSON may carry one: "\\ud800") fails the
    render, natively as with prometheus_client: neither writes a broken body."""
    state, _ = _small_state()
    state.record_probe("q0", replace(golden.PROBE_RUNS[0], phases=(("\ud800", 1.0),)))
    exposition = _exposition(state, clock=lambda: T0)
    for accept in ("", OPENMETRICS):
        with pytest.raises(UnicodeEncodeError):
            _reference(exposition.registry, accept)
        with pytest.raises(UnicodeEncodeError):
            exposition.render(accept)


# --- the cache -----------------------------------------------------------------------------


def _small_state() -> tuple[State, Config]:
    config = parse_config(
        {
            "status_pages": [{"name": f"p{i}", "url": f"https://s{i}.test"} for i in range(3)],
            "probes": [
                {"name": f"q{i}", "type": "http", "url": "https://a.test"} for i in range(4)
            ],
        }
    )
    state = State()
    state.apply_config(config)
    snapshot = statuspage.parse(fixture("incident.json"))
    for page in config.status_pages:
        state.record_page_success(page.name, snapshot, now=T0)
    for probe in config.probes:
        state.record_probe(probe.name, golden.PROBE_RUNS[0], now=T0)
    return state, config


def test_unchanged_entries_are_not_rendered_again_and_changed_ones_are() -> None:
    state, _ = _small_state()
    exposition = _exposition(state, clock=lambda: T0 + 10)
    cache = exposition.lines
    exposition.render("")
    assert (cache.pages.rendered, cache.probes.rendered) == (3, 4)
    exposition.render(OPENMETRICS)  # the other format reuses the same lines
    assert (cache.pages.rendered, cache.probes.rendered) == (3, 4)
    state.record_probe("q1", golden.PROBE_RUNS[1], now=T0 + 5)
    state.record_page_failure("p2", PollError.TIMEOUT, "slow")
    _assert_same(exposition)
    assert (cache.pages.rendered, cache.probes.rendered) == (4, 5)


def test_a_page_going_stale_is_rendered_again_without_its_mirrored_series() -> None:
    state, _ = _small_state()
    clock = [T0 + 10]
    exposition = _exposition(state, clock=lambda: clock[0])
    assert b"statusprobe_component_status{" in _assert_same(exposition)
    clock[0] = T0 + 301  # stale_after is 300 s
    assert b"statusprobe_component_status{" not in _assert_same(exposition)
    assert exposition.lines.pages.rendered == 6


def test_the_cache_holds_only_the_entries_of_the_last_render() -> None:
    state, config = _small_state()
    exposition = _exposition(state, clock=lambda: T0)
    exposition.render("")
    state.apply_config(config.model_copy(update={"probes": config.probes[:1]}))
    _assert_same(exposition)
    assert (len(exposition.lines.pages), len(exposition.lines.probes)) == (3, 1)


def test_an_entry_under_a_new_name_is_rendered_under_that_name() -> None:
    state, _ = _small_state()
    names = {"p0": "p0", "p1": "p1", "p2": "p2", "q0": "q0", "q1": "q1", "q2": "q2", "q3": "q3"}
    exposition = _exposition(_Renamed(state, lambda n: names[n]), clock=lambda: T0)
    _assert_same(exposition)
    names["q0"] = 'renamed "q0"'
    assert b'probe="renamed \\"q0\\""' in _assert_same(exposition)


# --- negotiation and the whole registry ----------------------------------------------------


def _runtime() -> Runtime:
    """The shipped registry (exporter metrics, process, platform, ours) with a filled state;
    its scheduler never starts, so nothing changes under the test."""
    runtime = Runtime(parse_config({}), None)
    state, config = _small_state()
    runtime.state.apply_config(config)
    for name, page in state.snapshot().pages.items():
        assert page.snapshot is not None
        runtime.state.record_page_success(name, page.snapshot, now=T0)
    runtime.state.record_probe("q0", golden.PROBE_RUNS[2], now=T0)
    return runtime


def _steady(body: bytes) -> bytes:
    """`body` with process_* values masked: they change between two reads. With
    `escaping=values` prometheus_client writes them as `U__process__...`."""
    return re.sub(rb"(?m)^((?:U__)?process_\S+) \S+$", rb"\1 _", body)


@pytest.mark.parametrize("accept", list(ACCEPTS.values()), ids=list(ACCEPTS))
def test_the_whole_registry_renders_as_prometheus_client_renders_it(accept: str) -> None:
    exposition = _runtime().exposition
    body, content_type = exposition.render(accept)
    expected, expected_type = _reference(exposition.registry, accept)
    assert content_type == expected_type
    assert _steady(body) == _steady(expected)
    assert b'="q0"' in body  # the state's series are there, in every format


@pytest.mark.parametrize("accept", list(PROMETHEUS_ACCEPTS.values()), ids=list(PROMETHEUS_ACCEPTS))
async def test_the_metrics_endpoint_serves_what_it_served_before(
    accept: str,
    aiohttp_client: Callable[..., Awaitable[TestClient]],  # type: ignore[type-arg]
) -> None:
    runtime = _runtime()
    client = await aiohttp_client(create_app(runtime))
    response = await client.get("/metrics", headers={"Accept": accept, "Accept-Encoding": "gzip"})
    assert response.status == 200 and response.headers["Content-Encoding"] == "gzip"
    expected, content_type = _reference(runtime.exposition.registry, accept)
    assert response.headers["Content-Type"] == content_type
    assert _steady(await response.read()) == _steady(expected)


@pytest.mark.parametrize("case", list(ACCEPTS))
def test_what_is_written_natively(case: str) -> None:
    """Everything Prometheus asks for is native; the rest falls back to prometheus_client."""
    assert (native_format(choose_encoder(ACCEPTS[case])[0]) is not None) == (case in NATIVE)


def test_the_other_collectors_come_first_then_ours() -> None:
    state, _ = _small_state()
    others = CollectorRegistry()
    Gauge("first", "Registered first.", registry=others).set(1)
    Gauge("second", "Registered second.", registry=others).set(2)
    exposition = _exposition(state, clock=lambda: T0, others=others)
    for accept in ("", OPENMETRICS):
        body = _assert_same(exposition, accept)
        assert body.index(b"first ") < body.index(b"second ") < body.index(b"statusprobe_page_up")
    assert _assert_same(exposition, OPENMETRICS).count(b"# EOF") == 1


def test_prometheus_client_alone_sees_our_metric_families() -> None:
    """`Exposition.registry`, for the formats not written natively and for anyone who wants
    the process's metrics as one prometheus_client collector."""
    registry = _runtime().exposition.registry
    assert b"statusprobe_probe_results_total{" in generate_latest(registry)
    assert b"statusprobe_build_info{" in generate_latest(registry)


# --- /probe ----------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_states(), _TIME, st.sampled_from(sorted(ACCEPTS.values())), _LABEL)
def test_probe_pages_render_as_before(state: State, now: float, accept: str, label: str) -> None:
    pages: list[tuple[str, PageState]] = [(label, p) for p in state.snapshot().pages.values()][:1]
    encoder, content_type = choose_encoder(accept)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(list(page_families(pages, now))))
    assert render_pages(pages, now, accept) == (encoder(registry), content_type)


class _Fixed(Collector):
    def __init__(self, families: list[Any]) -> None:
        self._families = families

    def collect(self) -> Iterator[Any]:
        return iter(self._families)


async def test_renders_in_steps_interleaved_on_the_loop_give_prometheus_clients_bytes() -> None:
    """/metrics renders on the loop in steps (render_async); two scrapes at once interleave
    their steps over one line cache, and each still gets exactly the reference body."""
    probes = STEP_ENTRIES + 1
    config = parse_config(
        {
            "probes": [
                {"name": f"q{i}", "type": "http", "url": "https://a.test"} for i in range(probes)
            ]
        }
    )
    state = State()
    state.apply_config(config)
    for i, probe in enumerate(config.probes):
        if i % 3:  # the rest never ran: entries of another shape
            state.record_probe(probe.name, golden.PROBE_RUNS[i % 2], now=T0)
    exposition = _exposition(state, clock=lambda: T0)
    steps = sum(1 for _ in exposition.render_steps(OPENMETRICS))
    assert steps > probes // STEP_RENDERED  # it does pause, and often
    for accept in ("", OPENMETRICS):
        expected = _reference(exposition.registry, accept)
        first, second = await asyncio.gather(
            exposition.render_async(accept), exposition.render_async(accept)
        )
        assert first == second == expected
