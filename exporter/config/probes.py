"""The `probes:` section: one frozen model per probe type, behind one discriminated union.

Every type shares `ProbeBase` (name, type, url, interval, timeout, page, component);
`type` picks the model. The field reference for users is docs/configuration.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
)

from exporter.config.checks import at_most_one, check_timeout
from exporter.config.types import (
    SENSITIVE_HEADER,
    Duration,
    HeaderName,
    HeaderValue,
    HttpUrl,
    Model,
    Name,
    Secret,
    SecretFile,
    StrictInt,
    file_path,
)
from exporter.durations import format_duration

PROBE_TYPES = ("http", "anthropic", "openai")
DEFAULT_TIMEOUT = 15.0  # a probe's timeout when unset: the smaller of this and interval
DEFAULT_STREAM_IDLE_TIMEOUT = 10.0  # likewise for stream_idle_timeout and timeout
DEFAULT_PROMPT = "Reply with the single word: ok"
_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_PATH_SEGMENT = re.compile(r"[^.\s]+")
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # a key file's content, as sent in a header


def _model_id(value: str) -> str:
    if not _MODEL_ID.fullmatch(value):
        raise ValueError("must be a model id: letters, digits and . _ : / @ + - (max 128)")
    return value


def _version(value: object) -> object:
    # Unquoted, YAML reads 2023-06-01 as a date; it can only mean the version string.
    return value.isoformat() if isinstance(value, dt.date) else value


def _version_token(value: str) -> str:
    if not _VERSION.fullmatch(value):
        raise ValueError('must be a version such as "2023-06-01"')
    return value


ModelId = Annotated[str, AfterValidator(_model_id)]
ApiVersion = Annotated[str, BeforeValidator(_version), AfterValidator(_version_token)]
JsonScalar = str | bool | int | float | None


def _header_secrets(headers: dict[str, SecretStr]) -> list[str]:
    """Values of headers whose name looks sensitive, and their part after "Bearer "."""
    values = [v.get_secret_value() for k, v in headers.items() if SENSITIVE_HEADER.search(k)]
    return values + [v.split(" ", 1)[1] for v in values if " " in v]


class BasicAuth(Model):
    username: str
    password: Secret | None = None
    password_file: SecretFile | None = None

    @field_validator("password_file")
    @classmethod
    def _one_password(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        at_most_one(info, "password", value, "password_file")
        return value

    def password_value(self) -> str:
        secret = self.password or self.password_file
        return secret.get_secret_value() if secret else ""


class TLSConfig(Model):
    ca_file: Annotated[Path, BeforeValidator(file_path)] | None = None
    insecure_skip_verify: bool = False

    @field_validator("ca_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not os.access(value, os.R_OK):
            raise ValueError(f"cannot read CA file {value}")
        return value


class JsonCheck(Model):
    """One `expect.body_json` entry: a dotted path into the JSON body, and its value."""

    path: str
    # Left out: the path must exist (any value, null included).
    equals: JsonScalar = None

    @field_validator("path")
    @classmethod
    def _dotted(cls, value: str) -> str:
        if not all(_PATH_SEGMENT.fullmatch(part) for part in value.split(".")):
            raise ValueError("must be keys joined by dots, e.g. status.indicator or data.0.id")
        return value

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.path.split("."))

    @property
    def compares(self) -> bool:
        """True when `equals` was written (even as null), False for an existence check."""
        return "equals" in self.model_fields_set


class Expect(Model):
    status_codes: tuple[Annotated[StrictInt, Field(ge=100, le=599)], ...] = ()  # empty: any 2xx
    body_contains: str | None = None
    body_regex: str | None = None
    body_json: tuple[JsonCheck, ...] = ()

    @field_validator("body_regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return value

    def status_ok(self, code: int) -> bool:
        return code in self.status_codes if self.status_codes else 200 <= code < 300


class ProbeBase(Model):
    """The fields every probe type has, in the order every type lists them."""

    name: Name
    type: str
    url: HttpUrl
    interval: Duration = 30.0
    timeout: Duration | None = None
    page: str | None = None
    component: str | None = None

    @property
    def effective_timeout(self) -> float:
        return self.timeout if self.timeout is not None else min(DEFAULT_TIMEOUT, self.interval)

    @property
    def keyless(self) -> bool:
        """True when the probe sends no credential: it sees what anonymous callers see."""
        return False

    @field_validator("timeout")
    @classmethod
    def _timeout_within_interval(cls, value: float | None, info: ValidationInfo) -> float | None:
        check_timeout(value, info.data.get("interval"))
        return value

    @field_validator("component")
    @classmethod
    def _component_has_page(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("page") is None:
            raise ValueError("component needs page: name the status page it belongs to")
        return value


class HttpProbeConfig(ProbeBase):
    type: Literal["http"]
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    headers: dict[HeaderName, HeaderValue] = Field(default_factory=dict)
    body: str | None = None
    bearer_token: Secret | None = None
    bearer_token_file: SecretFile | None = None
    basic_auth: BasicAuth | None = None
    follow_redirects: bool = True
    tls: TLSConfig = TLSConfig()
    expect: Expect = Expect()
    reuse_connections: bool = False

    @field_validator("bearer_token_file")
    @classmethod
    def _one_token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        at_most_one(info, "bearer_token", value, "bearer_token_file")
        return value

    @field_validator("basic_auth")
    @classmethod
    def _one_auth(cls, value: BasicAuth | None, info: ValidationInfo) -> BasicAuth | None:
        token = info.data.get("bearer_token") or info.data.get("bearer_token_file")
        if value is not None and token is not None:
            raise ValueError("use either basic_auth or bearer_token, not both")
        return value

    @property
    def keyless(self) -> bool:
        """No bearer token, no basic auth, no header whose name looks like a credential."""
        credentials = (self.bearer_token, self.bearer_token_file, self.basic_auth)
        return all(c is None for c in credentials) and not any(
            SENSITIVE_HEADER.search(name) for name in self.headers
        )

    def secret_values(self) -> list[str]:
        """Every secret this probe holds, in every form it may travel, for log redaction.

        Header values count when the header's name looks sensitive (Authorization,
        x-api-key, ...): redacting `application/json` everywhere would help nobody.
        """
        values = _header_secrets(self.headers)
        for secret in (self.bearer_token, self.bearer_token_file):
            if secret is not None:
                values.append(secret.get_secret_value())
        if self.basic_auth is not None and self.basic_auth.password_value():
            pair = f"{self.basic_auth.username}:{self.basic_auth.password_value()}"
            values += [self.basic_auth.password_value(), base64.b64encode(pair.encode()).decode()]
        return [v for v in values if v]


class LLMProbeBase(ProbeBase):
    """What the `anthropic` and `openai` probe types share."""

    # Headers the probe sets itself; `headers` may not set them.
    reserved_headers: ClassVar[frozenset[str]] = frozenset({"content-type"})

    headers: dict[HeaderName, HeaderValue] = Field(default_factory=dict)
    api_key: HeaderValue | None = None  # it travels in a header: printable ASCII
    api_key_file: SecretFile | None = Field(None, validate_default=True)
    mode: Literal["generate", "models"] = "generate"
    model: ModelId = ""
    max_tokens: StrictInt = Field(16, ge=1, le=4096)
    prompt: str = Field(DEFAULT_PROMPT, min_length=1, max_length=4000)
    stream_idle_timeout: Duration | None = None
    tls: TLSConfig = TLSConfig()
    reuse_connections: bool = False

    @property
    def effective_stream_idle_timeout(self) -> float:
        if self.stream_idle_timeout is not None:
            return self.stream_idle_timeout
        return min(DEFAULT_STREAM_IDLE_TIMEOUT, self.effective_timeout)

    @field_validator("headers")
    @classmethod
    def _not_reserved(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        taken = sorted({k.lower() for k in value} & cls.reserved_headers)
        if taken:
            raise ValueError(
                f"{', '.join(taken)}: set by the probe itself (use api_key"
                f"{', anthropic_version' if 'anthropic-version' in taken else ''})"
            )
        return value

    @field_validator("api_key_file")
    @classmethod
    def _one_key(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if "api_key" not in info.data:
            return value  # api_key itself was invalid; its own error says why
        at_most_one(info, "api_key", value, "api_key_file")
        if value is None and info.data["api_key"] is None:
            raise ValueError("an API key is required: set api_key or api_key_file")
        if value is not None and not _HEADER_SAFE.fullmatch(value.get_secret_value()):
            raise ValueError("the key in the file must be printable ASCII on one line")
        return value

    @field_validator("stream_idle_timeout")
    @classmethod
    def _idle_within_timeout(cls, value: float | None, info: ValidationInfo) -> float | None:
        interval, timeout = info.data.get("interval"), info.data.get("timeout")
        if value is None or not isinstance(interval, float):
            return value
        limit = timeout if isinstance(timeout, float) else min(DEFAULT_TIMEOUT, interval)
        if value > limit:
            raise ValueError(
                f"stream_idle_timeout ({format_duration(value)}) must not exceed timeout "
                f"({format_duration(limit)})"
            )
        return value

    def api_key_value(self) -> str:
        secret = self.api_key or self.api_key_file
        return secret.get_secret_value() if secret else ""

    def secret_values(self) -> list[str]:
        """The API key and the sensitive header values, for log redaction."""
        return [v for v in [self.api_key_value(), *_header_secrets(self.headers)] if v]


class AnthropicProbeConfig(LLMProbeBase):
    reserved_headers: ClassVar[frozenset[str]] = frozenset(
        {"content-type", "x-api-key", "anthropic-version"}
    )

    type: Literal["anthropic"]
    url: HttpUrl = "https://api.anthropic.com"
    model: ModelId = "claude-haiku-4-5"
    anthropic_version: ApiVersion = "2023-06-01"


class OpenAIProbeConfig(LLMProbeBase):
    reserved_headers: ClassVar[frozenset[str]] = frozenset({"content-type", "authorization"})

    type: Literal["openai"]
    url: HttpUrl = "https://api.openai.com"
    model: ModelId = "gpt-4o-mini"
    api: Literal["chat_completions", "responses"] = "chat_completions"

    @field_validator("api")
    @classmethod
    def _responses_minimum(cls, value: str, info: ValidationInfo) -> str:
        max_tokens = info.data.get("max_tokens")
        if value == "responses" and isinstance(max_tokens, int) and max_tokens < 16:
            raise ValueError(
                "the responses API needs max_tokens of 16 or more (its max_output_tokens minimum)"
            )
        return value


ProbeConfig = Annotated[
    HttpProbeConfig | AnthropicProbeConfig | OpenAIProbeConfig, Field(discriminator="type")
]
