"""`PollClient`: everything a status-page poll needs from whoever owns it, passed explicitly.

- `http`, the pooled `httpx.AsyncClient` the polls share (one per owner: the runtime's
  scheduled polls, /probe, `statusprobe once`);
- `store`, the conditional-request store (revalidate.py), or None for plain requests;
- `detector`, the platform decisions of `provider: auto` pages (detect.py).

Nothing of this hangs on a module: two owners in one process (two runtimes in a test, the
scheduler and /probe) never share a store or a detection by accident.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType

import httpx

from exporter import __version__
from exporter.sources.detect import Detector
from exporter.sources.revalidate import ResponseStore

USER_AGENT = f"statusprobe/{__version__}"

RequestHook = Callable[[httpx.Request], Awaitable[None]]


@dataclass(frozen=True, eq=False)
class PollClient:
    http: httpx.AsyncClient
    store: ResponseStore | None = None
    detector: Detector = field(default_factory=Detector)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> PollClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def new_poll_client(
    *, store: ResponseStore | None = None, request_hooks: Sequence[RequestHook] = ()
) -> PollClient:
    """A pooled polling client.

    With a `store`, polls are conditional (ETag, Last-Modified) and a 304 reuses the
    stored response (revalidate.py). `request_hooks` see every request, each redirect hop
    included, and may refuse one by raising `fetch.RequestRefused`.
    """
    http = httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        follow_redirects=True,
        max_redirects=5,
        timeout=10.0,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        event_hooks={"request": list(request_hooks)},
    )
    return PollClient(http, store)
