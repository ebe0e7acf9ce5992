"""The landing page at `/`: the status board (exporter/board/, docs/board.md)."""

from __future__ import annotations

import time

from exporter import __version__
from exporter.board import html, view
from exporter.board.history import History
from exporter.board.view import Options
from exporter.state import StateSnapshot


def render(
    snapshot: StateSnapshot,
    history: History,
    *,
    ready: bool,
    reload_error: str,
    options: Options,
    now: float | None = None,
) -> str:
    board = view.build(
        snapshot,
        history,
        version=__version__,
        ready=ready,
        reload_error=reload_error,
        now=time.time() if now is None else now,
        options=options,
    )
    return html.render(board)
