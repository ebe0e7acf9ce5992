"""`--web.config.file`: the exporter-toolkit format, checked, and enforced on every endpoint.

The real exporter runs as a process behind TLS, client certificates and basic auth, and
a real Prometheus (Debian `prometheus`) scrapes it: with the right credentials the target
is up; with a wrong password or without a client certificate it is down.
"""

from __future__ import annotations

import ssl
import time
from pathlib import Path
from typing import Any

import bcrypt
import httpx
import pytest
import trustme
import yaml

from exporter.errors import ConfigError
from exporter.web_config import load_web_config
from tests.e2e.processes import Process, free_port, wait_until
from tests.tools import binary
from tests.upstream import Upstream

PASSWORD = "s3cret-scrape-password"
HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()


class Certs:
    """A server CA and certificate for 127.0.0.1, and a client CA with one client."""

    def __init__(self, directory: Path) -> None:
        self.ca = trustme.CA()
        self.client_ca = trustme.CA()
        server = self.ca.issue_cert("127.0.0.1", "localhost")
        client = self.client_ca.issue_cert("scraper.example")
        self.dir = directory
        self.ca_file = directory / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.client_ca.cert_pem.write_to_path(str(directory / "client-ca.pem"))
        server.cert_chain_pems[0].write_to_path(str(directory / "server.crt"))
        server.private_key_pem.write_to_path(str(directory / "server.key"))
        client.cert_chain_pems[0].write_to_path(str(directory / "client.crt"))
        client.private_key_pem.write_to_path(str(directory / "client.key"))


def write(path: Path, raw: Any) -> Path:
    path.write_text(yaml.safe_dump(raw))
    return path


def full_config(users: dict[str, str] | None = None, **tls: Any) -> dict[str, Any]:
    return {
        "tls_server_config": {
            "cert_file": "server.crt",  # relative to the web config file
            "key_file": "server.key",
            "client_auth_type": "RequireAndVerifyClientCert",
            "client_ca_file": "client-ca.pem",
            **tls,
        },
        "http_server_config": {"headers": {"X-Frame-Options": "deny"}},
        "basic_auth_users": users if users is not None else {"prometheus": HASH},
    }


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_web_config(path)
    return info.value.lines()


# --- the format ---------------------------------------------------------------------


def test_a_full_toolkit_file_loads(tmp_path: Path) -> None:
    Certs(tmp_path)
    loaded = load_web_config(write(tmp_path / "web.yml", full_config(min_version="TLS13")))
    assert loaded.ssl_context is not None
    assert loaded.ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert loaded.ssl_context.minimum_version == ssl.TLSVersion.TLSv1_3
    assert loaded.headers == {"X-Frame-Options": "deny"}
    assert set(loaded.users) == {"prometheus"}


def test_an_empty_file_means_plain_http_without_auth(tmp_path: Path) -> None:
    (tmp_path / "web.yml").write_text("# nothing yet\n")
    loaded = load_web_config(tmp_path / "web.yml")
    assert loaded.ssl_context is None and loaded.users == {} and loaded.headers == {}


def test_every_error_at_once_with_its_path_and_no_value(tmp_path: Path) -> None:
    raw = {
        "tls_server_config": {
            "cert_file": "missing.crt",
            "client_auth_type": "Sometimes",
            "min_version": "TLS14",
        },
        "http_server_config": {"headers": {"X-Frame-Options": "allow-all", "Server": "x"}},
        "basic_auth_users": {"alice": "plain-text-password"},
        "bogus": 1,
    }
    lines = errors_of(write(tmp_path / "web.yml", raw))
    assert "bogus: unknown field" in lines
    assert any(
        line.startswith("tls_server_config.client_auth_type: must be one of") for line in lines
    )
    assert any(line.startswith("tls_server_config.min_version: must be one of") for line in lines)
    # The semantic checks run once the shape is right: fix the enums and see the rest.
    raw["tls_server_config"] = {"cert_file": "missing.crt"}
    del raw["bogus"]
    lines = errors_of(write(tmp_path / "web.yml", raw))
    assert "tls_server_config.key_file: required field is missing (or give key)" in lines
    assert any(line.startswith("tls_server_config.cert_file: cannot read") for line in lines)
    assert "http_server_config.headers.X-Frame-Options: must be one of deny, sameorigin" in lines
    assert any(line.startswith("http_server_config.headers.Server: not a header") for line in lines)
    assert any(line.startswith("basic_auth_users.alice: must be a bcrypt hash") for line in lines)
    assert not any("plain-text-password" in line for line in lines)


def test_client_auth_needs_a_ca_and_unverified_modes_are_refused(tmp_path: Path) -> None:
    Certs(tmp_path)
    base = {"cert_file": "server.crt", "key_file": "server.key"}
    raw = {"tls_server_config": {**base, "client_auth_type": "RequireAndVerifyClientCert"}}
    assert errors_of(write(tmp_path / "w.yml", raw)) == [
        "tls_server_config.client_ca_file: required by RequireAndVerifyClientCert"
    ]
    raw = {"tls_server_config": {**base, "client_auth_type": "RequireAnyClientCert"}}
    (line,) = errors_of(write(tmp_path / "w.yml", raw))
    assert line.startswith("tls_server_config.client_auth_type: RequireAnyClientCert accepts any")
    raw = {"tls_server_config": {**base, "client_ca_file": "client-ca.pem"}}
    assert errors_of(write(tmp_path / "w.yml", raw)) == [
        "tls_server_config.client_auth_type: a client CA is set but NoClientCert does not use it"
    ]


def test_a_key_that_does_not_match_is_a_clear_error(tmp_path: Path) -> None:
    Certs(tmp_path)
    other = trustme.CA().issue_cert("127.0.0.1")
    other.private_key_pem.write_to_path(str(tmp_path / "other.key"))
    raw = {"tls_server_config": {"cert_file": "server.crt", "key_file": "other.key"}}
    assert errors_of(write(tmp_path / "w.yml", raw)) == [
        "tls_server_config.cert_file: cannot load the certificate and key (not a matching PEM pair)"
    ]


def test_inline_pem_works_like_files(tmp_path: Path) -> None:
    certs = Certs(tmp_path)
    raw = {
        "tls_server_config": {
            "cert": (tmp_path / "server.crt").read_text(),
            "key": (tmp_path / "server.key").read_text(),
            "client_auth_type": "VerifyClientCertIfGiven",
            "client_ca": certs.client_ca.cert_pem.bytes().decode(),
        }
    }
    loaded = load_web_config(write(tmp_path / "w.yml", raw))
    assert loaded.ssl_context is not None
    assert loaded.ssl_context.verify_mode == ssl.CERT_OPTIONAL
    assert list(tmp_path.glob("tmp*")) == []


# --- the running exporter and a real Prometheus -----------------------------------------


def exporter_config(base: str, path: Path) -> Path:
    return write(
        path,
        {
            "status_pages": [{"name": "acme", "url": base, "interval": "1s"}],
            "probes": [{"name": "acme-api", "type": "http", "url": f"{base}/api/health"}],
        },
    )


def statusprobe(*args: str) -> list[str]:
    import sys

    return [sys.executable, "-m", "exporter", *args]


def client(
    certs: Certs, *, with_cert: bool = True, auth: tuple[str, str] | None = None
) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(certs.ca_file))
    if with_cert:
        context.load_cert_chain(str(certs.dir / "client.crt"), str(certs.dir / "client.key"))
    return httpx.Client(verify=context, auth=auth, timeout=5)


@pytest.fixture
def tls_exporter(tmp_path: Path, upstream: tuple[Upstream, str]) -> Any:
    """`statusprobe run` behind a full web config; yields (url, certs, web config path, process)."""
    _, base = upstream
    certs = Certs(tmp_path)
    web = write(tmp_path / "web.yml", full_config())
    port = free_port()
    process = Process(
        "statusprobe",
        statusprobe(
            "run",
            f"--config.file={exporter_config(base, tmp_path / 'statusprobe.yml')}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--web.config.file={web}",
        ),
        tmp_path / "statusprobe.log",
    )
    url = f"https://127.0.0.1:{port}"
    try:
        with client(certs, auth=("prometheus", PASSWORD)) as c:
            wait_until(lambda: _answers(c, f"{url}/-/healthy"), 30, "statusprobe", process)
        yield url, certs, web, process
    finally:
        assert process.stop() == 0, process.tail()


def _answers(c: httpx.Client, url: str) -> bool:
    try:
        return c.get(url).status_code == 200
    except httpx.TransportError:
        return False


def test_every_endpoint_is_behind_tls_client_certs_and_basic_auth(tls_exporter: Any) -> None:
    url, certs, _, _ = tls_exporter
    paths = ["/", "/metrics", "/api/v1/status", "/-/healthy", "/-/ready", "/probe?target=x"]
    with client(certs) as anonymous, client(certs, auth=("prometheus", "wrong")) as wrong:
        for path in paths:
            response = anonymous.get(url + path)
            assert response.status_code == 401, path
            assert response.headers["WWW-Authenticate"].startswith("Basic")
            assert response.headers["X-Frame-Options"] == "deny"  # on errors too
            assert wrong.get(url + path).status_code == 401, path
        assert anonymous.post(url + "/-/reload").status_code == 401
    with client(certs, auth=("prometheus", PASSWORD)) as good:
        response = good.get(url + "/metrics")
        assert response.status_code == 200
        assert "statusprobe_build_info" in response.text
        assert response.headers["X-Frame-Options"] == "deny"
    no_cert = client(certs, with_cert=False, auth=("prometheus", PASSWORD))
    with no_cert, pytest.raises(httpx.TransportError):
        no_cert.get(url + "/-/healthy")
    with httpx.Client(timeout=5) as plain, pytest.raises(httpx.TransportError):
        plain.get(url.replace("https", "http") + "/-/healthy")


def test_reload_applies_a_new_password_and_refuses_a_bad_file(tls_exporter: Any) -> None:
    url, certs, web, _ = tls_exporter
    new_password = "rotated-password"
    new_hash = bcrypt.hashpw(new_password.encode(), bcrypt.gensalt(rounds=4)).decode()
    write(web, full_config({"prometheus": new_hash}))
    with client(certs, auth=("prometheus", PASSWORD)) as old:
        assert old.post(url + "/-/reload").status_code == 200
        assert old.get(url + "/metrics").status_code == 401
    with client(certs, auth=("prometheus", new_password)) as new:
        assert new.get(url + "/metrics").status_code == 200
        # A broken file is refused with its path; the config in force stays.
        write(web, {**full_config({"prometheus": "not-a-hash"}), "extra": True})
        response = new.post(url + "/-/reload")
        assert response.status_code == 500
        assert "web.yml: extra: unknown field" in response.text
        assert "web.yml: basic_auth_users.prometheus: must be a bcrypt hash" in response.text
        assert "not-a-hash" not in response.text
        assert new.get(url + "/metrics").status_code == 200
        assert "statusprobe_config_last_reload_successful 0.0" in new.get(url + "/metrics").text
        # Client-auth settings are fixed at start.
        write(
            web, full_config({"prometheus": new_hash}, client_auth_type="VerifyClientCertIfGiven")
        )
        response = new.post(url + "/-/reload")
        assert response.status_code == 500
        assert "client_auth_type: changing it takes a restart" in response.text


def test_a_bad_web_config_stops_the_start_with_every_error(tmp_path: Path) -> None:
    import subprocess

    web = write(tmp_path / "web.yml", {"basic_auth_users": {"a": "x"}, "tls_server_config": {}})
    result = subprocess.run(
        statusprobe("run", f"--web.config.file={web}", "--web.listen-address=127.0.0.1:0"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert f"{web}: 3 error(s)" in result.stderr
    assert "tls_server_config.cert_file: required field is missing" in result.stderr
    assert "basic_auth_users.a: must be a bcrypt hash" in result.stderr


def test_prometheus_scrapes_over_tls_with_basic_auth_and_is_refused_otherwise(
    tls_exporter: Any, tmp_path: Path
) -> None:
    url, certs, _, _ = tls_exporter
    prometheus_bin = binary("prometheus", "prometheus")
    target = url.removeprefix("https://")
    tls = {
        "ca_file": str(certs.ca_file),
        "cert_file": str(certs.dir / "client.crt"),
        "key_file": str(certs.dir / "client.key"),
    }

    def job(name: str, password: str, tls_config: dict[str, str]) -> dict[str, Any]:
        return {
            "job_name": name,
            "scheme": "https",
            "tls_config": tls_config,
            "basic_auth": {"username": "prometheus", "password": password},
            "static_configs": [{"targets": [target]}],
        }

    no_cert = {"ca_file": str(certs.ca_file)}
    write(
        tmp_path / "prometheus.yml",
        {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
            "scrape_configs": [
                job("good", PASSWORD, tls),
                job("wrong-password", "guess", tls),
                job("no-client-cert", PASSWORD, no_cert),
            ],
        },
    )
    port = free_port()
    prometheus = Process(
        "prometheus",
        [
            prometheus_bin,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'prometheus-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        tmp_path / "prometheus.log",
    )
    try:
        api = f"http://127.0.0.1:{port}/api/v1/targets"
        prometheus.wait_http(f"http://127.0.0.1:{port}/-/ready")
        targets: dict[str, dict[str, Any]] = {}

        def scraped_all() -> bool:
            nonlocal targets
            active = httpx.get(api, timeout=5).json()["data"]["activeTargets"]
            targets = {t["labels"]["job"]: t for t in active}
            return len(targets) == 3 and all(t["lastScrape"] > "2000" for t in targets.values())

        wait_until(scraped_all, 30, "three scrapes", prometheus, 0.5)
        deadline = time.monotonic() + 30
        while targets["good"]["health"] != "up" and time.monotonic() < deadline:
            time.sleep(0.5)
            scraped_all()
        assert targets["good"]["health"] == "up", targets["good"]["lastError"]
        assert targets["wrong-password"]["health"] == "down"
        assert "401" in targets["wrong-password"]["lastError"]
        assert targets["no-client-cert"]["health"] == "down"
        assert "401" not in targets["no-client-cert"]["lastError"]  # refused in the handshake
        query = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/query",
            params={"query": 'statusprobe_build_info{job="good"}'},
            timeout=5,
        ).json()
        assert query["data"]["result"], query
    finally:
        assert prometheus.stop() == 0, prometheus.tail()


async def test_the_rate_limit_answers_429_beyond_its_burst(
    tmp_path: Path, aiohttp_client: Any
) -> None:
    from exporter.config import parse_config
    from exporter.http.app import create_app
    from exporter.http.web_guard import WebGuard
    from exporter.runtime import Runtime

    web = write(tmp_path / "web.yml", {"rate_limit": {"interval": "1h", "burst": 3}})
    app = create_app(Runtime(parse_config({"status_pages": []}), None), guard=WebGuard.load(web))
    client = await aiohttp_client(app)
    statuses = [(await client.get("/-/healthy")).status for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_client_allowed_sans_need_verified_client_certs(tmp_path: Path) -> None:
    Certs(tmp_path)
    raw = {"tls_server_config": {"cert_file": "server.crt", "key_file": "server.key",
                                 "client_allowed_sans": ["scraper.example"]}}  # fmt: skip
    assert errors_of(write(tmp_path / "w.yml", raw)) == [
        "tls_server_config.client_allowed_sans: needs client_auth_type: RequireAndVerifyClientCert"
    ]


@pytest.mark.parametrize(("allowed", "status"), [("scraper.example", 200), ("other", 403)])
async def test_client_allowed_sans_match_the_certificate(
    tmp_path: Path, allowed: str, status: int
) -> None:
    import socket

    from aiohttp import web as aioweb

    from exporter.config import parse_config
    from exporter.http.app import create_app
    from exporter.http.connections import start_server
    from exporter.http.web_guard import WebGuard
    from exporter.runtime import Runtime

    certs = Certs(tmp_path)
    raw = full_config(client_allowed_sans=[allowed])
    del raw["basic_auth_users"]
    guard = WebGuard.load(write(tmp_path / "web.yml", raw))
    runtime = Runtime(parse_config({"status_pages": []}), None)
    runner = aioweb.AppRunner(create_app(runtime, guard=guard))
    await runner.setup()
    sock = socket.create_server(("127.0.0.1", 0))
    assert runner.server is not None
    server = await start_server(
        runner.server, sock, guard.ssl_context, runtime.metrics.web_connections_closed
    )
    try:
        context = ssl.create_default_context(cafile=str(certs.ca_file))
        context.load_cert_chain(str(certs.dir / "client.crt"), str(certs.dir / "client.key"))
        async with httpx.AsyncClient(verify=context) as c:
            response = await c.get(f"https://127.0.0.1:{sock.getsockname()[1]}/-/healthy")
        assert response.status_code == status
    finally:
        server.close()
        await runner.cleanup()
