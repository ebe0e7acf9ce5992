"""Work too heavy for the event loop, in small thread pools of its own.

A 4.4 MB feed, 700 KB of nested XML or a 100,000-component status page took seconds to
parse, and a backtracking `body_regex` seconds to match; on the loop that stalled every
scrape and every other poll. Such work runs here instead. The loop stays responsive
(CPython lets it run between the worker's bytecodes and during `re` matching, with the
1 ms switch interval `statusprobe run` sets); the pools are small and separate, so a
runaway regex can hold at most its own pool's threads and never the default executor
that renders /metrics, and never delays status-page parsing.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# Enough workers that a light parse never queues behind a few heavy ones (threads share
# the GIL: more workers add no CPU, only keep a small page from waiting for a slot).
PARSE_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="statusprobe-parse")
CHECK_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="statusprobe-check")


async def off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)` in the parse pool (status-page payloads)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(PARSE_POOL, functools.partial(fn, *args, **kwargs))


async def check_off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)` in the check pool (probe body expectations: regexes)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(CHECK_POOL, functools.partial(fn, *args, **kwargs))
