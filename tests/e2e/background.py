"""An asyncio loop in a thread, for the servers the test itself runs (the simulated
upstreams, the webhook receiver): they keep answering while the test thread sleeps,
polls or blocks."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any, TypeVar

T = TypeVar("T")


class BackgroundLoop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="e2e-loop", daemon=True)
        self._stack = AsyncExitStack()
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def enter(self, context: AbstractAsyncContextManager[T]) -> T:
        """Enter `context` on the loop; it is exited by `close()`, last in first out."""
        return self.run(self._stack.enter_async_context(context))

    def close(self) -> None:
        try:
            self.run(self._stack.aclose())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)
            self.loop.close()
