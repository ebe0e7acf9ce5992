"""The config loader: one bad file per error, the full valid example, secrets, durations."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporter.config import (
    BasicAuth,
    Config,
    Expect,
    HttpProbeConfig,
    SchedulerConfig,
    SLOConfig,
    StatusPageConfig,
    TLSConfig,
    literal_secret_warnings,
    load_config,
    load_default_config,
    parse_config,
    read_raw,
)
from exporter.durations import format_duration, parse_duration
from exporter.errors import ConfigError

FIXTURES = Path(__file__).parent / "fixtures" / "config"

_DURATION_HINT = (
    "write whole numbers with units (ms, s, m, h, d, w, y), largest unit first, "
    "e.g. 500ms, 30s, 5m, 1h30m"
)
_NAME_RULE = "must start with a letter or digit and use only letters, digits, _ . : - (max 63)"

# Every bad fixture and the exact lines `check-config` prints for it, in order.
BAD_FIXTURES: dict[str, list[str]] = {
    "unknown_field.yml": ["status_pages[0].intervall: unknown field; did you mean 'interval'?"],
    "misspelt_probe_field.yml": ["probes[0].timout: unknown field; did you mean 'timeout'?"],
    "field_in_wrong_section.yml": [
        "probes[0].body_contains: unknown field; it belongs under expect: (expect.body_contains)"
    ],
    "bad_duration.yml": [
        f"status_pages[0].interval: invalid duration '5 minutes': {_DURATION_HINT}"
    ],
    "duration_without_unit.yml": [
        "probes[0].interval: invalid duration 30: a duration needs a unit, e.g. 30s"
    ],
    "duration_units_out_of_order.yml": [
        f"slos[0].window: invalid duration '12h1d': {_DURATION_HINT}"
    ],
    "zero_duration.yml": ["probes[0].timeout: invalid duration '0s': must be longer than 0s"],
    "boolean_duration.yml": [
        "status_pages[0].interval: must be a duration with a unit, e.g. 30s, 5m, 1h30m"
    ],
    "timeout_exceeds_interval.yml": [
        "probes[0].timeout: timeout (20s) must not exceed interval (10s)"
    ],
    "page_timeout_exceeds_interval.yml": [
        "status_pages[0].timeout: timeout (1m) must not exceed interval (30s)"
    ],
    "unknown_provider.yml": [
        "status_pages[0].provider: must be one of 'statuspage', 'incidentio', 'statusio', "
        "'instatus', 'slack', 'gcp', 'feed' or 'auto'"
    ],
    "unknown_probe_type.yml": [
        "probes[0].type: unknown type 'grpc'; known types: http, anthropic, openai"
    ],
    "missing_type.yml": ["probes[0].type: type is required; known types: http, anthropic, openai"],
    "missing_url.yml": ["status_pages[0].url: required field is missing"],
    "bad_url_scheme.yml": ["probes[0].url: must be an http:// or https:// URL with a host"],
    "url_with_credentials.yml": [
        "probes[0].url: must not contain credentials (user:password@); use basic_auth"
    ],
    "bad_method.yml": [
        "probes[0].method: must be one of "
        "'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE' or 'OPTIONS'"
    ],
    "duplicate_probe_name.yml": ["probes[1].name: duplicate name 'github-api' (also probes[0])"],
    "duplicate_page_name.yml": [
        "status_pages[2].name: duplicate name 'anthropic' (also status_pages[0])"
    ],
    "duplicate_key.yml": ["invalid YAML at line 6, column 5: duplicate key 'url'"],
    "unknown_page_reference.yml": [
        "probes[0].page: no status page named 'antropic' in status_pages"
    ],
    "component_without_page.yml": [
        "probes[0].component: component needs page: name the status page it belongs to"
    ],
    "unknown_slo_probe.yml": ["slos[0].probe: no probe named 'anthropic-message' in probes"],
    "latency_threshold_not_a_bucket.yml": [
        "slos[0].latency_threshold: must be a bound of the duration histogram: one of 50ms, "
        "100ms, 250ms, 500ms, 1s, 2s500ms, 5s, 10s, 15s, 30s, 1m"
    ],
    "objective_out_of_range.yml": [
        "slos[0].objective: must be a percentage between 0 and 100 (exclusive), e.g. 99.9"
    ],
    "bad_name.yml": [f"status_pages[0].name: {_NAME_RULE}"],
    "bad_max_concurrency.yml": ["scheduler.max_concurrency: must be at least 1"],
    "missing_env_var.yml": [
        "probes[0].headers.x-api-key: environment variable STATUSPROBE_TEST_UNSET_KEY is not set"
    ],
    "missing_secret_file.yml": [
        "probes[0].bearer_token_file: cannot read secret file "
        "/nonexistent/statusprobe/github-token: No such file or directory"
    ],
    "empty_secret_file.yml": [
        f"probes[0].basic_auth.password_file: secret file {FIXTURES}/secrets/empty is empty"
    ],
    "missing_ca_file.yml": [
        "probes[0].tls.ca_file: cannot read CA file /nonexistent/statusprobe/internal-ca.pem"
    ],
    "both_bearer_token_and_file.yml": [
        "probes[0].bearer_token_file: set bearer_token or bearer_token_file, not both"
    ],
    "both_password_and_file.yml": [
        "probes[0].basic_auth.password_file: set password or password_file, not both"
    ],
    "basic_auth_and_bearer_token.yml": [
        "probes[0].basic_auth: use either basic_auth or bearer_token, not both"
    ],
    "bad_header_name.yml": [
        "probes[0].headers.API Key: not a valid HTTP header name: use letters, digits and -"
    ],
    "bad_header_value.yml": [
        "probes[0].headers.X-Probe-Site: header value must be printable ASCII, without line breaks"
    ],
    "header_value_not_a_string.yml": ["probes[0].headers.anthropic-version: must be a string"],
    "bad_regex.yml": [
        "probes[0].expect.body_regex: invalid regular expression: "
        "missing ), unterminated subpattern at position 0"
    ],
    "bad_status_code.yml": ["probes[0].expect.status_codes[1]: must be at most 599"],
    "invalid_yaml.yml": [
        "invalid YAML at line 6, column 4: expected <block end>, but found '<block mapping start>'"
    ],
    "empty.yml": ["the config is empty"],
    "not_a_mapping.yml": ["the config must be a mapping of sections"],
    "section_not_a_list.yml": ["status_pages: must be a list"],
    # Field errors first (in file order), then cross-references; all in one report.
    "many_errors.yml": [
        "scheduler.max_concurrency: must be at least 1",
        "status_pages[0].url: must be an http:// or https:// URL with a host",
        f"status_pages[0].interval: invalid duration '1 minute': {_DURATION_HINT}",
        "probes[0].timeout: timeout (30s) must not exceed interval (10s)",
        "probes[1].retries: unknown field",
        "slos[0].objective: must be a percentage between 0 and 100 (exclusive), e.g. 99.9",
        "slos[0].window: invalid duration 30: a duration needs a unit, e.g. 30s",
        "probes[1].name: duplicate name 'anthropic-messages' (also probes[0])",
        "probes[0].page: no status page named 'claude' in status_pages",
    ],
}


@pytest.fixture
def fixture_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATUSPROBE_TEST_TOKEN", "fixture-env-token")
    monkeypatch.delenv("STATUSPROBE_TEST_UNSET_KEY", raising=False)


@pytest.mark.usefixtures("fixture_env")
@pytest.mark.parametrize("name", sorted(BAD_FIXTURES))
def test_bad_fixture_reports_exact_errors(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(FIXTURES / name)
    assert caught.value.lines() == BAD_FIXTURES[name]
    assert str(caught.value) == "; ".join(BAD_FIXTURES[name])


def test_every_bad_fixture_is_tested_and_states_its_error() -> None:
    on_disk = {p.name for p in FIXTURES.glob("*.yml")} - {"valid.yml"}
    assert on_disk == set(BAD_FIXTURES)
    for name, lines in BAD_FIXTURES.items():
        first = (FIXTURES / name).read_text(encoding="utf-8").splitlines()[0]
        if len(lines) == 1:
            stated = first.removeprefix("# error: ").replace("{fixtures}", str(FIXTURES))
            assert stated == lines[0], name
        else:
            assert first.startswith("# errors: "), name


def test_error_paths_are_exact_pairs() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(FIXTURES / "timeout_exceeds_interval.yml")
    assert caught.value.errors == [
        ("probes[0].timeout", "timeout (20s) must not exceed interval (10s)")
    ]


def test_unreadable_config_file() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("/nonexistent/statusprobe.yml")
    assert caught.value.errors == [
        ("", "cannot read /nonexistent/statusprobe.yml: No such file or directory")
    ]


# --- the valid example ------------------------------------------------------

ANTHROPIC_KEY = "sk-ant-api03-fixtureAnthropicKey0000"
GITHUB_TOKEN = "ghp_fixtureGithubToken0000000000000000"
GATEWAY_PASSWORD = "gw-fixture-password-0000"
REGION = "eu-west-1"


@pytest.fixture
def valid_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    """valid.yml copied next to its secret files, loaded from another working directory."""
    shutil.copy(FIXTURES / "valid.yml", tmp_path / "valid.yml")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "github-token").write_text(GITHUB_TOKEN + "\n", encoding="utf-8")
    (tmp_path / "secrets" / "internal-ca.pem").write_text("not parsed at load\n", "utf-8")
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    monkeypatch.setenv("GATEWAY_PASSWORD", GATEWAY_PASSWORD)
    monkeypatch.setenv("PROBE_REGION", REGION)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # relative paths follow the config file, not the cwd
    return load_config(tmp_path / "valid.yml")


def test_valid_status_pages(valid_config: Config) -> None:
    assert valid_config.scheduler.max_concurrency == 32
    anthropic, github = valid_config.status_pages
    assert (anthropic.name, anthropic.provider, anthropic.url) == (
        "anthropic",
        "statuspage",
        "https://status.claude.com",
    )
    assert (anthropic.interval, anthropic.timeout, anthropic.effective_timeout) == (
        60.0,
        None,
        10.0,
    )
    assert (github.provider, github.url) == ("statuspage", "https://www.githubstatus.com")
    assert (github.interval, github.timeout, github.effective_timeout) == (120.0, 20.0, 20.0)
    assert valid_config.page("github") is github
    assert valid_config.page("openai") is None


def test_valid_probes(valid_config: Config, tmp_path: Path) -> None:
    models, rate_limit, gateway = valid_config.probes

    assert (models.name, models.type, models.method) == ("anthropic-models", "http", "GET")
    assert models.url == "https://api.anthropic.com/v1/models"
    assert (models.interval, models.timeout, models.effective_timeout) == (30.0, 10.0, 10.0)
    assert (models.page, models.component) == ("anthropic", "Claude API")
    assert {k: v.get_secret_value() for k, v in models.headers.items()} == {
        "x-api-key": ANTHROPIC_KEY,
        "anthropic-version": "2023-06-01",
    }
    assert models.expect.status_codes == (200,)
    assert models.expect.body_contains == '"data"'
    assert models.expect.status_ok(200)
    assert not models.expect.status_ok(204)
    assert models.follow_redirects is True
    assert models.tls.ca_file is None
    assert models.tls.insecure_skip_verify is False

    assert (rate_limit.interval, rate_limit.timeout, rate_limit.effective_timeout) == (
        60.0,
        None,
        15.0,
    )
    assert (rate_limit.page, rate_limit.component) == ("github", "API Requests")
    assert rate_limit.bearer_token is None
    assert rate_limit.bearer_token_file is not None
    assert rate_limit.bearer_token_file.get_secret_value() == GITHUB_TOKEN  # newline stripped
    assert rate_limit.headers["X-Probe-Region"].get_secret_value() == REGION
    assert rate_limit.expect.status_codes == ()
    assert rate_limit.expect.body_regex == r'"remaining":\s*\d+'
    assert rate_limit.expect.status_ok(299)
    assert not rate_limit.expect.status_ok(301)

    assert (gateway.method, gateway.body, gateway.follow_redirects) == (
        "POST",
        '{"probe": true}',
        False,
    )
    assert (gateway.interval, gateway.timeout, gateway.effective_timeout) == (5.0, None, 5.0)
    assert (gateway.page, gateway.component) == (None, None)
    assert gateway.basic_auth is not None
    assert gateway.basic_auth.username == "statusprobe"
    assert gateway.basic_auth.password_value() == GATEWAY_PASSWORD
    assert gateway.tls.ca_file == tmp_path / "secrets" / "internal-ca.pem"
    assert gateway.expect.status_codes == (200, 204)


def test_valid_slo(valid_config: Config) -> None:
    (slo,) = valid_config.slos
    assert (slo.name, slo.probe, slo.objective, slo.window) == (
        "anthropic-api-availability",
        "anthropic-models",
        99.5,
        30 * 86400.0,
    )


def test_secret_values_lists_every_secret_in_every_form(valid_config: Config) -> None:
    # Headers count when their name looks sensitive; ordinary values stay readable in logs.
    basic = base64.b64encode(f"statusprobe:{GATEWAY_PASSWORD}".encode()).decode()
    assert valid_config.secret_values() == [ANTHROPIC_KEY, GITHUB_TOKEN, GATEWAY_PASSWORD, basic]


def test_secrets_are_not_visible_in_repr_or_str(valid_config: Config) -> None:
    shown = [repr(valid_config), str(valid_config), valid_config.model_dump_json()]
    shown += [repr(p) for p in valid_config.probes]
    for text in shown:
        for secret in (ANTHROPIC_KEY, GITHUB_TOKEN, GATEWAY_PASSWORD):
            assert secret not in text
    assert "SecretStr('**********')" in repr(valid_config.probes[0])


def test_config_is_frozen(valid_config: Config) -> None:
    with pytest.raises(ValueError, match="frozen"):
        valid_config.probes[0].interval = 1.0  # type: ignore[misc]


def test_valid_example_has_no_literal_secrets() -> None:
    assert literal_secret_warnings(read_raw(FIXTURES / "valid.yml")) == []


def test_secret_file_is_read_again_on_every_load(tmp_path: Path) -> None:
    token = tmp_path / "token"
    config_file = tmp_path / "config.yml"
    config_file.write_text(
        "probes:\n"
        "  - name: github-api\n"
        "    type: http\n"
        "    url: https://api.github.com/rate_limit\n"
        "    bearer_token_file: token\n",
        encoding="utf-8",
    )
    token.write_text("first-token\n", encoding="utf-8")
    assert load_config(config_file).secret_values() == ["first-token"]
    token.write_text("rotated-token\n", encoding="utf-8")
    assert load_config(config_file).secret_values() == ["rotated-token"]


@pytest.mark.parametrize(
    ("interval", "timeout", "effective"),
    [
        (None, None, 10.0),
        ("4s", None, 4.0),
        ("10s", None, 10.0),
        ("5m", None, 10.0),
        ("5m", "1m", 60.0),
    ],
)
def test_page_default_timeout_is_min_10s_interval(
    interval: str | None, timeout: str | None, effective: float
) -> None:
    fields = {"name": "p", "url": "https://status.example.com"}
    fields |= {k: v for k, v in (("interval", interval), ("timeout", timeout)) if v}
    assert StatusPageConfig.model_validate(fields).effective_timeout == effective


@pytest.mark.parametrize(
    ("interval", "timeout", "effective"),
    [
        (None, None, 15.0),
        ("3s", None, 3.0),
        ("15s", None, 15.0),
        ("1h", None, 15.0),
        ("1h", "45s", 45.0),
    ],
)
def test_probe_default_timeout_is_min_15s_interval(
    interval: str | None, timeout: str | None, effective: float
) -> None:
    fields = {"name": "q", "type": "http", "url": "https://example.com"}
    fields |= {k: v for k, v in (("interval", interval), ("timeout", timeout)) if v}
    assert HttpProbeConfig.model_validate(fields).effective_timeout == effective


# --- ${VAR} expansion ------------------------------------------------------------


def test_env_vars_expand_only_in_secret_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN", "tok-123")
    monkeypatch.setenv("GW_PASSWORD", "pw-456")
    monkeypatch.setenv("HOST", "example.com")
    config = parse_config(
        {
            "status_pages": [{"name": "p", "url": "https://status.${HOST}"}],
            "probes": [
                {
                    "name": "a",
                    "type": "http",
                    "url": "https://${HOST}/health",
                    "body": '{"host": "${HOST}"}',
                    "headers": {"Authorization": "Bearer ${TOKEN}", "X-Literal": "$TOKEN"},
                    "expect": {"body_contains": "${HOST}"},
                },
                {
                    "name": "b",
                    "type": "http",
                    "url": "https://example.com",
                    "bearer_token": "${TOKEN}",
                },
                {
                    "name": "c",
                    "type": "http",
                    "url": "https://example.com",
                    "basic_auth": {"username": "${HOST}", "password": "${GW_PASSWORD}"},
                },
            ],
        }
    )
    a, b, c = config.probes
    assert config.status_pages[0].url == "https://status.${HOST}"
    assert a.url == "https://${HOST}/health"
    assert a.body == '{"host": "${HOST}"}'
    assert a.expect.body_contains == "${HOST}"
    assert a.headers["Authorization"].get_secret_value() == "Bearer tok-123"
    assert a.headers["X-Literal"].get_secret_value() == "$TOKEN"  # only ${...} expands
    assert b.bearer_token is not None
    assert b.bearer_token.get_secret_value() == "tok-123"
    assert c.basic_auth is not None
    assert c.basic_auth.username == "${HOST}"
    assert c.basic_auth.password_value() == "pw-456"


def test_file_paths_are_not_env_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRETS_DIR", "/run/secrets")
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {
                "probes": [
                    {
                        "name": "a",
                        "type": "http",
                        "url": "https://example.com",
                        "bearer_token_file": "/nonexistent/${SECRETS_DIR}/token",
                    }
                ]
            }
        )
    assert caught.value.lines() == [
        "probes[0].bearer_token_file: cannot read secret file "
        "/nonexistent/${SECRETS_DIR}/token: No such file or directory"
    ]


# --- literal secret warnings -----------------------------------------------------


def test_literal_secret_warnings_name_exact_paths() -> None:
    raw = {
        "probes": [
            {
                "name": "a",
                "type": "http",
                "url": "https://example.com",
                "bearer_token": "sk-literal",
                "headers": {
                    "Authorization": "Bearer sk-literal",
                    "X-Api-Key": "literal",
                    "x-auth-token": "literal",
                    "Cookie": "session=literal",
                    "X-Env-Key": "${SOME_KEY}",  # not sensitive by name; not literal anyway
                    "Api_Key": "Bearer ${SOME_KEY}",  # a ${VAR} reference: no warning
                    "Accept": "application/json",  # not a secret-looking header name
                },
            },
            {
                "name": "b",
                "type": "http",
                "url": "https://example.com",
                "bearer_token_file": "/run/secrets/token",
                "basic_auth": {"username": "u", "password": "hunter2"},
            },
            {
                "name": "c",
                "type": "http",
                "url": "https://example.com",
                "bearer_token": "${TOKEN}",
                "basic_auth": {"username": "u", "password_file": "/run/secrets/pw"},
            },
            "not a mapping",
        ]
    }
    advice = "a literal secret; prefer ${ENV_VAR} or a *_file sibling"
    assert literal_secret_warnings(raw) == [
        f"probes[0].bearer_token: {advice}",
        f"probes[0].headers.Authorization: {advice}",
        f"probes[0].headers.X-Api-Key: {advice}",
        f"probes[0].headers.x-auth-token: {advice}",
        f"probes[0].headers.Cookie: {advice}",
        f"probes[1].basic_auth.password: {advice}",
    ]


@pytest.mark.parametrize("raw", [None, [], "text", {"probes": "nope"}, {"probes": None}])
def test_literal_secret_warnings_tolerate_malformed_documents(raw: object) -> None:
    assert literal_secret_warnings(raw) == []


# --- secrets never reach error messages ----------------------------------------

PLANTED = "sk-ant-api03-PLANTEDsecret"


def test_invalid_yaml_shows_position_but_not_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_text(tmp_path, f"probes:\n  - name: a\n    bearer_token: {PLANTED}: oops\n")
    assert caught.value.lines() == [
        "invalid YAML at line 3, column 45: mapping values are not allowed here"
    ]
    assert PLANTED not in str(caught.value)


def load_config_text(tmp_path: Path, text: str) -> Config:
    config_file = tmp_path / "config.yml"
    config_file.write_text(text, encoding="utf-8")
    return load_config(config_file)


def test_value_not_matching_its_yaml_tag_is_a_config_error(tmp_path: Path) -> None:
    # Plain PyYAML raises a bare ValueError that quotes the value.
    with pytest.raises(ConfigError) as caught:
        load_config_text(tmp_path, f"probes:\n  - bearer_token: !!int {PLANTED}\n")
    assert caught.value.lines() == [
        "invalid YAML at line 2, column 19: the value does not match its tag !!int"
    ]
    assert PLANTED not in str(caught.value)


def test_merge_keys_may_be_overridden(tmp_path: Path) -> None:
    config = load_config_text(
        tmp_path,
        "status_pages:\n"
        "  - &base {name: a, url: 'https://status.example.com', interval: 1m}\n"
        "  - {<<: *base, name: b}\n",
    )
    assert [(p.name, p.interval) for p in config.status_pages] == [("a", 60.0), ("b", 60.0)]


def _probe(**fields: object) -> dict[str, object]:
    return {"name": "a", "type": "http", "url": "https://example.com", **fields}


@pytest.mark.parametrize(
    ("probe", "lines"),
    [
        pytest.param(
            _probe(headers={"Authorization": f"Bearer {PLANTED}", "X-Retries": 3}),
            ["probes[0].headers.X-Retries: must be a string"],
            id="header-map-with-a-type-error",
        ),
        pytest.param(
            _probe(headers={"Authorization": f"Bearer {PLANTED}\r\nX-Injected: 1"}),
            [
                "probes[0].headers.Authorization: "
                "header value must be printable ASCII, without line breaks"
            ],
            id="header-value-with-a-line-break",
        ),
        pytest.param(
            _probe(headers={"Authorization": [PLANTED]}),
            ["probes[0].headers.Authorization: must be a string"],
            id="secret-of-the-wrong-type",
        ),
        pytest.param(
            _probe(headers=[f"Authorization: {PLANTED}"]),
            ["probes[0].headers: must be a mapping"],
            id="header-list",
        ),
        pytest.param(
            _probe(api_key=PLANTED),
            ["probes[0].api_key: unknown field"],
            id="unknown-secret-field",
        ),
        pytest.param(
            _probe(url=f"https://user:{PLANTED}@example.com/"),
            ["probes[0].url: must not contain credentials (user:password@); use basic_auth"],
            id="credentials-in-url",
        ),
        pytest.param(
            _probe(url=f"example.com/?key={PLANTED}"),
            ["probes[0].url: must be an http:// or https:// URL with a host"],
            id="url-without-scheme",
        ),
        pytest.param(
            _probe(bearer_token=PLANTED, basic_auth={"username": "u", "password": PLANTED}),
            ["probes[0].basic_auth: use either basic_auth or bearer_token, not both"],
            id="conflicting-auth",
        ),
        pytest.param(
            _probe(bearer_token=PLANTED, method=PLANTED),
            [
                "probes[0].method: must be one of "
                "'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE' or 'OPTIONS'"
            ],
            id="secret-in-a-literal-field",
        ),
    ],
)
def test_secrets_never_appear_in_errors(probe: dict[str, object], lines: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"probes": [probe]})
    assert caught.value.lines() == lines
    assert PLANTED not in str(caught.value)
    assert PLANTED not in repr(caught.value.errors)


# --- the embedded default -------------------------------------------------------


def test_default_config_loads_with_well_known_pages() -> None:
    config = load_default_config()
    pages = {p.name: p for p in config.status_pages}
    assert {"anthropic", "openai", "github"} <= set(pages)
    assert pages["anthropic"].url == "https://status.claude.com"
    assert pages["openai"].url == "https://status.openai.com"
    assert pages["github"].url == "https://www.githubstatus.com"
    assert pages["anthropic"].provider == "statuspage"
    assert pages["openai"].provider == "incidentio"  # docs/sources.md; probes: test_default_config
    assert all(p.interval == 60.0 and p.effective_timeout == 10.0 for p in config.status_pages)
    assert config.slos == ()


# --- durations ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds", "canonical"),
    [
        ("500ms", 0.5, "500ms"),
        ("30s", 30.0, "30s"),
        ("5m", 300.0, "5m"),
        ("90m", 5400.0, "1h30m"),
        ("1h30m", 5400.0, "1h30m"),
        ("1500ms", 1.5, "1s500ms"),
        ("1d", 86400.0, "1d"),
        ("30d", 2592000.0, "4w2d"),
        ("1w", 604800.0, "1w"),
        ("1y", 31536000.0, "52w1d"),
        ("1d2h3m4s5ms", 93784.005, "1d2h3m4s5ms"),
        (" 15s ", 15.0, "15s"),
    ],
)
def test_parse_and_format_duration(text: str, seconds: float, canonical: str) -> None:
    assert parse_duration(text) == seconds
    assert format_duration(seconds) == canonical


@pytest.mark.parametrize(
    "text",
    [
        "",
        "30",
        "s",
        "ms",
        "1.5s",
        "-1s",
        "+1s",
        "5 m",
        "1sms",
        "30m1h",
        "1h1h",
        "1H",
        "1mo",
        "1e3s",
    ],
)
def test_parse_duration_rejects_garbage(text: str) -> None:
    message = (
        f"invalid duration {text.strip()!r}: write whole numbers with units "
        "(ms, s, m, h, d, w, y), largest unit first, e.g. 500ms, 30s, 5m, 1h30m"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_duration(text)


def test_format_duration_of_nothing() -> None:
    assert format_duration(0) == "0s"
    assert format_duration(-5) == "0s"
    assert format_duration(0.0004) == "0s"


_UNITS = ("y", "w", "d", "h", "m", "s", "ms")
_durations = st.lists(
    st.tuples(st.sampled_from(_UNITS), st.integers(0, 100_000)), min_size=1, max_size=7
).map(
    lambda parts: "".join(
        f"{n}{u}" for u, n in sorted(dict(parts).items(), key=lambda i: _UNITS.index(i[0]))
    )
)


@given(_durations)
def test_duration_round_trip(text: str) -> None:
    seconds = parse_duration(text)
    spelled = format_duration(seconds)
    assert parse_duration(spelled) == seconds
    assert format_duration(parse_duration(spelled)) == spelled  # the canonical form is stable


@given(st.integers(1, 10**12))
def test_format_is_exact_to_the_millisecond(ms: int) -> None:
    assert parse_duration(format_duration(ms / 1000)) == ms / 1000


@given(st.text(max_size=20))
def test_parse_duration_fails_only_with_value_error(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except ValueError:
        return
    assert seconds >= 0
    assert re.fullmatch(r"([0-9]+(ms|s|m|h|d|w|y))+", text.strip())


def test_expanded_header_value_is_checked_without_quoting_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TOKEN_WITH_NEWLINE", f"{PLANTED}\n")
    with pytest.raises(ConfigError) as caught:
        parse_config({"probes": [_probe(headers={"x-api-key": "${TOKEN_WITH_NEWLINE}"})]})
    assert caught.value.lines() == [
        "probes[0].headers.x-api-key: header value must be printable ASCII, without line breaks"
    ]
    assert PLANTED not in str(caught.value)


# --- docs/configuration.md stays in step with the code ---------------------------

DOCS = Path(__file__).parent.parent / "docs" / "configuration.md"


def test_reference_documents_every_field() -> None:
    text = DOCS.read_text(encoding="utf-8")
    models = (
        Config,
        SchedulerConfig,
        StatusPageConfig,
        HttpProbeConfig,
        BasicAuth,
        TLSConfig,
        Expect,
        SLOConfig,
    )
    missing = [
        f"{model.__name__}.{field}"
        for model in models
        for field in model.model_fields
        if not re.search(rf"^\s*(\[ )?{field}:", text, re.M)
    ]
    assert missing == []


def test_reference_full_example_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = DOCS.read_text(encoding="utf-8")
    example = text.split("## Full example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    token, ca_file = tmp_path / "token", tmp_path / "ca.pem"
    token.write_text("ghp_docs\n", encoding="utf-8")
    ca_file.write_text("ca\n", encoding="utf-8")
    example = example.replace("/run/secrets/github/token", str(token))
    example = example.replace("/etc/statusprobe/internal-ca.pem", str(ca_file))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-docs")
    monkeypatch.setenv("GATEWAY_PASSWORD", "docs-password")
    config = load_config_text(tmp_path, example)
    assert [p.name for p in config.probes] == [
        "anthropic-models",
        "github-rate-limit",
        "llm-gateway",
    ]
    assert [p.effective_timeout for p in config.status_pages] == [10.0, 20.0]
    assert [p.effective_timeout for p in config.probes] == [10.0, 15.0, 5.0]


def test_a_section_with_every_entry_commented_out_is_empty() -> None:
    config = parse_config({"status_pages": None, "probes": None, "slos": None})
    assert (config.status_pages, config.probes, config.slos) == ((), (), ())
