"""Polite JSON fetching shared by every status-page source.

`get_json` makes one GET and either returns the decoded JSON or raises `PollFailed` with
the counted reason and a short, human detail. Details never quote the response body or
the request headers: they end up in logs and on the status page.

Politeness: a total deadline covers the whole exchange, body included, so a server that
drips bytes forever cannot hold a poll slot; the body is streamed and abandoned once it
passes `max_bytes` (counted after content decoding, so a compressed bomb stops early too).
Conditional requests (ETag) and Retry-After belong in `_download` / `_check_status`.
"""

from __future__ import annotations

import asyncio
import json

import httpx

from exporter.errors import PollFailed
from exporter.models import PollError
from exporter.transport_errors import classify_transport_error

MAX_BYTES = 5 * 1024 * 1024
REQUEST_HEADERS = {"Accept": "application/json"}

_TRANSPORT_LABEL = {
    PollError.DNS_ERROR: "DNS lookup failed",
    PollError.TLS_ERROR: "TLS handshake failed",
    PollError.CONNECT_ERROR: "connection failed",
}


async def get_json(
    client: httpx.AsyncClient,
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


async def _download(
    client: httpx.AsyncClient, url: str, *, deadline: float, max_bytes: int
) -> tuple[httpx.Response, bytes]:
    try:
        async with asyncio.timeout(deadline):
            async with client.stream(
                "GET", url, headers=REQUEST_HEADERS, timeout=deadline
            ) as response:
                _check_status(response)
                return response, await _read_capped(response, max_bytes)
    except httpx.TooManyRedirects:
        raise PollFailed(PollError.HTTP_ERROR, "too many redirects") from None
    except httpx.DecodingError:
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
    # The standard phrase, not the server's: a reason phrase is free text from upstream.
    raise PollFailed(reason, f"HTTP {code} {httpx.codes.get_reason_phrase(code)}".rstrip())


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise PollFailed(PollError.TOO_LARGE, f"the body exceeds {max_bytes} bytes")
    return bytes(body)


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
