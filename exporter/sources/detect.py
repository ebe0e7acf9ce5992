"""`provider: auto`: find out once which platform serves a page, then poll it as that one.

Paste a status page's address and statusprobe tries each platform's characteristic
request in turn, each with the page's timeout; the first whose answer parses decides:

1. URL shape, no request needed: a `/1.0/status/<page_id>` path is `statusio`.
2. `incidentio` (`<url>/proxy/<host>`). First, because incident.io pages also answer
   the Statuspage request below with a compatible summary that leaves groups out.
3. `statuspage` (`<url>/api/v2/summary.json`): the most common platform.
4. `instatus` (`<url>/summary.json`, then `<url>/v2/components.json`).
5. `slack` (`<url>/api/v2.0.0/current`).
6. `gcp` (`<url>/incidents.json`, then `<url>/products.json`).
7. `feed`: the URL itself is an RSS or Atom feed.

A candidate that answers with an HTTP error, a body that is not JSON (or not a feed) or a
payload of another shape is skipped. A timeout, a connection, DNS or TLS failure or a 429
stops the round at once: the page is unreachable, not of another kind, and asking it six
more times would not help. That poll fails with that reason and the next poll detects
again. When no candidate fits, the poll fails as `invalid_payload`.

The decision is logged at info, kept by the `Detector` of the polling client (client.py)
for its lifetime (keyed by URL, so a reload that keeps the URL keeps it), and carried in
each snapshot's `provider`, which `statusprobe_page_info{provider=...}` shows. A page can
move platforms: after `REDETECT_AFTER` consecutive polls that fail with an HTTP error, a
body that is not JSON or an unexpected payload, the decision is dropped and the next poll
detects again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from exporter.config import StatusPageConfig
from exporter.errors import PollFailed
from exporter.models import PageSnapshot, PollError
from exporter.sources import feed, gcp, incidentio, instatus, slack, statusio, statuspage

if TYPE_CHECKING:
    from exporter.sources.client import PollClient

log = logging.getLogger(__name__)

Fetcher = Callable[["PollClient", StatusPageConfig], Awaitable[PageSnapshot]]

# In the order they are tried (statusio only by URL shape, see above).
CANDIDATES: tuple[tuple[str, Fetcher], ...] = (
    ("incidentio", incidentio.fetch),
    ("statuspage", statuspage.fetch),
    ("instatus", instatus.fetch),
    ("slack", slack.fetch),
    ("gcp", gcp.fetch),
    ("feed", feed.fetch),
)
BY_NAME: dict[str, Fetcher] = {**dict(CANDIDATES), "statusio": statusio.fetch}
# Failures that say "not this platform" (try the next one / count towards re-detection).
WRONG_PLATFORM = frozenset(
    {PollError.HTTP_ERROR, PollError.INVALID_JSON, PollError.INVALID_PAYLOAD}
)
REDETECT_AFTER = 5


@dataclasses.dataclass
class _Decision:
    provider: str
    failures: int = 0  # consecutive polls that failed as WRONG_PLATFORM


class Detector:
    """Decisions per page URL; each `PollClient` has its own."""

    def __init__(self) -> None:
        self._decisions: dict[str, _Decision] = {}

    def decided(self, url: str) -> str | None:
        decision = self._decisions.get(url)
        return decision.provider if decision else None

    async def fetch(self, client: PollClient, page: StatusPageConfig) -> PageSnapshot:
        decision = self._decisions.get(page.url)
        if decision is None:
            return await self._detect(client, page)
        try:
            snapshot = await BY_NAME[decision.provider](client, page)
        except PollFailed as exc:
            self._count_failure(page, decision, exc)
            raise
        decision.failures = 0
        return dataclasses.replace(snapshot, provider=decision.provider)

    async def _detect(self, client: PollClient, page: StatusPageConfig) -> PageSnapshot:
        tried = []
        for name, fetcher in _candidates(page.url):
            try:
                snapshot = await fetcher(client, page)
            except PollFailed as exc:
                if exc.reason not in WRONG_PLATFORM:
                    raise
                tried.append(f"{name}: {exc.reason.value}")
                continue
            self._decisions[page.url] = _Decision(name)
            log.info("status page %s: detected provider %s at %s", page.name, name, page.url)
            return dataclasses.replace(snapshot, provider=name)
        raise PollFailed(
            PollError.INVALID_PAYLOAD,
            "no known status-page platform answered (" + "; ".join(tried) + ")",
        )

    def _count_failure(self, page: StatusPageConfig, decision: _Decision, exc: PollFailed) -> None:
        if exc.reason not in WRONG_PLATFORM:
            return
        decision.failures += 1
        if decision.failures >= REDETECT_AFTER:
            del self._decisions[page.url]
            log.info(
                "status page %s: %d polls in a row failed as %s; detecting its provider again",
                page.name,
                decision.failures,
                decision.provider,
            )


def _candidates(url: str) -> tuple[tuple[str, Fetcher], ...]:
    if statusio.API_PATH in urlsplit(url).path:
        return (("statusio", statusio.fetch),)
    return CANDIDATES


async def fetch(client: PollClient, page: StatusPageConfig) -> PageSnapshot:
    """Poll `page` as the platform its client's detector decided (detecting it first)."""
    return await client.detector.fetch(client, page)
