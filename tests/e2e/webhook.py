"""A webhook receiver for Alertmanager: records every notification with the time it arrived.

Alertmanager's webhook payload (https://prometheus.io/docs/alerting/latest/configuration/
#webhook_config): `{"version": "4", "receiver", "status", "alerts": [{"status", "labels",
"annotations", "startsAt", "endsAt", ...}], "groupLabels", "commonLabels", ...}`.
Each receiver of the routing tree posts to its own path, `/<receiver>`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Received:
    """One alert in one notification."""

    at: float  # wall clock, when the notification arrived
    receiver: str  # the path it was posted to
    status: str  # firing | resolved
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: float  # Prometheus' activation time of the alert

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")


class Webhook:
    def __init__(self) -> None:
        self.notifications: list[tuple[float, str, dict[str, Any]]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{receiver}", self._receive)
        return app

    async def _receive(self, request: web.Request) -> web.Response:
        payload = await request.json()
        self.notifications.append((time.time(), request.match_info["receiver"], payload))
        return web.Response(text="ok")

    def alerts(self) -> Iterator[Received]:
        """Every alert of every notification, in the order they arrived."""
        for at, receiver, payload in list(self.notifications):
            for alert in payload.get("alerts", []):
                yield Received(
                    at=at,
                    receiver=receiver,
                    status=alert["status"],
                    labels=alert["labels"],
                    annotations=alert.get("annotations", {}),
                    starts_at=_parse_time(alert["startsAt"]),
                )

    @contextlib.asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        """Serve on a free loopback port; yields the base URL."""
        runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            yield f"http://{host}:{port}"
        finally:
            await runner.cleanup()


def _parse_time(text: str) -> float:
    """Alertmanager's RFC 3339 timestamps, with nanoseconds."""
    head, _, rest = text.partition(".")
    if not rest:
        return datetime.fromisoformat(text).timestamp()
    digits = "".join(c for c in rest if c.isdigit())
    zone = rest[len(digits) :]
    return datetime.fromisoformat(f"{head}.{digits[:6]:0<6}{zone}").timestamp()
