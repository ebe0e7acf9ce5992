"""RSS and Atom incident feeds: `GET <url>`, the feed itself.

For feeds such as AWS's `https://status.aws.amazon.com/rss/all.rss`, Azure's
`https://azure.status.microsoft/en-us/status/feed/`, a Statuspage page's `history.atom`
or Slack's `https://slack-status.com/feed/atom`. The XML is first checked with defusedxml
(a feed that declares entities or external references is refused: that is how XML bombs
work), then read by feedparser.

A feed is a list of posts, not a state: it has incidents but no components, no impacts and
no maintenance schedule. What statusprobe makes of it, heuristically:

- Posts are grouped into incidents by title: lower-cased, without bracketed tags such as
  `[RESOLVED]` and without a leading status label (`Informational message:`,
  `Service is operating normally:`, `Resolved:` ... see `LABELS`). AWS posts each update of
  an event as a new item under (nearly) the same title; Statuspage keeps one entry per
  incident. The newest post of a group speaks for the incident.
- The status of a post is the first status word (`STATUS_WORDS`: investigating,
  identified, monitoring, update, resolved, completed, scheduled, in progress, verifying,
  postmortem) in the first `HEAD_CHARS` characters of its text, HTML tags removed, where
  Statuspage writes the newest update's status ("Apr 15, 14:09 UTC Identified - ...");
  `open` when there is none.
- An incident is resolved when its newest post's title says `resolved` or `operating
  normally`, or its status is resolved, completed or postmortem. It is recent when its
  newest post (by `updated`, else `published`) is at most `RECENT` old; posts without a
  date are left out. Open incidents are the recent, unresolved ones; those whose status is
  `in progress` or `verifying` are maintenances instead, and `scheduled` ones are left out.
- Every open incident has impact `minor` (a feed does not say); `started_at` is the
  group's oldest post, the id is the newest post's id (else its link, else the title).
- The indicator is `minor` with open incidents, else `maintenance` with maintenances in
  progress, else `none`. The page's last update is the feed's `updated`, else its newest
  post's date.

Limits, honestly: a title that merely contains "resolved" hides its incident; an
incident silent for longer than `RECENT` disappears; an incident whose updates change its
title splits; two same-titled incidents merge. A feed has no unknown enum values: nothing
is recorded in `unknown_values`.
"""

from __future__ import annotations

import calendar
import io
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import defusedxml
import defusedxml.ElementTree
import feedparser  # type: ignore[import-untyped]  # no stubs, no py.typed

from exporter.config import StatusPageConfig
from exporter.errors import ParseError
from exporter.models import Impact, Incident, Indicator, PageSnapshot
from exporter.sources import shape
from exporter.sources.fetch import get_bytes

if TYPE_CHECKING:
    from exporter.sources.client import PollClient

ACCEPT = "application/atom+xml, application/rss+xml, application/xml;q=0.9, text/xml;q=0.8"
RECENT = 24 * 3600.0  # seconds: an incident silent for longer is taken as over
HEAD_CHARS = 240
LABELS = (
    "informational message",
    "service is operating normally",
    "performance issues",
    "service disruption",
    "service impact",
    "resolved",
    "update",
    "investigating",
    "identified",
    "monitoring",
)
STATUS_WORDS = (
    "investigating",
    "identified",
    "monitoring",
    "update",
    "resolved",
    "completed",
    "scheduled",
    "in progress",
    "verifying",
    "postmortem",
)
RESOLVED_STATUSES = frozenset({"resolved", "completed", "postmortem"})
MAINTENANCE_STATUSES = frozenset({"in_progress", "verifying"})
NOT_STARTED = frozenset({"scheduled"})

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_BRACKETED = re.compile(r"\[[^\]]*\]")
_LABEL = re.compile(r"^\s*(?:" + "|".join(map(re.escape, LABELS)) + r")\s*:\s*", re.IGNORECASE)
_STATUS = re.compile(r"\b(" + "|".join(STATUS_WORDS) + r")\b", re.IGNORECASE)
_RESOLVED_TITLE = re.compile(r"\b(resolved|operating normally)\b", re.IGNORECASE)


async def fetch(client: PollClient, page: StatusPageConfig) -> PageSnapshot:
    """Poll the feed at `page.url`; a body that is not a feed is INVALID_PAYLOAD."""
    body, content_type = await get_bytes(
        client, page.url, timeout=page.effective_timeout, accept=ACCEPT
    )
    with shape.poll_failure_on_parse_error():
        return parse(body, now=time.time(), content_type=content_type)


def parse(body: bytes, *, now: float, content_type: str = "") -> PageSnapshot:
    """A `PageSnapshot` from a feed's bytes as of `now` (unix seconds); `ParseError` when
    the body is not RSS or Atom, or declares entities."""
    _refuse_entities(body)
    parsed = _feedparser(body, content_type)
    if not _get(parsed, "version") and not _get(parsed, "entries"):
        raise ParseError("feed: not an RSS or Atom document")
    posts = [_post(entry) for entry in _get(parsed, "entries") or []]
    incidents, maintenances = _open(_groups(posts), now)
    feed_updated = _seconds(_get(_get(parsed, "feed"), "updated_parsed"))
    return PageSnapshot(
        indicator=_indicator(incidents, maintenances),
        incidents=incidents,
        maintenances=maintenances,
        updated_at=feed_updated or shape.latest(p.at for p in posts),
    )


# --- reading the XML ----------------------------------------------------------------------


def _refuse_entities(body: bytes) -> None:
    """ParseError for a document with entity declarations or external references."""
    try:
        defusedxml.ElementTree.fromstring(
            body, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except defusedxml.DefusedXmlException:
        raise ParseError("feed: declares XML entities or external references") from None
    except (ET.ParseError, ValueError, LookupError):
        pass  # not well-formed XML: feedparser's lenient parser decides


def _feedparser(body: bytes, content_type: str) -> Any:
    headers = {"content-type": content_type} if content_type else {}
    try:  # a stream, never a string: feedparser reads a string as a URL or a path
        return feedparser.parse(io.BytesIO(body), response_headers=headers)
    except (ValueError, LookupError, TypeError, RecursionError, AttributeError):
        raise ParseError("feed: not an RSS or Atom document") from None


# --- posts and incidents ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Post:
    key: str  # the grouping key: the title without status labels and tags
    title: str  # the title without status labels and tags, as written
    raw_title: str
    id: str
    at: float | None  # updated, else published
    published: float | None
    status: str


def _post(entry: Any) -> _Post:
    raw_title = _clean(_string(_get(entry, "title")))
    title = _clean(_LABEL.sub("", _BRACKETED.sub(" ", raw_title)))
    head = _clean(_TAG.sub(" ", _string(_get(entry, "summary"))))[:HEAD_CHARS]
    found = _STATUS.search(head)
    published = _seconds(_get(entry, "published_parsed"))
    return _Post(
        key=title.lower(),
        title=title,
        raw_title=raw_title,
        id=_string(_get(entry, "id")) or _string(_get(entry, "link")) or title,
        at=_seconds(_get(entry, "updated_parsed")) or published,
        published=published,
        status=found.group(1).lower().replace(" ", "_") if found else "open",
    )


def _groups(posts: Iterable[_Post]) -> list[list[_Post]]:
    """Posts grouped by key, each group newest first, groups in first-seen order."""
    groups: dict[str, list[_Post]] = {}
    for post in posts:
        if post.at is not None:
            groups.setdefault(post.key, []).append(post)
    return [sorted(g, key=lambda p: p.at or 0.0, reverse=True) for g in groups.values()]


def _open(
    groups: list[list[_Post]], now: float
) -> tuple[tuple[Incident, ...], tuple[Incident, ...]]:
    incidents: list[Incident] = []
    maintenances: list[Incident] = []
    for group in groups:
        newest = group[0]
        if _resolved(newest) or newest.status in NOT_STARTED:
            continue
        if newest.at is None or now - newest.at > RECENT:
            continue
        item = Incident(
            id=newest.id,
            name=newest.title,
            status=newest.status,
            impact=Impact.MINOR if newest.status not in MAINTENANCE_STATUSES else Impact.NONE,
            started_at=min((p.published or p.at or now) for p in group),
        )
        (maintenances if newest.status in MAINTENANCE_STATUSES else incidents).append(item)
    return tuple(incidents), tuple(maintenances)


def _resolved(post: _Post) -> bool:
    return bool(_RESOLVED_TITLE.search(post.raw_title)) or post.status in RESOLVED_STATUSES


def _indicator(incidents: tuple[Incident, ...], maintenances: tuple[Incident, ...]) -> Indicator:
    if incidents:
        return Indicator.MINOR
    return Indicator.MAINTENANCE if maintenances else Indicator.NONE


# --- small conversions -----------------------------------------------------------------


def _get(parsed: object, key: str) -> Any:
    """`parsed[key]` as feedparser stored it, without FeedParserDict's aliases (which
    answer `updated_parsed` with `published_parsed`, and warn); None when absent."""
    return dict.get(parsed, key) if isinstance(parsed, dict) else None


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _seconds(parsed: object) -> float | None:
    """Unix seconds of feedparser's UTC `struct_time`; None when absent or unusable."""
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        return float(calendar.timegm(parsed))
    except (OverflowError, ValueError):
        return None
