"""The landing page in a real headless Chromium (Debian's `chromium`), over loopback."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from aiohttp.test_utils import TestServer

from exporter.config import parse_config
from exporter.http.app import create_app
from exporter.runtime import Runtime
from tests.tools import binary
from tests.upstream import Upstream

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium() -> str:
    return binary("chromium", "chromium")


async def browse(url: str, *args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        proc = await asyncio.create_subprocess_exec(
            chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            *args,
            url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    return out.decode()


async def test_the_landing_page_renders_pages_and_probes(
    upstream: tuple[Upstream, str], tmp_path: Path
) -> None:
    sim, base = upstream
    sim.api_status = 529
    config = parse_config(
        {
            "status_pages": [{"name": "acme", "url": base, "interval": "5s"}],
            "probes": [
                {
                    "name": "acme-api",
                    "type": "http",
                    "url": f"{base}/api/x",
                    "interval": "5s",
                    "page": "acme",
                    "component": "claude.ai",
                }
            ],
        }
    )
    runtime = Runtime(config, None)
    server = TestServer(create_app(runtime), host="127.0.0.1")
    await server.start_server()
    try:
        async with asyncio.timeout(10):
            await runtime.scheduler.ready.wait()  # type: ignore[union-attr]
        url = str(server.make_url("/"))
        dom = await browse(url, "--dump-dom")
        shot = tmp_path / "landing.png"
        await browse(url, f"--screenshot={shot}", "--window-size=1200,700")
    finally:
        await server.close()
    assert "<h1>statusprobe 0.1.0</h1>" in dom
    assert "acme-api" in dom and "overloaded" in dom and "529" in dom
    assert '<td class="ok">operational</td>' in dom  # official status beside the outcome
    assert dom.count("<tr>") == 4  # two header rows, one page, one probe
    assert shot.stat().st_size > 10_000  # a real PNG of the rendered page
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
