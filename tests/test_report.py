"""The outage report's pure parts: times, the analysis of series, the renderers; and the
command's errors. The real-Prometheus test is test_report_prometheus.py."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from exporter.cli import main
from exporter.report import render
from exporter.report.analyse import analyse
from exporter.report.fetch import Data, _matcher
from exporter.report.prometheus import Prometheus, ReportError, Series
from exporter.report.times import parse_time

NOW = 1_776_160_000.0


def test_times_in_three_spellings() -> None:
    assert parse_time("2026-04-14T09:30:00Z") == 1776159000.0
    assert parse_time("2026-04-14T11:30:00+02:00") == 1776159000.0
    assert parse_time("1776159000") == 1776159000.0
    assert parse_time("2h", now=NOW) == NOW - 7200
    with pytest.raises(ValueError, match="use RFC 3339"):
        parse_time("yesterday")


def _counter(labels: dict[str, str], values: list[float]) -> Series:
    return Series(labels, [(float(t), v) for t, v in enumerate(values)])


def _data(**series: list[Series]) -> Data:
    empty: dict[str, list[Series]] = {
        k: [] for k in ("results", "info", "components", "indicator", "incidents")
    }
    empty |= {"duration": [], "ttft": []}
    return Data(0.0, 99.0, 1.0, **(empty | series))


def _results(region: str, ok: list[float], failed: list[float], outcome: str) -> list[Series]:
    base = {"region": region, "probe": "api"}
    return [
        _counter(base | {"outcome": "success"}, ok),
        _counter(base | {"outcome": outcome}, failed),
    ]


def _steady(n: int = 100) -> list[float]:
    return [float(k) for k in range(n)]


def _failing(start: int, end: int, n: int = 100) -> list[float]:
    """One failure per step from `start` to `end`, as a counter."""
    return [float(min(max(k - start + 1, 0), end - start + 1)) for k in range(n)]


INFO = [
    _counter({"region": r, "probe": "api", "page": "acme", "component": "API"}, [1] * 100)
    for r in ("a", "b")
]


def _status(status: str, steps: range) -> Series:
    return Series(
        {"page": "acme", "component": "API", "status": status},
        [(float(k), 1.0) for k in steps],
    )


def test_onset_end_region_outcomes_and_the_acknowledgement_lag() -> None:
    data = _data(
        results=_results("a", _steady(), [0.0] * 100, "overloaded")
        + _results("b", _steady(), _failing(40, 59), "overloaded"),
        info=INFO,
        components=[
            _status("operational", range(0, 50)),
            _status("partial_outage", range(50, 100)),
        ],
    )
    (up,) = analyse(data).upstreams
    (episode,) = up.episodes
    assert (episode.onset, episode.end) == (40.0, 59.0)
    assert list(episode.regions) == ["b", "a"] and episode.regions["a"].failed == 0
    assert episode.outcomes == {"overloaded": 20}
    assert episode.admitted is not None and episode.admitted.lag == 10.0
    assert episode.admitted.how == ("API: partial_outage",)
    assert up.official == 0.5  # partial_outage is not "available" in the claimed SLI
    text = render.markdown(analyse(data))
    assert "| Acknowledgement lag | 10s after the onset |" in text


def test_never_admitted_and_a_counter_reset() -> None:
    failed = _failing(20, 29)
    failed[60:] = [0.0] * 40  # the exporter restarted: its counters start again
    failed[70:80] = [float(k) for k in range(1, 11)]
    failed[80:] = [10.0] * 20
    data = _data(
        results=_results("b", _steady(), failed, "auth_error"),
        info=INFO[1:],
        components=[_status("operational", range(100))],
    )
    up = analyse(data).upstreams[0]
    assert [(e.onset, e.end, e.failed) for e in up.episodes] == [(20.0, 29.0, 10), (70.0, 79.0, 10)]
    assert all(e.admitted is None for e in up.episodes)
    assert "never admitted in the range" in render.markdown(analyse(data))


def test_isolated_failures_are_not_an_episode_and_a_quiet_range_says_so() -> None:
    one = [0.0] * 50 + [1.0] * 50
    data = _data(results=_results("a", _steady(), one, "timeout"), info=INFO[:1])
    report = analyse(data)
    (up,) = report.upstreams
    assert up.episodes == [] and [(t, o) for t, _, o in up.isolated] == [(50.0, "timeout")]
    quiet = analyse(_data(results=_results("a", _steady(), [0.0] * 100, "timeout"), info=INFO))
    assert quiet.troubled == []
    assert "No trouble from" in render.markdown(quiet)
    doc = json.loads(render.as_json(quiet))
    assert doc["upstreams"][0]["measured_availability"] == 1.0
    nothing = analyse(_data())
    assert "No statusprobe probe results in Prometheus" in render.markdown(nothing)


class _NotPrometheus(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html>a login page</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def not_prometheus() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _NotPrometheus)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_something_else_than_prometheus_is_a_clear_error(
    not_prometheus: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ReportError, match="without JSON: is this the Prometheus base URL"):
        Prometheus(not_prometheus).range("up", 0, 10, 1)
    assert main(["report", "--prometheus", not_prometheus, "--since", "1h"]) == 1
    assert "without JSON" in capsys.readouterr().err


def test_bad_arguments_are_clear_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--prometheus", "localhost:9090", "--since", "1h"]) == 1
    assert "use an http:// or https:// URL" in capsys.readouterr().err
    assert main(["report", "--prometheus", "http://127.0.0.1:1", "--since", "soon"]) == 1
    assert "invalid time 'soon'" in capsys.readouterr().err
    args = ["--since", "1h", "--until", "2h"]
    assert main(["report", "--prometheus", "http://127.0.0.1:1", *args]) == 1
    assert "--until must be after --since" in capsys.readouterr().err


def test_probes_that_never_failed_are_counted_from_the_totals_alone() -> None:
    # fetch() asks for range data only about probes that failed; the others come from the
    # instant totals over the whole range.
    totals = tuple(
        Series({"region": r, "probe": "quiet", "outcome": o}, [(99.0, n)])
        for r in ("a", "b")
        for o, n in (("success", 120.0), ("timeout", 0.0))
    )
    info = [Series({"region": "a", "probe": "quiet", "page": "calm"}, [(99.0, 1.0)])]
    data = _data(results=_results("b", _steady(), _failing(40, 59), "overloaded"), info=INFO)
    report = analyse(Data(**(vars(data) | {"totals": totals, "info": INFO + info})))
    calm = next(u for u in report.upstreams if u.name == "calm")
    assert (calm.measured.failed, calm.measured.runs, calm.trouble) == (0, 240, False)
    assert [u.name for u in report.troubled] == ["acme"]


def test_a_name_matcher_matches_exactly_the_names() -> None:
    names = {"claude-api", "a.b", "x(y)+", "q"}
    matcher = _matcher("probe", names)
    # PromQL's string unescaping, then the regex (RE2 and Python agree on these escapes)
    regex = matcher.split("=~", 1)[1][1:-1].encode().decode("unicode_escape")
    assert {n for n in [*names, "aXb", "x(y)", "claude-apix"] if re.fullmatch(regex, n)} == names


def test_only_an_incident_naming_the_component_admits_it() -> None:
    def incident(component: str, steps: range) -> tuple[Series, Series]:
        labels = {"page": "acme", "incident_id": f"i-{component}"}
        return (
            Series(
                labels
                | {"name": f"{component} errors", "impact": "minor", "status": "investigating"},
                [(float(k), 1.0) for k in steps],
            ),
            Series(labels | {"component": component}, [(float(k), 1.0) for k in steps]),
        )

    web_info, web_names = incident("Web", range(45, 100))
    api_info, api_names = incident("API", range(70, 100))
    data = _data(
        results=_results("b", _steady(), _failing(40, 59), "overloaded"),
        info=INFO,
        components=[
            _status("operational", range(100)),
            Series(
                {"page": "acme", "component": "Web", "status": "partial_outage"},
                [(float(k), 1.0) for k in range(45, 100)],
            ),
        ],
        incidents=[web_info, api_info],
    )
    data = Data(**(vars(data) | {"incident_components": (web_names, api_names)}))
    (episode,) = analyse(data).upstreams[0].episodes
    assert episode.admitted is not None
    assert (episode.admitted.at, episode.admitted.how) == (
        70.0,
        ("incident “API errors” (minor, investigating)",),
    )
