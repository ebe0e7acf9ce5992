"""The landing page at `/`: the status board (exporter/board/, docs/board.md).

`Board` serves it at a bounded cost: a page takes about 0.7 s to build per thousand
probes, and every open tab asks again at each refresh, so at 10,000 probes a single tab
would keep a core 70 % busy (and the event loop waiting for the GIL). A page is reused
while it is younger than `COST_FACTOR` times what it took to build, requests that arrive
while one is being built wait for that one, and the page asks browsers to refresh no
sooner than that either: the board costs at most about 1/`COST_FACTOR` of a core, however
many people watch it. A small board (milliseconds to build) is fresh at every request.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from exporter import __version__
from exporter.board import html, view
from exporter.board.view import Options
from exporter.history import History
from exporter.state import StateSnapshot

COPY_STEP = 500  # rings copied between two turns of the event loop (~7 ms)
COST_FACTOR = 10.0  # a page is reused for 10x the time it took to build
REUSE_FROM = 0.05  # seconds: a page built faster is never reused


class Board:
    """The board of one runtime, built at most once per `COST_FACTOR` x its build time."""

    def __init__(self, options: Options, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.options = options
        self._clock = clock
        self._page = ""
        self._built_at = -math.inf
        self._build_seconds = 0.0
        self._building: asyncio.Future[str] | None = None
        self.builds = 0  # pages built so far, for tests

    @property
    def reuse_seconds(self) -> float:
        """How long the current page is served again: 0 for a page built quickly."""
        return COST_FACTOR * self._build_seconds if self._build_seconds >= REUSE_FROM else 0.0

    async def page(self, build: Callable[[Options], Awaitable[str]]) -> str:
        """The current page: reused while young enough, else built by `build` (once, for
        every request waiting meanwhile)."""
        if self._clock() - self._built_at < self.reuse_seconds:
            return self._page
        if self._building is None:
            self._building = asyncio.ensure_future(self._build(build))
        return await asyncio.shield(self._building)

    async def _build(self, build: Callable[[Options], Awaitable[str]]) -> str:
        began = self._clock()
        refresh = max(self.options.refresh_seconds, self.reuse_seconds)
        try:
            self._page = await build(replace(self.options, refresh_seconds=refresh))
        finally:
            self._building = None
        self.builds += 1
        self._built_at = self._clock()
        self._build_seconds = self._built_at - began
        return self._page


async def render(
    snapshot: StateSnapshot,
    history: History,
    *,
    ready: bool,
    reload_error: str,
    options: Options,
    now: float | None = None,
) -> str:
    """The board's HTML. The state's snapshot is immutable; the history is copied here, on
    the event loop that appends to it, and the page is built from the copy in a thread (a
    thousand probes take about a second)."""
    copy = await _copy(history)
    now = time.time() if now is None else now

    def page() -> str:
        board = view.build(
            snapshot,
            copy,
            version=__version__,
            ready=ready,
            reload_error=reload_error,
            now=now,
            options=options,
        )
        return html.render(board)

    return await asyncio.to_thread(page)


async def _copy(history: History) -> History:
    """A copy of `history`, `COPY_STEP` probe rings at a time, letting the loop run in
    between: ten thousand rings take about 140 ms to copy, too long a pause for probes due
    meanwhile. Each ring is copied whole; runs recorded during the copy may be in it or not."""
    copy = history.copy_pages()
    names = list(history.probes)
    for start in range(0, len(names), COPY_STEP):
        copy.probes.update(history.copy_probes(names[start : start + COPY_STEP]))
        await asyncio.sleep(0)
    return copy
