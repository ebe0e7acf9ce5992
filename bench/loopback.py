"""What the probe benches share: loopback targets, certificates, processes, /proc CPU.

`python bench/loopback.py serve DIR HTTP_PORT HTTPS_PORT` runs the target: one aiohttp
process answering `GET /` with 200 and a 2-byte body over HTTP and over HTTPS, with a
certificate for `localhost` and 127.0.0.1 from a trustme CA (written to DIR/ca.pem).
When DIR/summary.json exists it is also served at `/api/v2/summary.json` (a status
page). The benches start it, and every other process, as a child and stop it by its PID.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its threads so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def hwm_bytes(pid: int) -> int:
    """Peak RSS (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def make_certs(directory: Path) -> None:
    """DIR/ca.pem, DIR/server.pem (chain), DIR/server.key for localhost and 127.0.0.1."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    cert.private_key_pem.write_to_path(str(directory / "server.key"))
    with open(directory / "server.pem", "wb") as out:
        for blob in cert.cert_chain_pems:
            out.write(blob.bytes())


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:g}s")


@contextlib.contextmanager
def child(
    args: Sequence[str],
    *,
    port: int | None = None,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    cwd: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """A child process, waited for on `port`, stopped by its PID (SIGTERM, then SIGKILL)."""
    out = open(log, "wb") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(list(args), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    try:
        if port is not None:
            try:
                wait_for_port(port)
            except RuntimeError:
                if log is not None:
                    sys.stderr.write(log.read_text(errors="replace")[-2000:])
                raise
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if out is not subprocess.DEVNULL:
            out.close()


@contextlib.contextmanager
def targets(directory: Path) -> Iterator[tuple[str, str]]:
    """The loopback target in its own process: (http URL, https URL), both for localhost."""
    if not (directory / "ca.pem").exists():
        make_certs(directory)
    http_port, https_port = free_port(), free_port()
    args = [sys.executable, str(BENCH / "loopback.py"), "serve", str(directory)]
    with child([*args, str(http_port), str(https_port)], port=https_port):
        wait_for_port(http_port)
        yield f"http://localhost:{http_port}/", f"https://localhost:{https_port}/"


def _serve(directory: Path, http_port: int, https_port: int) -> None:
    import asyncio

    from aiohttp import web

    async def ok(request: web.Request) -> web.Response:
        return web.Response(body=b"ok", content_type="text/plain")

    summary = directory / "summary.json"  # a status page, when the bench wrote one
    summary_body = summary.read_bytes() if summary.exists() else b"{}"

    async def page(request: web.Request) -> web.Response:
        return web.Response(body=summary_body, content_type="application/json")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/", ok)
        app.router.add_get("/api/v2/summary.json", page)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(directory / "server.pem", directory / "server.key")
        await web.TCPSite(runner, "127.0.0.1", http_port, backlog=1024).start()
        await web.TCPSite(
            runner, "127.0.0.1", https_port, ssl_context=context, backlog=1024
        ).start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await runner.cleanup()

    try:
        import uvloop  # the target is not measured: make it as light as it can be

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "serve":
        _serve(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit("usage: loopback.py serve DIR HTTP_PORT HTTPS_PORT")
