"""Polite JSON fetching shared by every status-page source.

`get_json` makes one GET and either returns the decoded JSON or raises `PollFailed` with
the counted reason and a short, human detail. Details never quote the response body or
the request headers: they end up in logs and on the status page.

Politeness: a total deadline covers the whole exchange, body included, so a server that
drips bytes forever cannot hold a poll slot; the body is streamed and abandoned once it
passes `max_bytes`. Content decoding is ours (`decoding.BoundedDecoder`, gzip and deflate
only), not httpx's: zlib is asked for 64 KiB at a time, so a small gzip bomb that would
expand to gigabytes ends as TOO_LARGE after holding about `max_bytes` in memory.

A 429 or 503 carries the server's `Retry-After` (seconds) on the `PollFailed`; the
scheduler waits at least that long before the page's next poll (`backoff.backoff_delay`).
When the `PollClient` carries a `revalidate.ResponseStore`, requests are conditional (ETag,
Last-Modified) and a 304 Not Modified decodes the stored body again: a successful poll
that did not resend the page.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING

import httpx

from exporter.errors import PollFailed
from exporter.models import PollError
from exporter.sources import revalidate
from exporter.sources.backoff import parse_retry_after
from exporter.sources.decoding import (
    ACCEPT_ENCODING,
    BoundedDecoder,
    DecodingFailed,
    LimitExceeded,
)
from exporter.transport_errors import classify_transport_error

if TYPE_CHECKING:
    from exporter.sources.client import PollClient

MAX_BYTES = 5 * 1024 * 1024
REQUEST_HEADERS = {"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
_BACKOFF_STATUSES = (429, 503)  # the statuses whose Retry-After is honoured


class RequestRefused(httpx.RequestError):
    """A request hook refused a URL: a /probe redirect outside the allow-list.

    Its message is ours and safe to show; it never quotes the URL.
    """


_TRANSPORT_LABEL = {
    PollError.DNS_ERROR: "DNS lookup failed",
    PollError.TLS_ERROR: "TLS handshake failed",
    PollError.CONNECT_ERROR: "connection failed",
}


async def get_json(
    client: PollClient,
    url: str,
    *,
    timeout: float,  # noqa: ASYNC109 -- the sources' contract; enforced with asyncio.timeout
    max_bytes: int = MAX_BYTES,
) -> object:
    """GET `url` and decode its JSON body; every failure is a `PollFailed`.

    `timeout` (seconds) bounds the whole request, body included, and each httpx operation.
    Redirects follow the client's settings; too many of them is an HTTP error.
    """
    response, body = await _download(client, url, deadline=timeout, max_bytes=max_bytes)
    return _decode(body, response.headers.get("content-type", ""))


async def get_bytes(
    client: PollClient,
    url: str,
    *,
    timeout: float,  # noqa: ASYNC109 -- as get_json
    accept: str,
    max_bytes: int = MAX_BYTES,
) -> tuple[bytes, str]:
    """GET `url` as `get_json` does (same deadline, caps and failures), asking for
    `accept`; the decoded body and its Content-Type, for sources that parse it themselves
    (feeds)."""
    response, body = await _download(
        client, url, deadline=timeout, max_bytes=max_bytes, accept=accept
    )
    return body, response.headers.get("content-type", "")


async def _download(
    client: PollClient,
    url: str,
    *,
    deadline: float,
    max_bytes: int,
    accept: str = REQUEST_HEADERS["Accept"],
) -> tuple[httpx.Response, bytes]:
    headers = {**REQUEST_HEADERS, "Accept": accept}
    store = client.store
    key = (url, accept, headers["Accept-Encoding"])
    stored = store.get(key) if store is not None else None
    if stored is not None:
        headers.update(stored.conditional_headers())
    try:
        async with asyncio.timeout(deadline):
            async with client.http.stream(
                "GET", url, headers=headers, timeout=deadline
            ) as response:
                if store is not None and stored is not None and response.status_code == 304:
                    return _not_modified(store, key, stored.refreshed(response), max_bytes)
                _check_status(response)
                keep = store is not None and revalidate.storable(response)
                body, raw = await _read_capped(response, max_bytes, keep_raw=keep)
                if store is not None and response.status_code == 200:
                    if raw is None:
                        store.discard(key)  # no validator (any more): nothing to revalidate
                    else:
                        store.put(key, revalidate.Stored.of(response, raw))
                return response, body
    except httpx.TooManyRedirects:
        raise PollFailed(PollError.HTTP_ERROR, "too many redirects") from None
    except RequestRefused as exc:
        raise PollFailed(PollError.HTTP_ERROR, str(exc)) from None
    except DecodingFailed:
        raise PollFailed(PollError.INVALID_JSON, "the body's content encoding is corrupt") from None
    except (httpx.TransportError, TimeoutError) as exc:
        raise _transport_failure(exc, deadline) from None
    except httpx.InvalidURL:
        raise PollFailed(PollError.CONNECT_ERROR, "invalid URL") from None


def _check_status(response: httpx.Response) -> None:
    code = response.status_code
    if 200 <= code < 300:
        return
    reason = PollError.RATE_LIMITED if code == 429 else PollError.HTTP_ERROR
    retry_after = None
    if code in _BACKOFF_STATUSES:
        retry_after = parse_retry_after(response.headers.get("retry-after"), now=time.time())
    # The standard phrase, not the server's: a reason phrase is free text from upstream.
    detail = f"HTTP {code} {httpx.codes.get_reason_phrase(code)}".rstrip()
    raise PollFailed(reason, detail, retry_after=retry_after)


def _not_modified(
    store: revalidate.ResponseStore, key: revalidate.Key, stored: revalidate.Stored, max_bytes: int
) -> tuple[httpx.Response, bytes]:
    """A 304 to our conditional request: the stored 200 again, as if it had been resent."""
    store.put(key, stored)
    store.count_not_modified(stored)
    decoder = BoundedDecoder(stored.header("content-encoding"), max_bytes)
    try:
        decoder.feed(stored.body)
    except LimitExceeded:
        raise PollFailed(PollError.TOO_LARGE, f"the body exceeds {max_bytes} bytes") from None
    # Decoded already: the stand-in response names no content coding.
    headers = [(k, v) for k, v in stored.headers if k != "content-encoding"]
    return httpx.Response(200, headers=headers), decoder.finish()


async def _read_capped(
    response: httpx.Response, max_bytes: int, *, keep_raw: bool = False
) -> tuple[bytes, bytes | None]:
    """The decoded body, and with `keep_raw` the body as received (for the store);
    TOO_LARGE once either passes `max_bytes`."""
    decoder = BoundedDecoder(response.headers.get("content-encoding", ""), max_bytes)
    raw: list[bytes] | None = [] if keep_raw else None
    try:
        async for chunk in response.aiter_raw():
            decoder.feed(chunk)
            if raw is not None:
                raw.append(chunk)
    except LimitExceeded:
        raise PollFailed(PollError.TOO_LARGE, f"the body exceeds {max_bytes} bytes") from None
    return decoder.finish(), None if raw is None else b"".join(raw)


def _decode(body: bytes, content_type: str) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        media_type = content_type.partition(";")[0].strip()[:60] or "no content type"
        raise PollFailed(PollError.INVALID_JSON, f"the body is not JSON ({media_type})") from None


def _transport_failure(exc: BaseException, timeout: float) -> PollFailed:
    reason = PollError(classify_transport_error(exc))
    kind = type(exc).__name__  # the class only: some messages echo what was sent
    if reason is PollError.TIMEOUT:
        return PollFailed(reason, f"no complete response within {timeout:g}s ({kind})")
    return PollFailed(reason, f"{_TRANSPORT_LABEL[reason]} ({kind})")
