"""Range queries against Prometheus' HTTP API (`/api/v1/query_range`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from exporter.sources.client import USER_AGENT


class ReportError(Exception):
    """A failure the command reports in one line and exits 1 on."""


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    points: list[tuple[float, float]]  # (unix seconds, value), ascending


class Prometheus:
    def __init__(self, url: str, *, timeout: float = 60.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ReportError(f"--prometheus {url!r}: use an http:// or https:// URL")
        self.url = url.rstrip("/")
        self._client = httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT})

    def close(self) -> None:
        self._client.close()

    def range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        params = {
            "query": expr,
            "start": f"{start:.3f}",
            "end": f"{end:.3f}",
            "step": f"{step:.3f}",
        }
        data = self._get("/api/v1/query_range", params)
        return [
            Series(dict(s["metric"]), [(float(t), float(v)) for t, v in s["values"]])
            for s in data["result"]
        ]

    def instant(self, expr: str, at: float) -> list[Series]:
        data = self._get("/api/v1/query", {"query": expr, "time": f"{at:.3f}"})
        return [
            Series(dict(s["metric"]), [(float(s["value"][0]), float(s["value"][1]))])
            for s in data["result"]
        ]

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        try:
            response = self._client.get(self.url + path, params=params)
        except httpx.HTTPError as exc:
            raise ReportError(
                f"cannot reach Prometheus at {self.url}: {exc.__class__.__name__}: {exc}"
            ) from None
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            raise ReportError(
                f"Prometheus at {self.url} answered {response.status_code} without JSON: is "
                "this the Prometheus base URL?"
            ) from None
        if response.status_code != 200 or body.get("status") != "success":
            error = body.get("error") or f"HTTP {response.status_code}"
            raise ReportError(f"Prometheus at {self.url} refused the query: {error}")
        data: dict[str, Any] = body["data"]
        return data
