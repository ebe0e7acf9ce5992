"""The landing page at `/`: the status board (exporter/board/, docs/board.md)."""

from __future__ import annotations

import asyncio
import time

from exporter import __version__
from exporter.board import html, view
from exporter.board.view import Options
from exporter.history import History
from exporter.state import StateSnapshot

COPY_STEP = 500  # rings copied between two turns of the event loop (~7 ms)


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
