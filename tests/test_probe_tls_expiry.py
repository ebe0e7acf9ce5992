"""The certificate expiry a probe reports (probes/tls.py `not_after`), run after run.

`not_after` keeps each certificate's expiry by its DER bytes, so a server that
changes its certificate between runs must show the new expiry at once, and an
unverified connection shows none.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ssl
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest
import trustme

from exporter.config import HttpProbeConfig, parse_config
from exporter.models import Outcome
from exporter.probes import run_probe
from tests.llm_upstream import server_tls

_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


@contextlib.asynccontextmanager
async def serving(context: ssl.SSLContext) -> AsyncIterator[int]:
    """An HTTPS server on loopback answering 200 to anything; yields its port."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(_OK)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    async with server:
        yield server.sockets[0].getsockname()[1]


def _probe(port: int, tls: Mapping[str, object]) -> HttpProbeConfig:
    raw = {"name": "p", "type": "http", "url": f"https://localhost:{port}/", "tls": tls}
    config = parse_config({"probes": [raw]}).probes[0]
    assert isinstance(config, HttpProbeConfig)
    return config


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


async def test_each_certificate_reports_its_own_expiry(ca: trustme.CA, tmp_path: Path) -> None:
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    tls = {"ca_file": str(tmp_path / "ca.pem")}
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    expiries = [now + dt.timedelta(days=days) for days in (30, 90, 30)]
    seen = []
    for expiry in expiries:  # the same probe; the server's certificate changes
        async with serving(server_tls(ca, not_after=expiry)) as port:
            config = _probe(port, tls)
            for _ in range(2):  # the second run of a certificate comes from the cache
                result = await run_probe(config)
                assert result.outcome is Outcome.SUCCESS, result.detail
                seen.append(result.tls_not_after)
    assert seen == [e.timestamp() for e in expiries for _ in range(2)]


async def test_an_unverified_certificate_reports_no_expiry(ca: trustme.CA) -> None:
    now = dt.datetime.now(dt.UTC)
    async with serving(server_tls(ca, not_after=now + dt.timedelta(days=30))) as port:
        results = [await run_probe(_probe(port, {"insecure_skip_verify": True})) for _ in "ab"]
    assert [r.outcome for r in results] == [Outcome.SUCCESS] * 2
    assert [r.tls_not_after for r in results] == [None, None]
    assert all("tls" in dict(r.phases) for r in results)
