"""`statusprobe demo` as a user runs it: a real process, the story on a fast loop."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Any

import httpx

from tests.test_cli import free_port, statusprobe


async def _poll_until(url: str, check: Callable[[dict[str, Any]], bool], timeout: float) -> None:
    async with httpx.AsyncClient(timeout=5) as client, asyncio.timeout(timeout):
        while True:
            try:
                if check((await client.get(url)).json()):
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)


def _probe(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in doc["probes"] if p["name"] == name)


async def test_demo_plays_the_outage_and_the_exporter_sees_it() -> None:
    port = free_port()
    # 300x: healthy 3s, spikes 5s, incident 3s, monitoring 2s, resolved 4s, then again.
    proc = await asyncio.create_subprocess_exec(
        *statusprobe("demo", "--web.listen-address", f"127.0.0.1:{port}", "--speed", "300"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    status = f"http://127.0.0.1:{port}/api/v1/status"
    try:

        def region_b_failed_while_operational(doc: dict[str, Any]) -> bool:
            b = _probe(doc, "claude-api-b")
            failure = b["last_failure"] or {}
            return failure.get("outcome") in {"auth_error", "overloaded", "timeout"}

        def incident_declared(doc: dict[str, Any]) -> bool:
            page = doc["status_pages"][0]
            return page["indicator"] == "minor" and len(page["incidents"]) == 1

        await _poll_until(status, region_b_failed_while_operational, timeout=30)
        await _poll_until(status, incident_declared, timeout=30)
        async with httpx.AsyncClient(timeout=5) as client:
            doc = (await client.get(status)).json()
            metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
        for healthy in ("claude-api-a", "claude-api-c"):
            assert _probe(doc, healthy)["last_failure"] is None
        assert 'statusprobe_page_up{page="claude"} 1.0' in metrics
        assert 'statusprobe_probe_ttft_seconds_count{probe="claude-api-a"}' in metrics
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), timeout=10)
    assert code == 0
    assert proc.stdout is not None
    out = (await proc.stdout.read()).decode()
    assert "status board   http://127.0.0.1:" in out
    for phase in ("healthy:", "spikes:", "incident:"):
        assert phase in out
