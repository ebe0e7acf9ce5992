"""What the status-page platform tests share: a small site on loopback that answers fixed
paths, page configs, fixture loading and the hypothesis strategies for arbitrary JSON.

Never the internet: every fetch test talks to a `site` on 127.0.0.1.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import strategies as st

from exporter import sources
from exporter.config import StatusPageConfig
from exporter.errors import ParseError, PollFailed
from exporter.models import PageSnapshot
from exporter.sources.client import PollClient

FIXTURES = Path(__file__).parent / "fixtures"


def load(platform: str, name: str) -> Any:
    return json.loads((FIXTURES / platform / name).read_text(encoding="utf-8"))


def raw(platform: str, name: str) -> bytes:
    return (FIXTURES / platform / name).read_bytes()


def page(url: str, provider: str = "statuspage", name: str = "upstream") -> StatusPageConfig:
    return StatusPageConfig.model_validate(
        {"name": name, "provider": provider, "url": url, "timeout": "2s"}
    )


@dataclass(frozen=True)
class Reply:
    body: object  # JSON-able; bytes and str are sent as they are
    status: int = 200
    content_type: str = "application/json"


class Site:
    """Answers `routes[path]`, 404 for anything else; counts requests per path."""

    def __init__(self, routes: dict[str, Reply]) -> None:
        self.routes = routes
        self.hits: Counter[str] = Counter()
        self.accept: dict[str, str] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._answer)
        return app

    async def _answer(self, request: web.Request) -> web.Response:
        self.hits[request.path] += 1
        self.accept[request.path] = request.headers.get("Accept", "")
        reply = self.routes.get(request.path)
        if reply is None:
            return web.Response(status=404, text="<html>Not Found</html>", content_type="text/html")
        body = reply.body
        if not isinstance(body, bytes | str):
            body = json.dumps(body)
        data = body.encode() if isinstance(body, str) else body
        return web.Response(body=data, status=reply.status, content_type=reply.content_type)


@asynccontextmanager
async def site(routes: dict[str, Reply]) -> AsyncIterator[tuple[Site, str]]:
    """A `Site` on loopback; yields it and its base URL (no trailing slash)."""
    served = Site(routes)
    server = TestServer(served.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield served, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@asynccontextmanager
async def client() -> AsyncIterator[PollClient]:
    async with PollClient(
        httpx.AsyncClient(follow_redirects=True, max_redirects=5, trust_env=False)
    ) as c:
        yield c


async def poll_site(
    routes: dict[str, Reply], provider: str, path: str = ""
) -> tuple[PageSnapshot, Site]:
    """Poll a `page` of `provider` at `<site>/<path>` through `sources.poll`; the snapshot and
    the site, for its hits."""
    async with site(routes) as (served, url), client() as c:
        snapshot = await sources.poll(c, page(url + path, provider))
    return snapshot, served


async def fetch_failure(
    fetch: Callable[[PollClient, StatusPageConfig], Awaitable[object]],
    routes: dict[str, Reply],
    provider: str,
    path: str = "",
) -> tuple[PollFailed, Site]:
    """Call a source's `fetch` on `<site>/<path>`, which must raise PollFailed; that and the
    site."""
    async with site(routes) as (served, url), client() as c:
        with pytest.raises(PollFailed) as caught:
            await fetch(c, page(url + path, provider))
    return caught.value, served


# --- the parser properties every platform keeps ----------------------------------------------

FIXTURE_STATES = ["operational", "incident", "maintenance", "unknown_values"]


def parse_leaves_payloads_untouched(parse: Callable[..., PageSnapshot], *payloads: object) -> None:
    """Parsing a fixture leaves it as it was (the fixtures hold no NaN: `==` is enough)."""
    before = copy.deepcopy(payloads)
    parse(*payloads)
    assert payloads == before


# --- hypothesis: arbitrary JSON, and JSON shaped like a platform's --------------------------

json_leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=16,
)


def shaped(keys: list[str], value: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with any subset of `keys`, each holding a `value`."""
    return st.fixed_dictionaries({}, optional=dict.fromkeys(keys, value))


def words(*extra: object) -> st.SearchStrategy[Any]:
    """The values a parser looks for, and timestamps, mixed with arbitrary JSON."""
    known = st.sampled_from([*extra, "2026-04-15T07:02:11-07:00", "2026-04-15T14:02:11Z", "c1"])
    return json_values | known


def parses_or_raises_parse_error(parse: Callable[..., PageSnapshot], *payloads: object) -> None:
    """The property every parser keeps: a snapshot or ParseError, the payload untouched."""
    before = copy.deepcopy(payloads)
    outcome: object
    try:
        outcome = parse(*payloads)
    except ParseError as exc:
        outcome = exc
    assert isinstance(outcome, PageSnapshot | ParseError)
    assert not isinstance(outcome, ParseError) or str(outcome)  # names the path and the type
    assert repr(payloads) == repr(before)  # repr: NaN != NaN, but it prints the same
