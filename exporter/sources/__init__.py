"""Status-page sources: one module per platform, behind the `SOURCES` registry.

To add a platform, write one module here with

- a pure `parse(payload: object) -> PageSnapshot` that raises `ParseError` for a payload
  without the platform's shape (no I/O, never mutates the payload), and
- `async def fetch(client, page) -> PageSnapshot` that gets the payload with
  `fetch.get_json` (deadline, size cap, one `PollFailed` reason per failure) and turns a
  `ParseError` into `PollFailed(PollError.INVALID_PAYLOAD, ...)`,

then register `fetch` in `SOURCES` under the provider name the config accepts (and, when
the platform can be recognised from its answers, in `detect.CANDIDATES`). Helpers every
parser shares (shape checks, enum fallbacks, the derived indicator) are in `shape`;
docs/sources.md says what each platform gives and what it cannot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from exporter.config import StatusPageConfig
from exporter.models import PageSnapshot
from exporter.sources import (
    client,
    detect,
    feed,
    gcp,
    incidentio,
    instatus,
    slack,
    statusio,
    statuspage,
)

Fetcher = Callable[[client.PollClient, StatusPageConfig], Awaitable[PageSnapshot]]

SOURCES: dict[str, Fetcher] = {
    "statuspage": statuspage.fetch,
    "incidentio": incidentio.fetch,
    "statusio": statusio.fetch,
    "instatus": instatus.fetch,
    "slack": slack.fetch,
    "gcp": gcp.fetch,
    "feed": feed.fetch,
    "auto": detect.fetch,
}


async def poll(poll_client: client.PollClient, page: StatusPageConfig) -> PageSnapshot:
    """Poll `page` with its provider's source; failures raise `PollFailed`."""
    return await SOURCES[page.provider](poll_client, page)
