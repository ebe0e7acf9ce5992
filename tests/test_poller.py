"""`PagePoller`: the one poll of a status page, which never raises.

A bug in a parser (any exception that is not a `PollFailed`) must be a counted, visible
failure, on both paths that poll: the scheduler's (runtime) and `/probe`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from exporter import sources
from exporter.config import StatusPageConfig, parse_config
from exporter.http.app import create_app
from exporter.models import PageSnapshot, PollError
from exporter.poller import PagePoller
from exporter.runtime import Runtime
from exporter.sources import statuspage
from exporter.sources.client import PollClient, new_poll_client
from exporter.state import PageState
from tests.upstream import Upstream

MakeClient = Callable[..., Awaitable[TestClient]]  # type: ignore[type-arg]


class ParserBug(KeyError):
    """What a parser tripping over an unexpected payload raises."""


@pytest.fixture
def buggy_parser(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The statuspage source fetches for real, then its parser raises; counts the calls."""
    calls: list[int] = []
    real = statuspage.fetch

    async def fetch(client: PollClient, page: StatusPageConfig) -> PageSnapshot:
        await real(client, page)  # the page is fetched and parsed fine...
        calls.append(1)
        raise ParserBug("incident_updates")  # ...and then a bug

    monkeypatch.setitem(sources.SOURCES, "statuspage", fetch)
    return calls


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_a_parser_bug_is_a_counted_failure_with_the_page_down(
    upstream: tuple[Upstream, str],
    buggy_parser: list[int],
    aiohttp_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, base = upstream
    config = parse_config(
        {"status_pages": [{"name": "acme", "url": base, "interval": "1s", "timeout": "1s"}]}
    )
    runtime = Runtime(config, None)
    client = await aiohttp_client(create_app(runtime))
    async with asyncio.timeout(10):
        while len(buggy_parser) < 2:  # two polls: the traceback is logged once
            await asyncio.sleep(0.05)
        while runtime.state.snapshot().pages["acme"].error_count(PollError.INTERNAL_ERROR) < 2:
            await asyncio.sleep(0.05)

    samples = _samples(await (await client.get("/metrics")).text())
    assert samples[("statusprobe_page_up", frozenset({("page", "acme")}))] == 0
    errors = frozenset({("page", "acme"), ("reason", "internal_error")})
    assert samples[("statusprobe_page_poll_errors_total", errors)] >= 2
    status = await (await client.get("/api/v1/status")).json()
    (page,) = status["status_pages"]
    assert page["last_error"].startswith("internal_error: ")
    assert "ParserBug" in page["last_error"] and "see the log" in page["last_error"]
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno == logging.ERROR]
    assert len(tracebacks) == 1
    assert tracebacks[0].exc_info is not None and tracebacks[0].exc_info[0] is ParserBug


async def test_a_parser_bug_behind_probe_is_counted_and_the_target_not_stuck(
    upstream: tuple[Upstream, str],
    buggy_parser: list[int],
    aiohttp_client: MakeClient,
) -> None:
    _, base = upstream
    client = await aiohttp_client(
        create_app(Runtime(parse_config({"multi_target": {"cache_ttl": "1ms"}}), None))
    )
    for expected in (1, 2):  # a second request polls again: nothing is left in flight
        response = await client.get("/probe", params={"target": base, "name": "acme"})
        assert response.status == 200
        samples = _samples(await response.text())
        assert samples[("statusprobe_page_up", frozenset({("page", "acme")}))] == 0
        errors = frozenset({("page", "acme"), ("reason", "internal_error")})
        assert samples[("statusprobe_page_poll_errors_total", errors)] == expected
    assert len(buggy_parser) == 2


@pytest.fixture
async def poller() -> AsyncIterator[PagePoller]:
    poller = PagePoller(new_poll_client())
    yield poller
    await poller.aclose()


async def test_a_poll_that_works_after_a_bug_brings_the_page_back(
    upstream: tuple[Upstream, str], poller: PagePoller, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, base = upstream
    page = StatusPageConfig.model_validate({"name": "acme", "url": base})
    real = statuspage.fetch

    async def broken(client: PollClient, page: StatusPageConfig) -> PageSnapshot:
        raise ParserBug("x")

    monkeypatch.setitem(sources.SOURCES, "statuspage", broken)
    state = (await poller.poll(page)).apply(PageState(page))
    assert (state.up, state.error_count(PollError.INTERNAL_ERROR)) == (False, 1)
    monkeypatch.setitem(sources.SOURCES, "statuspage", real)
    state = (await poller.poll(page, state)).apply(state)
    assert state.up and state.snapshot is not None and state.last_error == ""


async def test_cancelling_a_poll_is_not_a_failure(
    poller: PagePoller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reload that removes a page, or shutdown, cancels its poll: nothing is counted."""
    started = asyncio.Event()

    async def slow(client: PollClient, page: StatusPageConfig) -> PageSnapshot:
        started.set()
        await asyncio.sleep(30)
        raise AssertionError("not reached")

    monkeypatch.setitem(sources.SOURCES, "statuspage", slow)
    page = StatusPageConfig.model_validate({"name": "acme", "url": "http://127.0.0.1:9"})
    task = asyncio.create_task(poller.poll(page))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
