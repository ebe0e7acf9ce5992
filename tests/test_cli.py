"""The command line as a user runs it: real processes, a simulated upstream on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.upstream import Upstream

FIXTURES = Path(__file__).parent / "fixtures" / "config"
PLANTED = "sk-test-PLANTED-cli-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def statusprobe(*args: str) -> list[str]:
    return [sys.executable, "-m", "exporter", *args]


async def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *statusprobe(*args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def config_for(base: str, path: Path, *, probes: int = 1) -> Path:
    raw = {
        "status_pages": [{"name": "acme", "url": base, "interval": "1s"}],
        "probes": [
            {
                "name": f"acme-api-{i}",
                "type": "http",
                "url": f"{base}/api/v1/messages",
                "interval": "1s",
                "page": "acme",
                "component": "Claude API (api.anthropic.com)",
                "headers": {"x-api-key": "${STATUSPROBE_CLI_KEY}"},
            }
            for i in range(probes)
        ],
    }
    path.write_text(yaml.safe_dump(raw))
    return path


async def test_version() -> None:
    code, out, _ = await run("--version")
    assert code == 0
    assert out.strip() == "statusprobe 0.1.0"


async def test_check_config_accepts_a_valid_file_and_warns_about_literal_secrets(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "probes": [
                    {"name": "p", "type": "http", "url": "https://a.test", "bearer_token": "lit"}
                ]
            }
        )
    )
    code, out, err = await run("check-config", "--config.file", str(path))
    assert code == 0
    assert "OK (0 status pages, 1 probes, 0 SLOs)" in out
    assert "warning: probes[0].bearer_token: a literal secret" in err


async def test_check_config_lists_every_error_and_exits_1() -> None:
    code, _, err = await run("check-config", "--config.file", str(FIXTURES / "many_errors.yml"))
    assert code == 1
    assert "9 error(s)" in err
    assert "  probes[1].retries: unknown field" in err
    assert "  probes[0].page: no status page named 'claude' in status_pages" in err


async def test_run_with_a_broken_config_exits_1_before_serving() -> None:
    code, _, err = await run("run", "--config.file", str(FIXTURES / "bad_url_scheme.yml"))
    assert code == 1
    assert "1 error(s)" in err


async def test_once_prints_official_next_to_measured_and_exits_0_on_failures(
    upstream: tuple[Upstream, str], tmp_path: Path
) -> None:
    sim, base = upstream
    sim.api_status = 529
    path = config_for(base, tmp_path / "c.yml")
    code, out, _ = await run("once", "--config.file", str(path), env={"STATUSPROBE_CLI_KEY": "k"})
    assert code == 0
    lines = out.splitlines()
    page_row = next(line for line in lines if line.startswith("acme "))
    assert page_row.split()[:4] == ["acme", "statuspage", "ok", "none"]
    probe_row = next(line for line in lines if line.startswith("acme-api-0"))
    assert "operational" in probe_row and "overloaded" in probe_row and "529" in probe_row


class Exporter:
    """A `statusprobe run` process on a free loopback port."""

    def __init__(self, proc: asyncio.subprocess.Process, port: int) -> None:
        self.proc = proc
        self.url = f"http://127.0.0.1:{port}"

    async def get(self, path: str) -> httpx.Response:
        async with httpx.AsyncClient(timeout=5) as client:
            return await client.get(self.url + path)

    async def wait_ready(self, timeout: float = 20) -> None:
        async with asyncio.timeout(timeout):
            while True:
                try:
                    if (await self.get("/-/ready")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)


@pytest.fixture
async def exporter_process(
    upstream: tuple[Upstream, str], tmp_path: Path
) -> AsyncIterator[tuple[Exporter, Path]]:
    _, base = upstream
    path = config_for(base, tmp_path / "c.yml")
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        *statusprobe(
            "run",
            "--config.file",
            str(path),
            "--web.listen-address",
            f"127.0.0.1:{port}",
            "--log.format",
            "json",
            "--log.level",
            "debug",
        ),
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "STATUSPROBE_CLI_KEY": PLANTED},
    )
    try:
        yield Exporter(proc, port), path
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_run_serves_reloads_on_sighup_and_stops_cleanly_on_sigterm(
    exporter_process: tuple[Exporter, Path], upstream: tuple[Upstream, str]
) -> None:
    exporter, path = exporter_process
    sim, base = upstream
    await exporter.wait_ready()
    metrics = (await exporter.get("/metrics")).text
    assert 'statusprobe_page_up{page="acme"} 1.0' in metrics
    assert 'statusprobe_probe_success{probe="acme-api-0"} 1.0' in metrics

    config_for(base, path, probes=2)
    exporter.proc.send_signal(signal.SIGHUP)
    async with asyncio.timeout(10):
        while 'probe="acme-api-1"' not in (await exporter.get("/metrics")).text:
            await asyncio.sleep(0.1)

    sim.api_status = 401  # failures at debug level must not leak the key either
    await asyncio.sleep(1.5)
    exporter.proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(exporter.proc.wait(), timeout=10) == 0
    assert exporter.proc.stderr is not None
    log = (await exporter.proc.stderr.read()).decode()
    records = [json.loads(line) for line in log.splitlines()]  # every line is JSON
    messages = [r["msg"] for r in records]
    assert any("config reloaded" in m for m in messages)
    assert any("shutting down" in m for m in messages)
    assert {r["level"] for r in records} >= {"info", "debug"}
    assert any(h.get("x-api-key") == PLANTED for h in sim.headers_seen)
    assert PLANTED not in log


async def test_run_without_a_config_starts_and_reports_the_default_pages_down(
    tmp_path: Path,
) -> None:
    # Every poll goes through a proxy on a closed loopback port, and no name but loopback
    # resolves (tests/offline: the default config's keyless probes ignore proxies): nothing
    # leaves the machine, as on a host without internet, and the exporter must still serve.
    closed = f"http://127.0.0.1:{free_port()}"
    port = free_port()
    env = {**os.environ, "HTTPS_PROXY": closed, "HTTP_PROXY": closed, "NO_PROXY": "127.0.0.1"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parent / "offline"), *filter(None, [env.get("PYTHONPATH")])]
    )
    env.pop("https_proxy", None)
    env.pop("http_proxy", None)
    proc = await asyncio.create_subprocess_exec(
        *statusprobe("run", "--web.listen-address", f"127.0.0.1:{port}"),
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    exporter = Exporter(proc, port)
    try:
        await exporter.wait_ready()
        metrics = (await exporter.get("/metrics")).text
        for page in ("anthropic", "openai", "github"):
            assert f'statusprobe_page_up{{page="{page}"}} 0.0' in metrics
        assert (
            'statusprobe_page_poll_errors_total{page="anthropic",reason="connect_error"} 1.0'
            in metrics
        )
        # the keyless probes ran, and found no way out
        for probe in ("anthropic-api-keyless", "github-api-keyless"):
            assert (
                f'statusprobe_probe_results_total{{outcome="dns_error",probe="{probe}"}} 1.0'
                in metrics
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=10) == 0


async def test_run_reports_a_port_in_use_and_exits_1() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = await run("run", "--web.listen-address", f"127.0.0.1:{port}")
    assert code == 1
    assert "cannot listen on 127.0.0.1" in err
