"""Fault 2: parsing and body regexes run off the event loop, and a document that is not
a feed is invalid, not "indicator none".

Before: a 4.4 MB feed stalled every scrape 7-13 s, 700 KB of nested XML stalled 3.4 s and
then showed the page up with indicator none, a 100,000-component page stalled ~2 s and a
`.*`-led `body_regex` over 64 KiB 3-4 s per run. Here smaller versions of each (so the
suite stays fast) run at once next to the control page and probe: the control items keep
their schedule and /metrics keeps answering while the hostile ones are parsed.
"""

from __future__ import annotations

from typing import Any

from exporter.models import Outcome, PollError
from exporter.runtime import Runtime
from tests.faults.harness import run_fault
from tests.faults.hostile import parsing_app


def items(base: str) -> dict[str, Any]:
    return {
        "status_pages": [
            {
                "name": "large-feed",
                "provider": "feed",
                "url": f"{base}/large.rss",
                "interval": "5s",
            },
            {"name": "nested", "provider": "feed", "url": f"{base}/nested.rss", "interval": "5s"},
            {"name": "huge", "provider": "statuspage", "url": f"{base}/huge", "interval": "5s"},
        ],
        "probes": [
            {
                "name": "regex",
                "type": "http",
                "url": f"{base}/regex-bait",
                "interval": "5s",
                "timeout": "5s",
                "expect": {"body_regex": ".*x"},
            },
        ],
    }


def counted(runtime: Runtime) -> bool:
    state = runtime.state.snapshot()
    pages, probe = state.pages, state.probes["regex"]
    return (
        all(pages[name].polled for name in ("large-feed", "nested", "huge"))
        and sum(probe.outcomes) >= 1
    )


async def test_heavy_parses_and_regexes_leave_the_loop_free() -> None:
    run = await run_fault(parsing_app(), items, counted, window=4.0, max_seconds=60.0)
    state = run.runtime.state.snapshot()
    assert state.pages["large-feed"].up, state.pages["large-feed"].last_error
    assert state.pages["huge"].up, state.pages["huge"].last_error
    nested = state.pages["nested"]
    assert not nested.up and nested.error_count(PollError.INVALID_PAYLOAD) >= 1
    regex = state.probes["regex"].last
    assert regex is not None and regex.outcome is Outcome.UNEXPECTED_RESPONSE, regex
    assert run.kept_schedule(), run
    assert run.rss_growth_mb < 200, run


def test_a_runaway_body_regex_gives_up_and_says_so(monkeypatch: Any) -> None:
    from exporter.config import Expect
    from exporter.probes import body_regex, http

    monkeypatch.setattr(body_regex, "TIMEOUT", 0.1)
    expect = Expect(body_regex=r"(a|aa)+$x")
    problem = http._body_problem(expect, b"a" * 3000, "utf-8")
    assert problem.startswith("expect.body_regex did not finish within")
    # The same pattern engine still answers ordinary patterns, `re` syntax included.
    assert http._body_problem(Expect(body_regex=r"^(?P<x>a+)$"), b"aaa", "utf-8") == ""
    assert http._body_problem(Expect(body_regex=r"\d"), b"aaa", "utf-8") != ""


def test_an_rss_root_around_no_feed_is_invalid_but_an_empty_feed_is_fine() -> None:
    import pytest

    from exporter.errors import ParseError
    from exporter.sources import feed
    from tests.faults.hostile import nested_rss

    with pytest.raises(ParseError, match="not an RSS or Atom feed"):
        feed.parse(nested_rss(200), now=0)
    empty = b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    assert feed.parse(empty, now=0).incidents == ()
