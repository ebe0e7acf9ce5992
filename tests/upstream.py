"""A simulated upstream on loopback: a Statuspage v2 status page and an HTTP endpoint.

Tests drive it by setting attributes between polls. Never the internet.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp import web

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "statuspage" / name).read_text())
    return data


class Upstream:
    def __init__(self) -> None:
        self.summary: dict[str, Any] | str = fixture("operational.json")
        self.summary_status = 200
        self.api_status = 200
        self.api_body = '{"ok": true}'
        self.hold = asyncio.Event()  # cleared: summary requests wait until it is set
        self.hold.set()
        self.hits: Counter[str] = Counter()
        self.headers_seen: list[dict[str, str]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v2/summary.json", self._summary)
        app.router.add_route("*", "/api/{tail:.*}", self._api)
        return app

    async def _summary(self, request: web.Request) -> web.Response:
        self.hits["summary"] += 1
        await asyncio.wait_for(self.hold.wait(), timeout=30)
        if isinstance(self.summary, str):
            return web.Response(
                text=self.summary, content_type="text/html", status=self.summary_status
            )
        return web.json_response(self.summary, status=self.summary_status)

    async def _api(self, request: web.Request) -> web.Response:
        self.hits["api"] += 1
        self.headers_seen.append(dict(request.headers))
        return web.Response(
            text=self.api_body,
            status=self.api_status,
            content_type="application/json",
            headers={"request-id": f"req_{self.hits['api']:04d}"},
        )
