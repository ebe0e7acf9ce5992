"""`PagePoller`: the one way a status page is polled into a `PageState`.

The scheduler's polls (runtime.py), `/probe` (http/multi_target.py) and `statusprobe
once` all go through `PagePoller.poll`, which never raises:

- a poll that fails as the sources expect (`PollFailed`) is counted under its reason,
  with the pause the page asked for (`Retry-After`, backoff.py);
- anything else is a bug in statusprobe (a parser that trips over a payload, say). It is
  counted as `internal_error`, the page is down, and the traceback is logged once (at
  error) when the page enters that failure, then at debug while it stays there;
- cancellation (a reload removing the page, shutdown) is not a failure and propagates.

The poller owns its `PollClient` (pooled HTTP client, conditional-request store, the
`auto` platform decisions) and closes it in `aclose()`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from exporter.config import StatusPageConfig
from exporter.errors import PollFailed
from exporter.models import PageSnapshot, PollError
from exporter.sources import poll
from exporter.sources.backoff import backoff_delay
from exporter.sources.client import PollClient
from exporter.state import PageState

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PagePoll:
    """What one poll found; `apply` turns it into the page's next state."""

    snapshot: PageSnapshot | None  # None when the poll failed
    reason: PollError | None = None
    detail: str = ""
    duration: float = 0.0  # seconds
    finished_at: float = 0.0  # unix seconds
    pause: float | None = None  # seconds the page asked us to wait before the next poll

    def apply(self, state: PageState) -> PageState:
        if self.snapshot is not None:
            return state.succeeded(self.snapshot, self.finished_at, duration=self.duration)
        assert self.reason is not None
        backoff_until = self.finished_at + self.pause if self.pause else None
        return state.failed(
            self.reason, self.detail, duration=self.duration, backoff_until=backoff_until
        )


class PagePoller:
    def __init__(self, client: PollClient) -> None:
        self.client = client

    async def aclose(self) -> None:
        await self.client.aclose()

    async def poll(self, page: StatusPageConfig, before: PageState | None = None) -> PagePoll:
        """Poll `page`; `before` is its state so far (for backoff streaks and logging)."""
        started = time.monotonic()
        try:
            snapshot = await poll(self.client, page)
        except PollFailed as exc:
            result = self._failed(page, before, exc, started)
        except Exception as exc:  # a bug: counted and visible, never a silent "up"
            internal = PollFailed(
                PollError.INTERNAL_ERROR,
                f"statusprobe failed to poll the page ({type(exc).__name__}); see the log",
            )
            result = self._failed(page, before, internal, started, bug=exc)
        else:
            result = PagePoll(
                snapshot, duration=time.monotonic() - started, finished_at=time.time()
            )
            if before is not None and before.polled and not before.up:
                log.info("status page %s: polling again", page.name)
        return result

    def _failed(
        self,
        page: StatusPageConfig,
        before: PageState | None,
        exc: PollFailed,
        started: float,
        *,
        bug: Exception | None = None,
    ) -> PagePoll:
        streak = before.streak_after(exc.reason) if before is not None else 1
        pause = backoff_delay(exc, interval=page.interval, streak=streak)
        # Warn when a page goes down (or fails in a new way); repeat only at debug.
        repeated = (
            before is not None
            and before.polled
            and before.last_error.startswith(f"{exc.reason.value}:")
        )
        if bug is not None:
            log.log(
                logging.DEBUG if repeated else logging.ERROR,
                "status page %s: internal error while polling",
                page.name,
                exc_info=bug,
            )
        else:
            still_down = before is not None and before.polled and not before.up
            log.log(
                logging.DEBUG if still_down else logging.WARNING,
                "status page %s: poll failed: %s",
                page.name,
                exc,
            )
        if pause:
            log.info("status page %s: next poll in %.0fs at the earliest", page.name, pause)
        return PagePoll(
            None,
            exc.reason,
            exc.detail,
            duration=time.monotonic() - started,
            finished_at=time.time(),
            pause=pause,
        )
