"""Conditional requests (ETag, Last-Modified): the stored responses they revalidate.

A polling client (`client.PollClient`) may carry a `ResponseStore`.
`fetch._download` then sends a GET whose last 200 came with an `ETag` or a
`Last-Modified` with `If-None-Match` / `If-Modified-Since`, and when the server answers
304 Not Modified it decodes the stored body again: to the source a 304 is simply the
same page again, a successful poll that cost the server a header exchange instead of
the body. This is what a private HTTP cache does when it revalidates on every request
(RFC 9111, section 4.3); nothing is ever served without asking.

Stored are complete 200 answers that carry a validator and no `Cache-Control: no-store`,
still content-encoded as they came over the wire (so gzip pages stay small), each at most
`max_entry_bytes`, in an LRU bounded by `max_entries` and `max_total_bytes`. An answer
abandoned half-way (too large, timed out) is never stored. The key is the URL with the
request's Accept and Accept-Encoding. The store lives with the client, so a client
without one (`statusprobe once`) makes plain requests.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import httpx

MiB = 1024 * 1024
_VALIDATORS = (("etag", "if-none-match"), ("last-modified", "if-modified-since"))
_KEPT_HEADERS = ("content-type", "content-encoding", "etag", "last-modified")

Key = tuple[str, str, str]  # url, accept, accept-encoding


@dataclass(frozen=True, slots=True)
class Stored:
    headers: tuple[tuple[str, str], ...]  # those of _KEPT_HEADERS that the 200 had
    body: bytes  # as received: still content-encoded

    @classmethod
    def of(cls, response: httpx.Response, body: bytes) -> Stored:
        kept = tuple((k, response.headers[k]) for k in _KEPT_HEADERS if k in response.headers)
        return cls(kept, body)

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k == name), "")

    def conditional_headers(self) -> dict[str, str]:
        return {cond: self.header(v) for v, cond in _VALIDATORS if self.header(v)}

    def refreshed(self, not_modified: httpx.Response) -> Stored:
        """With the validators a 304 sent, which replace the stored ones (RFC 9111 4.3.4)."""
        fresh = {k: not_modified.headers[k] for k, _ in _VALIDATORS if k in not_modified.headers}
        if not fresh:
            return self
        kept = tuple((k, v) for k, v in self.headers if k not in fresh)
        return Stored(kept + tuple(fresh.items()), self.body)


def storable(response: httpx.Response) -> bool:
    """A 200 worth keeping: it has a validator and does not forbid storing."""
    no_store = "no-store" in response.headers.get("cache-control", "").lower()
    return not no_store and any(k in response.headers for k, _ in _VALIDATORS)


class ResponseStore:
    """The last validated 200 per key, LRU-bounded; counts what 304s saved."""

    def __init__(
        self,
        *,
        max_entries: int = 1024,
        max_total_bytes: int = 64 * MiB,
        max_entry_bytes: int = 5 * MiB,
        on_not_modified: Callable[[int], None] | None = None,
    ) -> None:
        self.max_entry_bytes = min(max_entry_bytes, max_total_bytes)
        self._max_entries = max_entries
        self._max_total = max_total_bytes
        self._entries: OrderedDict[Key, Stored] = OrderedDict()
        self._total = 0
        self._on_not_modified = on_not_modified
        self.not_modified = 0  # 304s answered from the store
        self.saved_bytes = 0  # the stored (encoded) bodies those 304s did not resend

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def total_bytes(self) -> int:
        return self._total

    def get(self, key: Key) -> Stored | None:
        stored = self._entries.get(key)
        if stored is not None:
            self._entries.move_to_end(key)
        return stored

    def put(self, key: Key, stored: Stored) -> None:
        self.discard(key)
        if len(stored.body) > self.max_entry_bytes:
            return
        self._entries[key] = stored
        self._total += len(stored.body)
        while len(self._entries) > self._max_entries or self._total > self._max_total:
            _, evicted = self._entries.popitem(last=False)
            self._total -= len(evicted.body)

    def discard(self, key: Key) -> None:
        stored = self._entries.pop(key, None)
        if stored is not None:
            self._total -= len(stored.body)

    def count_not_modified(self, stored: Stored) -> None:
        self.not_modified += 1
        self.saved_bytes += len(stored.body)
        if self._on_not_modified is not None:
            self._on_not_modified(len(stored.body))
