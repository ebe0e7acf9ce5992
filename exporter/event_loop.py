"""The event loop the long-running commands run on: uvloop when installed, else asyncio.

uvloop (the optional extra `statusprobe[uvloop]`) is a drop-in asyncio event loop
written on libuv. It cuts the CPU of a fresh-connection probe by about a third
(docs/benchmarks.md), since every probe is mostly socket, TLS and callback work
in the loop. Without it, asyncio's own loop runs everything the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def loop_name() -> str:
    """`uvloop` when it is installed, else `asyncio`."""
    return "asyncio" if loop_factory() is None else "uvloop"


def loop_factory() -> LoopFactory | None:
    """A factory for uvloop's loop when installed; None for asyncio's default."""
    try:
        import uvloop
    except ImportError:
        return None
    factory: LoopFactory = uvloop.new_event_loop
    return factory


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, on uvloop when it is installed."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
