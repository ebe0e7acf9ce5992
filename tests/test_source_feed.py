"""The RSS/Atom feed source: the pure parser and its heuristics on fixtures in the real
shapes, XML it must refuse, and fetching from a site on loopback.

Fixtures under tests/fixtures/feed/ follow the real shapes of AWS's
`https://status.aws.amazon.com/rss/all.rss` (RSS 2.0; each update of an event is a new item
whose title starts with a status label, `[RESOLVED]` once it is over), a Statuspage page's
`history.atom` (Atom; one entry per incident whose HTML content lists the updates newest
first, "<strong>Identified</strong> - ...") and Azure's
`https://azure.status.microsoft/en-us/status/feed/` (RSS 2.0 with `a10:updated`).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.errors import ParseError
from exporter.models import Impact, Incident, Indicator, PageSnapshot, PollError
from exporter.sources import feed
from exporter.sources.feed import RECENT, parse
from tests.platforms import Reply, fetch_failure, parses_or_raises_parse_error, poll_site, raw

NOW = 1776262800.0  # 2026-04-15T14:20:00Z


def parse_fixture(name: str, now: float = NOW) -> PageSnapshot:
    return parse(raw("feed", name), now=now)


def test_aws_incident_groups_updates_and_skips_resolved_and_old_events() -> None:
    snapshot = parse_fixture("aws_incident.rss")
    assert snapshot.indicator is Indicator.MINOR
    assert snapshot.incidents == (
        Incident(
            id="http://status.aws.amazon.com/#multipleservices-us-east-1_1776262500",  # newest
            name="Increased Error Rates and Latencies",  # the status label removed
            status="open",  # no status word in the newest post
            impact=Impact.MINOR,
            started_at=1776261060.0,  # the oldest post of the group, 06:51 PDT
        ),
    )  # the [RESOLVED] Lambda event and the 3-day-old CloudWatch one are left out
    assert snapshot.components == ()  # a feed has none
    assert snapshot.updated_at == 1776262800.0  # lastBuildDate 07:20 PDT


def test_aws_all_resolved_is_operational() -> None:
    snapshot = parse_fixture("aws_operational.rss")
    assert (snapshot.indicator, snapshot.incidents, snapshot.maintenances) == (
        Indicator.NONE,
        (),
        (),
    )


def test_statuspage_history_reads_the_newest_updates_status() -> None:
    snapshot = parse_fixture("statuspage_history.atom")
    assert snapshot.indicator is Indicator.MINOR
    assert snapshot.incidents == (
        Incident(
            id="tag:status.claude.com,2005:Incident/28817363",
            name="Elevated errors on claude.ai",
            status="identified",
            impact=Impact.MINOR,
            started_at=1776261060.0,  # published 13:51Z
        ),
    )  # "Resolved" is left out, and so is the maintenance still "Scheduled"
    assert snapshot.maintenances == (
        Incident(
            id="tag:status.claude.com,2005:Incident/28817001",
            name="Scheduled maintenance of platform.claude.com",
            status="in_progress",
            impact=Impact.NONE,
            started_at=1776254400.0,
        ),
    )
    assert snapshot.updated_at == 1776262188.0  # the feed's <updated>


def test_azure_active_incident() -> None:
    snapshot = parse_fixture("azure.rss")
    assert [(i.name, i.status) for i in snapshot.incidents] == [
        (
            "Azure OpenAI Service - Degraded availability in East US 2 - Investigating",
            "investigating",
        )
    ]


def test_an_incident_silent_for_longer_than_recent_is_over() -> None:
    assert parse_fixture("azure.rss", now=1776261900.0 + RECENT).incidents != ()
    assert parse_fixture("azure.rss", now=1776261900.0 + RECENT + 1).incidents == ()


def test_only_maintenance_in_progress_is_indicator_maintenance() -> None:
    atom = raw("feed", "statuspage_history.atom").replace(
        b"&lt;strong&gt;Identified", b"&lt;strong&gt;Resolved"
    )
    snapshot = parse(atom, now=NOW)
    assert (snapshot.indicator, snapshot.incidents) == (Indicator.MAINTENANCE, ())


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<rss version="2.0"><channel><title>&b;</title></channel></rss>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&x;</title></channel></rss>"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (BOMB, "feed: declares XML entities or external references"),
        (EXTERNAL, "feed: declares XML entities or external references"),
        (b"<html><body>Access denied</body></html>", "feed: not an RSS or Atom document"),
        (b'{"status": {"indicator": "none"}}', "feed: not an RSS or Atom document"),
        (b"", "feed: not an RSS or Atom document"),
    ],
)
def test_what_is_not_a_feed_raises_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(body, now=NOW)


def test_an_empty_feed_is_operational() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    assert parse(body, now=NOW) == PageSnapshot(Indicator.NONE)


# --- property: arbitrary XML-ish text parses or raises ParseError ------------------------------

tags = st.sampled_from(["rss", "channel", "item", "title", "pubDate", "description", "feed",
                        "entry", "updated", "published", "id", "content", "summary"])  # fmt: skip
texts = st.text(max_size=20) | st.sampled_from(
    ["[RESOLVED] x", "Resolved - done", "Investigating", "In progress", "Scheduled",
     "Wed, 15 Apr 2026 07:15:00 PDT", "2026-04-15T14:09:48Z", "&amp;", "&lt;b&gt;"]
)  # fmt: skip
elements = st.recursive(
    texts,
    lambda inner: st.builds(
        lambda t, kids: f"<{t}>{''.join(kids)}</{t}>", tags, st.lists(inner, max_size=3)
    ),
    max_leaves=12,
)
prologs = st.sampled_from(["", '<?xml version="1.0"?>', '<?xml version="1.0" encoding="latin-1"?>'])
documents = st.builds(lambda prolog, body: prolog + body, prologs, elements)


@settings(max_examples=200, deadline=None)
@given(documents.map(str.encode) | st.binary(max_size=64))
def test_any_xml_parses_or_raises_parse_error(body: bytes) -> None:
    parses_or_raises_parse_error(lambda b: parse(b, now=NOW), body)


async def test_fetch_reads_the_feed_url_asking_for_a_feed() -> None:
    body = raw("feed", "azure.rss")
    routes = {"/en-us/status/feed/": Reply(body, content_type="application/rss+xml")}
    snapshot, served = await poll_site(routes, "feed", "/en-us/status/feed/")
    assert [i.status for i in snapshot.incidents] in ([], ["investigating"])  # now: real time
    assert served.hits == {"/en-us/status/feed/": 1}
    assert served.accept["/en-us/status/feed/"] == feed.ACCEPT


async def test_an_html_page_is_invalid_payload() -> None:
    routes = {"/": Reply("<html><body>Status</body></html>", content_type="text/html")}
    failed, _ = await fetch_failure(feed.fetch, routes, "feed", "/")
    assert (failed.reason, failed.detail) == (
        PollError.INVALID_PAYLOAD,
        "feed: not an RSS or Atom document",
    )
