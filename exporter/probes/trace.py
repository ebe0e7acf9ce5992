"""Phase timings and progress of one probe run, fed by httpcore's `trace` extension.

Phases are disjoint, so they stack (see http.py for what each one covers). The
trace also remembers how far the run got (`step`, for timeout details), whether
the response had started, its status, the provider's request id and the peer
certificate's expiry.
"""

from __future__ import annotations

import time
from typing import Any

from exporter.models import PHASES
from exporter.probes.tls import not_after

_STEPS = {
    "connect_tcp": "connecting",
    "start_tls": "in the TLS handshake",
    "send_request_headers": "sending the request",
    "send_request_body": "sending the request",
    "receive_response_headers": "waiting for response headers",
}


class Trace:
    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.step = "starting"
        self.response_started = False
        self.last_status = 0
        self.request_id = ""
        self.tls_not_after: float | None = None
        self._began: dict[str, float] = {}

    def add(self, phase: str, seconds: float) -> None:
        self.totals[phase] = self.totals.get(phase, 0.0) + max(seconds, 0.0)

    def phases(self) -> tuple[tuple[str, float], ...]:
        return tuple((phase, self.totals[phase]) for phase in PHASES if phase in self.totals)

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        # event: "<module>.<operation>.<started|complete|failed>",
        # e.g. "connection.connect_tcp.started", "http11.receive_response_headers.complete".
        operation, _, stage = event.partition(".")[2].rpartition(".")
        now = time.perf_counter()
        if stage == "started":
            self._began[operation] = now
            self.step = _STEPS.get(operation, self.step)
            return
        began = self._began.get(operation)
        if stage != "complete" or began is None:
            return
        if operation == "connect_tcp":
            self.add("connect", now - began)
        elif operation == "start_tls":
            self.add("tls", now - began)
            self.tls_not_after = not_after(info.get("return_value"))
        elif operation == "receive_response_headers":
            sent = self._began.get("send_request_headers", began)
            self.add("ttfb", now - sent)
            self.last_status = _status_of(info.get("return_value"))


def _status_of(value: object) -> int:
    # return_value of receive_response_headers: (http_version, status, reason, headers)
    if isinstance(value, tuple) and len(value) > 1 and isinstance(value[1], int):
        return value[1]
    return 0
