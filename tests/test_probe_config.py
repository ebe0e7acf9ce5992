"""Config of the `anthropic` and `openai` probe types, and the new `http` options.

Each invalid case asserts the exact message with its path, as `check-config` prints it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from exporter.config import (
    AnthropicProbeConfig,
    JsonCheck,
    LLMProbeBase,
    OpenAIProbeConfig,
    parse_config,
)
from exporter.errors import ConfigError

DOCS = Path(__file__).parent.parent / "docs" / "configuration.md"


def errors(*probes: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config({"probes": list(probes)})
    return caught.value.lines()


def llm(kind: str = "anthropic", **fields: Any) -> dict[str, Any]:
    return {"name": "p", "type": kind, "api_key": "sk-test-key"} | fields


def test_anthropic_defaults() -> None:
    config = parse_config({"probes": [llm()]}).probes[0]
    assert isinstance(config, AnthropicProbeConfig)
    assert config.url == "https://api.anthropic.com"
    assert (config.mode, config.model, config.max_tokens) == ("generate", "claude-haiku-4-5", 16)
    assert config.prompt == "Reply with the single word: ok"
    assert config.anthropic_version == "2023-06-01"
    assert (config.interval, config.effective_timeout) == (30.0, 15.0)
    assert config.effective_stream_idle_timeout == 10.0
    assert config.reuse_connections is False
    assert config.tls.insecure_skip_verify is False


def test_openai_defaults() -> None:
    config = parse_config({"probes": [llm("openai")]}).probes[0]
    assert isinstance(config, OpenAIProbeConfig)
    assert config.url == "https://api.openai.com"
    assert (config.api, config.mode, config.model) == (
        "chat_completions",
        "generate",
        "gpt-4o-mini",
    )
    assert config.max_tokens == 16


@pytest.mark.parametrize(
    ("interval", "timeout", "idle"),
    [("30s", None, 10.0), ("5s", None, 5.0), ("1m", "4s", 4.0), ("1m", "30s", 10.0)],
)
def test_stream_idle_timeout_defaults_to_min_10s_timeout(
    interval: str, timeout: str | None, idle: float
) -> None:
    fields = {"interval": interval} | ({"timeout": timeout} if timeout else {})
    config = parse_config({"probes": [llm(**fields)]}).probes[0]
    assert isinstance(config, LLMProbeBase)
    assert config.effective_stream_idle_timeout == idle


def test_the_unquoted_version_date_is_read_as_the_version(tmp_path: Path) -> None:
    import yaml

    raw = yaml.safe_load(
        "probes:\n- {name: p, type: anthropic, api_key: k, anthropic_version: 2023-06-01}\n"
    )
    config = parse_config(raw).probes[0]
    assert isinstance(config, AnthropicProbeConfig)
    assert config.anthropic_version == "2023-06-01"


@pytest.mark.parametrize(
    ("probe", "message"),
    [
        (
            {"name": "p", "type": "anthropic"},
            "probes[0].api_key_file: an API key is required: set api_key or api_key_file",
        ),
        (
            llm(stream_idle_timeout="20s"),
            "probes[0].stream_idle_timeout: "
            "stream_idle_timeout (20s) must not exceed timeout (15s)",
        ),
        (
            llm(timeout="5s", stream_idle_timeout="6s"),
            "probes[0].stream_idle_timeout: stream_idle_timeout (6s) must not exceed timeout (5s)",
        ),
        (llm(max_tokens=0), "probes[0].max_tokens: must be at least 1"),
        (llm(max_tokens=5000), "probes[0].max_tokens: must be at most 4096"),
        (llm(max_tokens="8"), "probes[0].max_tokens: must be an integer"),
        (llm(mode="chat"), "probes[0].mode: must be one of 'generate' or 'models'"),
        (
            llm("openai", api="completions"),
            "probes[0].api: must be one of 'chat_completions' or 'responses'",
        ),
        (
            llm("openai", api="responses", max_tokens=8),
            "probes[0].api: the responses API needs max_tokens of 16 or more "
            "(its max_output_tokens minimum)",
        ),
        (
            llm(model="claude haiku"),
            "probes[0].model: must be a model id: letters, digits and . _ : / @ + - (max 128)",
        ),
        (llm(prompt=""), "probes[0].prompt: String should have at least 1 character"),
        (
            llm(anthropic_version="2023 06"),
            'probes[0].anthropic_version: must be a version such as "2023-06-01"',
        ),
        (
            llm(headers={"X-Api-Key": "k"}),
            "probes[0].headers: x-api-key: set by the probe itself (use api_key)",
        ),
        (
            llm(headers={"anthropic-version": "1"}),
            "probes[0].headers: anthropic-version: set by the probe itself "
            "(use api_key, anthropic_version)",
        ),
        (
            llm("openai", headers={"Authorization": "Bearer x"}),
            "probes[0].headers: authorization: set by the probe itself (use api_key)",
        ),
        (
            llm("openai", anthropic_version="2023-06-01"),
            "probes[0].anthropic_version: unknown field",
        ),
        (llm(api="responses"), "probes[0].api: unknown field"),
        (llm(expect={}), "probes[0].expect: unknown field"),
    ],
)
def test_invalid_llm_probes(probe: dict[str, Any], message: str) -> None:
    assert errors(probe) == [message]


def test_api_key_and_api_key_file_exclude_each_other(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("sk-file\n")
    assert errors(llm(api_key_file=str(key))) == [
        "probes[0].api_key_file: set api_key or api_key_file, not both"
    ]
    config = parse_config({"probes": [{"name": "p", "type": "openai", "api_key_file": str(key)}]})
    probe = config.probes[0]
    assert isinstance(probe, OpenAIProbeConfig)
    assert probe.api_key_value() == "sk-file"


def test_a_missing_env_var_is_the_only_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STATUSPROBE_NO_SUCH_KEY", raising=False)
    assert errors(llm(api_key="${STATUSPROBE_NO_SUCH_KEY}")) == [
        "probes[0].api_key: environment variable STATUSPROBE_NO_SUCH_KEY is not set"
    ]


def test_secret_values_cover_the_key_and_credential_headers() -> None:
    probe = llm(headers={"X-Gateway-Token": "Bearer gw-token-1", "anthropic-beta": "b1"})
    config = parse_config({"probes": [probe]})
    assert sorted(config.secret_values()) == sorted(
        ["sk-test-key", "Bearer gw-token-1", "gw-token-1"]
    )


# --- http: expect.body_json and reuse_connections ---------------------------------------


def test_body_json_checks() -> None:
    probe = {
        "name": "p",
        "type": "http",
        "url": "https://status.example.com/api/v2/status.json",
        "reuse_connections": True,
        "expect": {
            "body_json": [
                {"path": "status.indicator", "equals": "none"},
                {"path": "page.id"},
                {"path": "page.name", "equals": None},
            ]
        },
    }
    config = parse_config({"probes": [probe]}).probes[0]
    assert config.reuse_connections is True
    checks = config.expect.body_json  # type: ignore[union-attr]
    assert [c.segments for c in checks] == [
        ("status", "indicator"),
        ("page", "id"),
        ("page", "name"),
    ]
    assert [c.compares for c in checks] == [True, False, True]


@pytest.mark.parametrize("path", ["", "a..b", ".a", "a.", "a b"])
def test_body_json_path_must_be_dotted_keys(path: str) -> None:
    probe = {
        "name": "p",
        "type": "http",
        "url": "https://x.test",
        "expect": {"body_json": [{"path": path}]},
    }
    assert errors(probe) == [
        "probes[0].expect.body_json[0].path: must be keys joined by dots, "
        "e.g. status.indicator or data.0.id"
    ]


def test_body_json_equals_takes_scalars_only() -> None:
    check = {"path": "a", "equals": {"nested": 1}}
    probe = {"name": "p", "type": "http", "url": "https://x.test", "expect": {"body_json": [check]}}
    assert len(errors(probe)) >= 1
    assert JsonCheck(path="a", equals=True).equals is True


# --- the reference documents every field ---------------------------------------------


def test_reference_documents_every_probe_field() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [
        f"{model.__name__}.{field}"
        for model in (AnthropicProbeConfig, OpenAIProbeConfig, JsonCheck)
        for field in model.model_fields
        if not re.search(rf"^\s*(\[ )?{field}:", text, re.M)
    ]
    assert missing == []
    for heading in ("### `anthropic` probes", "### `openai` probes", "#### `<json_check>`"):
        assert heading in text


def test_reference_llm_examples_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    text = DOCS.read_text(encoding="utf-8")
    section = text.split("### Examples", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    key = tmp_path / "api-key"
    key.write_text("sk-ant-docs\n")
    example = example.replace("/run/secrets/anthropic/api-key", str(key))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-docs")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-docs")
    raw = yaml.safe_load(example)
    pages = [{"name": n, "url": f"https://status.{n}.com"} for n in ("anthropic", "openai")]
    config = parse_config({"status_pages": pages} | raw)
    assert [p.type for p in config.probes] == ["anthropic", "anthropic", "openai"]
