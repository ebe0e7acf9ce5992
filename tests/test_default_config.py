"""The embedded default config: six status pages and one keyless probe per upstream.

Every upstream is simulated on loopback: one server per provider serves its status page
(in the platform's real shape: tests/fixtures/default_pages/README.md) and answers the
keyless probe's request as the provider's real API does (docs/default-config.md names
the documentation each answer follows). The default config is run with only the scheme,
host and port of its URLs moved onto those servers, so paths, expectations and mappings
are the shipped ones. Never the internet.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import ssl
import struct
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import trustme
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer

from exporter import default_config, once, sources
from exporter.board.view import Options
from exporter.cli import main
from exporter.config import Config, HttpProbeConfig, load_config, load_default_config, parse_config
from exporter.http import landing
from exporter.http.status_api import status_document
from exporter.models import Outcome, PageSnapshot
from exporter.probes import run_probe
from exporter.scenarios import wire
from exporter.sources.client import PollClient
from exporter.state import State
from tests.llm_upstream import server_tls
from tests.test_rules import promtool

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
DEFAULT_PAGES = FIXTURES / "default_pages"
HOLD_LIMIT = 10.0  # seconds a hanging simulated answer lasts at most


@dataclass(frozen=True)
class Answer:
    """What a simulated API sends back to one request."""

    status: int = 200
    body: Any = None  # JSON-able, or a str sent as text/html
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False  # reset the TCP connection instead
    hang: bool = False  # answer nothing until the test ends


# What each provider's real API answers a request without credentials (sources in
# docs/default-config.md), keyed by probe name.
EXPECTED: dict[str, Answer] = {
    "anthropic-api-keyless": Answer(
        401,
        wire.anthropic_error(401, "authentication_error", "x-api-key header is required", ""),
        {"request-id": "req_011CSimKeyless"},
    ),
    "openai-api-keyless": Answer(
        401,
        wire.openai_error(
            401,
            "invalid_request_error",
            None,
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        ),
        {"x-request-id": "req_5f1c0b0d2e"},
    ),
    "github-api-keyless": Answer(
        200,
        {
            "resources": {
                "core": {"limit": 60, "remaining": 60, "reset": 1764442800, "used": 0},
                "search": {"limit": 10, "remaining": 10, "reset": 1764439260, "used": 0},
            },
            "rate": {"limit": 60, "remaining": 60, "reset": 1764442800, "used": 0},
        },
    ),
    "cloudflare-api-keyless": Answer(
        200,
        {
            "result": {
                "ipv4_cidrs": ["173.245.48.0/20", "104.16.0.0/13"],
                "ipv6_cidrs": ["2400:cb00::/32"],
                "etag": "38f79d050aa027e3be3865e495dcc9bc",
            },
            "success": True,
            "errors": [],
            "messages": [],
        },
    ),
    "bitbucket-api-keyless": Answer(
        200,
        {
            "repository": {
                "links": {
                    "events": {"href": "https://api.bitbucket.org/2.0/hook_events/repository"}
                }
            },
            "workspace": {
                "links": {"events": {"href": "https://api.bitbucket.org/2.0/hook_events/workspace"}}
            },
        },
    ),
    "discord-api-keyless": Answer(200, {"url": "wss://gateway.discord.gg"}),
}
PROBES = sorted(EXPECTED)
LLM_PROBES = ["anthropic-api-keyless", "openai-api-keyless"]  # their known answer is a 401

# Each page's simulated status page: (platform, fixture).
PAGES: dict[str, tuple[str, Path]] = {
    "anthropic": ("statuspage", FIXTURES / "statuspage" / "operational.json"),
    "openai": ("incidentio", FIXTURES / "incidentio" / "operational.json"),
    "github": ("statuspage", DEFAULT_PAGES / "github.json"),
    "cloudflare": ("statuspage", DEFAULT_PAGES / "cloudflare.json"),
    "atlassian-bitbucket": ("statuspage", DEFAULT_PAGES / "bitbucket.json"),
    "discord": ("statuspage", DEFAULT_PAGES / "discord.json"),
}


class Provider:
    """One provider on loopback: its status page, and its API answering `answer`."""

    def __init__(self, platform: str, fixture: Path) -> None:
        self.platform = platform
        self.page = fixture.read_text("utf-8")
        self.answer = Answer()
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.release = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application()
        if self.platform == "incidentio":
            app.router.add_get("/proxy/{host}", self._page)
        else:
            app.router.add_get("/api/v2/summary.json", self._page)
        app.router.add_route("*", "/{tail:.*}", self._api)
        return app

    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(text=self.page, content_type="application/json")

    async def _api(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.method, request.path, dict(request.headers)))
        answer = self.answer
        if answer.reset:  # SO_LINGER 0: the client gets a TCP RST, not a FIN
            assert request.transport is not None
            sock = request.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            request.transport.abort()
        if answer.reset or answer.hang:
            await asyncio.wait_for(self.release.wait(), HOLD_LIMIT)
            return web.Response(status=504)
        if isinstance(answer.body, str):
            return web.Response(
                status=answer.status,
                text=answer.body,
                content_type="text/html",
                headers=answer.headers,
            )
        return web.json_response(answer.body, status=answer.status, headers=answer.headers)


@dataclass
class Upstreams:
    """The six simulated providers, keyed by page name, and their base URLs."""

    providers: dict[str, Provider]
    bases: dict[str, str]

    def of_probe(self, probe: str) -> Provider:
        return self.providers[probe_config(load_default_config(), probe).page or ""]

    def config(self, *, timeout: str | None = None, scheme: str = "http") -> Config:
        """The default config with its URLs' origins moved onto the simulated providers."""
        return on_loopback(self.bases, timeout=timeout, scheme=scheme)


def on_loopback(bases: dict[str, str], *, timeout: str | None, scheme: str = "http") -> Config:
    raw = yaml.safe_load(default_config.text())
    for page in raw["status_pages"]:
        page["url"] = bases[page["name"]]
    for probe in raw["probes"]:
        origin = urlsplit(bases[probe["page"]])
        probe["url"] = f"{scheme}://{origin.netloc}{urlsplit(probe['url']).path}"
        if timeout is not None:
            probe["timeout"] = timeout
    return parse_config(raw)


def probe_config(config: Config, name: str) -> Any:
    return next(p for p in config.probes if p.name == name)


async def serve(stack: AsyncExitStack, ssl_context: ssl.SSLContext | None = None) -> Upstreams:
    providers, bases = {}, {}
    for name, (platform, fixture) in PAGES.items():
        provider = Provider(platform, fixture)
        server = TestServer(provider.app(), host="127.0.0.1")
        await server.start_server(ssl=ssl_context)
        stack.push_async_callback(server.close)
        stack.callback(provider.release.set)
        providers[name] = provider
        scheme = "https" if ssl_context else "http"
        bases[name] = f"{scheme}://127.0.0.1:{server.port}"
    return Upstreams(providers, bases)


@pytest.fixture
async def upstreams() -> AsyncIterator[Upstreams]:
    async with AsyncExitStack() as stack:
        yield await serve(stack)


async def probe_once(upstreams: Upstreams, name: str, answer: Answer, **kw: str) -> Any:
    provider = upstreams.of_probe(name)
    provider.answer = answer
    return await run_probe(probe_config(upstreams.config(**kw), name))


# --- the file --------------------------------------------------------------------------------


def test_every_watched_page_has_exactly_one_keyless_probe_mapped_to_a_component() -> None:
    config = load_default_config()
    assert [p.name for p in config.status_pages] == list(PAGES)
    assert sorted(p.name for p in config.probes) == PROBES
    assert sorted(p.page or "" for p in config.probes) == sorted(PAGES)
    for probe in config.probes:
        assert probe.type == "http" and probe.keyless, probe.name
        assert probe.component, probe.name
        assert probe.method == "GET" and probe.body is None, probe.name
        # cheap and polite: at most one request a minute, a short timeout, no retries
        assert probe.interval >= 60.0 and probe.effective_timeout <= 10.0, probe.name
        assert probe.url.startswith("https://") and probe.expect.status_codes, probe.name
    assert config.slos == ()


def test_providers_agree_with_docs_sources() -> None:
    """Each page's provider is the platform docs/sources.md names for that upstream."""
    table = (ROOT / "docs" / "sources.md").read_text("utf-8")
    rows = {m[1]: m[2] for m in re.finditer(r"^\| `(\w+)` \| ([^|]+) \|", table, re.M)}
    upstream = {
        "anthropic": "Anthropic",
        "openai": "OpenAI",
        "github": "GitHub",
        "cloudflare": "Cloudflare",
        "atlassian-bitbucket": "Bitbucket",
        "discord": "Discord",
    }
    for page in load_default_config().status_pages:
        assert upstream[page.name] in rows[page.provider], (page.name, page.provider)
        for provider, used_for in rows.items():
            if provider != page.provider:
                assert upstream[page.name] not in used_for, (page.name, provider)


def test_docs_describe_every_page_and_probe_as_configured() -> None:
    """docs/default-config.md's tables are the file's content, row for row."""
    doc = (ROOT / "docs" / "default-config.md").read_text("utf-8")
    config = load_default_config()
    for page in config.status_pages:
        assert re.search(
            rf"^\| `{page.name}` \| `{page.provider}` \| {re.escape(page.url)} \|", doc, re.M
        ), page.name
    for probe in config.probes:
        assert isinstance(probe, HttpProbeConfig)
        codes = ", ".join(str(c) for c in probe.expect.status_codes)
        row = (
            rf"^\| `{probe.name}` \| `GET {re.escape(probe.url)}` \| {codes} "
            rf"\| {re.escape(f'{probe.page} / {probe.component}')} \|"
        )
        assert re.search(row, doc, re.M), probe.name


# --- keyless ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "keyless"),
    [
        ({}, True),
        ({"headers": {"Accept": "application/json", "User-Agent": "me"}}, True),
        ({"headers": {"x-api-key": "k"}}, False),
        ({"headers": {"Authorization": "Bearer k"}}, False),
        ({"headers": {"PRIVATE-TOKEN": "k"}}, False),
        ({"bearer_token": "k"}, False),
        ({"basic_auth": {"username": "u"}}, False),
    ],
)
def test_an_http_probe_is_keyless_when_it_sends_no_credential(
    extra: dict[str, Any], keyless: bool
) -> None:
    probe = {"name": "p", "type": "http", "url": "https://a.test", **extra}
    assert parse_config({"probes": [probe]}).probes[0].keyless is keyless


@pytest.mark.parametrize("kind", ["anthropic", "openai"])
def test_llm_probes_always_carry_a_key(kind: str) -> None:
    probe = {"name": "p", "type": kind, "api_key": "k"}
    assert parse_config({"probes": [probe]}).probes[0].keyless is False


# --- classification against the simulated providers -----------------------------------------


@pytest.mark.parametrize("name", PROBES)
async def test_the_known_answer_is_success_and_the_request_carries_no_credential(
    upstreams: Upstreams, name: str
) -> None:
    result = await probe_once(upstreams, name, EXPECTED[name])
    assert result.outcome is Outcome.SUCCESS, result.detail
    assert result.status_code == EXPECTED[name].status
    # the front door, phase by phase (no dns: the simulated host is an IP literal)
    assert {"connect", "ttfb", "transfer"} <= set(dict(result.phases))
    requests = upstreams.of_probe(name).requests
    assert len(requests) == 1  # no retries
    method, path, headers = requests[0]
    assert method == "GET" and path == urlsplit(probe_config(load_default_config(), name).url).path
    assert headers["User-Agent"].startswith("statusprobe/")
    sent = {k.lower() for k in headers}
    assert not sent & {"authorization", "x-api-key", "cookie"}, sent


@pytest.mark.parametrize("name", LLM_PROBES)
async def test_an_unexpected_200_from_an_llm_api_is_unexpected_response(
    upstreams: Upstreams, name: str
) -> None:
    # A keyless request that gets in means the auth layer let an anonymous caller through
    # (or something else answered): not the front door working as it should.
    result = await probe_once(upstreams, name, Answer(200, {"data": []}))
    assert result.outcome is Outcome.UNEXPECTED_RESPONSE
    assert result.detail == f"HTTP 200, expected one of {EXPECTED[name].status}"


@pytest.mark.parametrize("name", sorted(set(PROBES) - set(LLM_PROBES)))
async def test_a_401_from_a_public_endpoint_is_auth_error(upstreams: Upstreams, name: str) -> None:
    result = await probe_once(upstreams, name, Answer(401, {"message": "Requires authentication"}))
    assert result.outcome is Outcome.AUTH_ERROR


@pytest.mark.parametrize("name", PROBES)
@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("<html><body>Access denied</body></html>", "body is not JSON (expect.body_json)"),
        ({"message": "hello from a proxy"}, "expect.body_json[0]"),
    ],
    ids=["html", "other-json"],
)
async def test_the_right_status_with_another_body_is_unexpected_response(
    upstreams: Upstreams, name: str, body: Any, problem: str
) -> None:
    # e.g. a captive portal, a proxy or a CDN page that happens to use the expected status
    result = await probe_once(upstreams, name, Answer(EXPECTED[name].status, body))
    assert result.outcome is Outcome.UNEXPECTED_RESPONSE
    assert result.detail.startswith(f"HTTP {EXPECTED[name].status}: {problem}"), result.detail


@pytest.mark.parametrize("name", PROBES)
@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (Answer(500, {"type": "error", "error": {"type": "api_error"}}), Outcome.SERVER_ERROR),
        (Answer(502, "<html>Bad gateway</html>"), Outcome.SERVER_ERROR),
        (Answer(503, {"error": {"message": "unavailable"}}), Outcome.SERVER_ERROR),
        (Answer(529, {"type": "error", "error": {"type": "overloaded_error"}}), Outcome.OVERLOADED),
        (Answer(429, {"message": "slow down"}), Outcome.RATE_LIMITED),
        (Answer(reset=True), Outcome.CONNECT_ERROR),
    ],
    ids=["500", "502", "503", "529", "429", "reset"],
)
async def test_failures_count_as_what_they_are(
    upstreams: Upstreams, name: str, answer: Answer, outcome: Outcome
) -> None:
    result = await probe_once(upstreams, name, answer)
    assert result.outcome is outcome, result.detail
    assert len(upstreams.of_probe(name).requests) == 1  # no retries


@pytest.mark.parametrize("name", PROBES)
async def test_no_answer_within_the_timeout_is_timeout(upstreams: Upstreams, name: str) -> None:
    result = await probe_once(upstreams, name, Answer(hang=True), timeout="300ms")
    assert result.outcome is Outcome.TIMEOUT
    assert 0.3 <= result.duration < HOLD_LIMIT  # the probe gave up, the server did not answer


async def test_a_certificate_the_probe_does_not_trust_is_tls_error() -> None:
    untrusted = trustme.CA()  # the probes trust the system roots only
    async with AsyncExitStack() as stack:
        upstreams = await serve(stack, server_tls(untrusted))
        config = upstreams.config(scheme="https")
        for name in PROBES:
            upstreams.of_probe(name).answer = EXPECTED[name]
        results = await asyncio.gather(*(run_probe(probe_config(config, n)) for n in PROBES))
    assert [r.outcome for r in results] == [Outcome.TLS_ERROR] * len(PROBES)
    assert all(not p.requests for p in upstreams.providers.values())


# --- mapping: each probe's component is on its simulated page --------------------------------


async def test_every_probe_maps_to_a_component_its_page_lists(upstreams: Upstreams) -> None:
    config = upstreams.config()
    async with PollClient(httpx.AsyncClient(trust_env=False)) as client:
        snapshots = {p.name: await sources.poll(client, p) for p in config.status_pages}
    for probe in config.probes:
        snapshot = snapshots[probe.page or ""]
        assert isinstance(snapshot, PageSnapshot)
        assert probe.component in {c.name for c in snapshot.components}, probe.name
        assert snapshot.official_status(probe.component) == "operational", probe.name


async def test_once_shows_every_probe_keyless_next_to_its_official_status(
    upstreams: Upstreams,
) -> None:
    for name in PROBES:
        upstreams.of_probe(name).answer = EXPECTED[name]
    config = upstreams.config()
    pages, results = await once.run_once(config)
    out = once.render(config, pages, results)
    lines = out.splitlines()
    head = next(line for line in lines if line.startswith("PROBE"))
    assert head.split()[:4] == ["PROBE", "TYPE", "KEYLESS", "MAPS"]
    for probe in config.probes:
        row = next(line for line in lines if line.startswith(probe.name + " "))
        assert row.split()[1:3] == ["http", "yes"], row
        assert f"{probe.page}/{probe.component}" in row
        assert "operational" in row and "success" in row, row
    assert once.KEYLESS_NOTE in out


async def test_the_status_api_and_the_landing_page_say_which_probes_are_keyless() -> None:
    raw = yaml.safe_load(default_config.text())
    raw["probes"].append(
        {"name": "with-key", "type": "anthropic", "api_key": "k", "page": "anthropic"}
    )
    state = State()
    state.apply_config(parse_config(raw))
    document = status_document(state.snapshot(), ready=False, reload_error="")
    keyless = {p["name"]: p["keyless"] for p in document["probes"]}
    assert keyless == {**dict.fromkeys(PROBES, True), "with-key": False}
    page = await landing.render(
        state.snapshot(), state.history, ready=False, reload_error="", options=Options()
    )
    # a badge per keyless probe on the board; the probe with a key has none
    assert page.count("'>keyless</span>") == len(PROBES)


# --- statusprobe default-config ---------------------------------------------------------------


def test_default_config_prints_the_embedded_file_which_check_config_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["default-config"]) == 0
    printed = capsys.readouterr().out
    assert printed == default_config.text()
    comments = [line for line in printed.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) >= len(PROBES) * 2  # a commented file, not a bare dump
    path = tmp_path / "statusprobe.yml"
    path.write_text(printed, "utf-8")
    assert main(["check-config", "--config.file", str(path)]) == 0
    out, err = capsys.readouterr()
    assert f"OK (6 status pages, {len(PROBES)} probes, 0 SLOs)" in out
    assert err == ""  # no literal-secret warnings: there is no secret
    assert load_config(path) == load_default_config()


# --- rules and dashboards render with it and see its probes ----------------------------------


def _series(config: Config) -> list[dict[str, str]]:
    """One region's exporter running the default config: every probe failing with 503s
    while every page says its components are operational (20 one-minute samples)."""
    base = 'job="statusprobe",instance="a:10077"'
    series = [
        {"series": f'statusprobe_page_up{{{base},page="{page.name}"}}', "values": "1x20"}
        for page in config.status_pages
    ]
    for probe in config.probes:
        labels = f'{base},probe="{probe.name}"'
        target = f"{urlsplit(probe.url).hostname}:443"
        series += [
            {
                "series": f'statusprobe_probe_info{{{labels},type="http",target="{target}",'
                f'page="{probe.page}",component="{probe.component}"}}',
                "values": "1x20",
            },
            {
                "series": f'statusprobe_probe_results_total{{{labels},outcome="success"}}',
                "values": "0x20",
            },
            {
                "series": f'statusprobe_probe_results_total{{{labels},outcome="server_error"}}',
                "values": "0+1x20",
            },
            {"series": f"statusprobe_probe_success{{{labels}}}", "values": "0x20"},
            {
                "series": f'statusprobe_component_status{{{base},page="{probe.page}",'
                f'component="{probe.component}",group="",status="operational"}}',
                "values": "1x20",
            },
            {
                "series": f'statusprobe_incidents_open{{{base},page="{probe.page}",'
                'impact="minor"}',
                "values": "0x20",
            },
        ]
    return series


def _promtool(directory: Path, rule_files: list[str], tests: list[dict[str, Any]]) -> None:
    """Run one promtool unit test over `_series` of the default config in `directory`."""
    case = {
        "rule_files": rule_files,
        "evaluation_interval": "1m",
        "group_eval_order": ["statusprobe-recording", "statusprobe-divergence"][: len(rule_files)],
        "tests": [
            {"interval": "1m", "input_series": _series(load_default_config()), **t} for t in tests
        ],
    }
    (directory / "default.test.yml").write_text(yaml.safe_dump(case, sort_keys=False))
    done = subprocess.run(
        [promtool(), "test", "rules", "default.test.yml"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_rules_rendered_with_it_fire_divergence_for_each_of_its_probes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "statusprobe.yml"
    path.write_text(default_config.text(), "utf-8")
    assert main(["rules", "--config.file", str(path), "--output.dir", str(tmp_path)]) == 0
    capsys.readouterr()
    expected = [
        {
            "labels": f'{{__name__="ALERTS",alertname="StatusprobeStatusPageDivergence",'
            f'alertstate="firing",component="{p.component}",page="{p.page}",probe="{p.name}",'
            'severity="critical"}',
            "value": 1,
        }
        for p in load_config(path).probes
    ]
    alerts = 'ALERTS{alertname="StatusprobeStatusPageDivergence"}'
    _promtool(
        tmp_path,
        ["statusprobe-recording.yml", "statusprobe-divergence.yml"],
        [{"promql_expr_test": [{"expr": alerts, "eval_time": "15m", "exp_samples": expected}]}],
    )


def test_the_dashboards_variables_list_its_pages_and_probes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The page and probe variables' queries, run as Grafana runs them with "All" chosen,
    over the default config's series: every page and every probe is listed."""
    assert main(["dashboards", "--output.dir", str(tmp_path)]) == 0
    capsys.readouterr()
    boards = [json.loads(p.read_text("utf-8")) for p in sorted(tmp_path.glob("*.json"))]
    variables = {
        (v["name"], v["query"]["query"] if isinstance(v["query"], dict) else v["query"])
        for b in boards
        for v in b["templating"]["list"]
        if v.get("name") in ("page", "probe")
    }
    assert {name for name, _ in variables} == {"page", "probe"}
    config = load_default_config()
    pages = "|".join(p.name for p in config.status_pages)
    listed = {"page": [p.name for p in config.status_pages], "probe": PROBES}
    tests = []
    for name, query in sorted(variables):
        found = re.fullmatch(r"label_values\((.+), (\w+)\)", query)
        assert found and found[2] == name, query
        selector = found[1].replace("$page", pages)  # "All" of the page variable
        tests.append(
            {
                "expr": f"count by ({found[2]}) ({selector})",
                "eval_time": "10m",
                "exp_samples": [
                    {"labels": f'{{{found[2]}="{value}"}}', "value": 1}
                    for value in listed[found[2]]
                ],
            }
        )
    _promtool(tmp_path, [], [{"promql_expr_test": tests}])


def test_the_offline_guard_the_cli_test_runs_the_default_under_resolves_only_loopback() -> None:
    # tests/test_cli.py runs `statusprobe run` with this config; its probes must not leave
    guard = Path(__file__).parent / "offline"
    code = (
        "import socket\n"
        "socket.getaddrinfo('127.0.0.1', 80)\n"
        "try:\n"
        "    socket.getaddrinfo('api.anthropic.com', 443)\n"
        "except socket.gaierror as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(guard)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.stdout.strip() == "[Errno -2] Name or service not known (offline test)", done
