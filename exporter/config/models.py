"""The config sections as typed, frozen pydantic models.

Cross-field checks are field validators on the later field (fields validate in
declaration order), so each error carries that field's path and all are reported.
The field reference for users is docs/configuration.md.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path
from typing import Annotated, Literal, get_args
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, SecretStr, ValidationInfo, field_validator

from exporter.config.multi_target import MultiTargetConfig, check_stale_after
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

# The status-page platforms (exporter/sources/, docs/sources.md); `auto` detects one.
Provider = Literal[
    "statuspage", "incidentio", "statusio", "instatus", "slack", "gcp", "feed", "auto"
]
PROVIDERS: tuple[str, ...] = get_args(Provider)
STATUSIO_API_PATH = "/1.0/status/"
DEFAULT_STALE_AFTER = 300.0  # a page's stale_after is at least this by default
PROBE_TYPES = ("http",)


class SchedulerConfig(Model):
    max_concurrency: StrictInt = Field(64, ge=1, le=10000)


class StatusPageConfig(Model):
    name: Name
    provider: Provider = "statuspage"
    url: HttpUrl
    interval: Duration = 60.0
    timeout: Duration | None = None

    # Cardinality bounds and staleness: docs/configuration.md, <status_page_config>.
    max_components: StrictInt = Field(500, ge=1, le=100_000)
    max_incidents: StrictInt = Field(20, ge=1, le=1000)
    stale_after: Duration | None = None

    @property
    def effective_timeout(self) -> float:
        return self.timeout if self.timeout is not None else min(10.0, self.interval)

    @property
    def effective_stale_after(self) -> float:
        """Seconds after the last successful poll when the mirrored series go away."""
        if self.stale_after is not None:
            return self.stale_after
        return max(DEFAULT_STALE_AFTER, 5 * self.interval)

    @field_validator("stale_after")
    @classmethod
    def _stale_after_spans_two_polls(
        cls, value: float | None, info: ValidationInfo
    ) -> float | None:
        check_stale_after(value, info.data.get("interval"), "interval")
        return value

    @field_validator("url")
    @classmethod
    def _statusio_api_url(cls, value: str, info: ValidationInfo) -> str:
        path = urlsplit(value).path
        if info.data.get("provider") == "statusio" and not path.partition(STATUSIO_API_PATH)[2]:
            raise ValueError(
                "a statusio page's url is its API URL, https://api.status.io/1.0/status/<page_id>"
            )
        return value

    @field_validator("timeout")
    @classmethod
    def _timeout_within_interval(cls, value: float | None, info: ValidationInfo) -> float | None:
        _check_timeout(value, info.data.get("interval"))
        return value


class BasicAuth(Model):
    username: str
    password: Secret | None = None
    password_file: SecretFile | None = None

    @field_validator("password_file")
    @classmethod
    def _one_password(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        _at_most_one(info, "password", value, "password_file")
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


class Expect(Model):
    status_codes: tuple[Annotated[StrictInt, Field(ge=100, le=599)], ...] = ()  # empty: any 2xx
    body_contains: str | None = None
    body_regex: str | None = None

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


class HttpProbeConfig(Model):
    name: Name
    type: Literal["http"]
    url: HttpUrl
    interval: Duration = 30.0
    timeout: Duration | None = None
    page: str | None = None
    component: str | None = None
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    headers: dict[HeaderName, HeaderValue] = Field(default_factory=dict)
    body: str | None = None
    bearer_token: Secret | None = None
    bearer_token_file: SecretFile | None = None
    basic_auth: BasicAuth | None = None
    follow_redirects: bool = True
    tls: TLSConfig = TLSConfig()
    expect: Expect = Expect()

    @property
    def effective_timeout(self) -> float:
        return self.timeout if self.timeout is not None else min(15.0, self.interval)

    @field_validator("timeout")
    @classmethod
    def _timeout_within_interval(cls, value: float | None, info: ValidationInfo) -> float | None:
        _check_timeout(value, info.data.get("interval"))
        return value

    @field_validator("component")
    @classmethod
    def _component_has_page(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("page") is None:
            raise ValueError("component needs page: name the status page it belongs to")
        return value

    @field_validator("bearer_token_file")
    @classmethod
    def _one_token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        _at_most_one(info, "bearer_token", value, "bearer_token_file")
        return value

    @field_validator("basic_auth")
    @classmethod
    def _one_auth(cls, value: BasicAuth | None, info: ValidationInfo) -> BasicAuth | None:
        token = info.data.get("bearer_token") or info.data.get("bearer_token_file")
        if value is not None and token is not None:
            raise ValueError("use either basic_auth or bearer_token, not both")
        return value

    def secret_values(self) -> list[str]:
        """Every secret this probe holds, in every form it may travel, for log redaction.

        Header values count when the header's name looks sensitive (Authorization,
        x-api-key, ...): redacting `application/json` everywhere would help nobody.
        """
        values = [
            v.get_secret_value() for k, v in self.headers.items() if SENSITIVE_HEADER.search(k)
        ]
        values += [v.split(" ", 1)[1] for v in values if " " in v]  # "Bearer <token>"
        for secret in (self.bearer_token, self.bearer_token_file):
            if secret is not None:
                values.append(secret.get_secret_value())
        if self.basic_auth is not None and self.basic_auth.password_value():
            pair = f"{self.basic_auth.username}:{self.basic_auth.password_value()}"
            values += [self.basic_auth.password_value(), base64.b64encode(pair.encode()).decode()]
        return [v for v in values if v]


ProbeConfig = Annotated[HttpProbeConfig, Field(discriminator="type")]


class SLOConfig(Model):
    name: Name
    probe: str
    objective: float = Field(strict=True)  # percent: 99.9, not 0.999
    window: Duration = 30 * 86400.0

    @field_validator("objective")
    @classmethod
    def _percentage(cls, value: float) -> float:
        if not 0 < value < 100:
            raise ValueError("must be a percentage between 0 and 100 (exclusive), e.g. 99.9")
        return value


class Config(Model):
    scheduler: SchedulerConfig = SchedulerConfig()
    status_pages: tuple[StatusPageConfig, ...] = ()
    probes: tuple[ProbeConfig, ...] = ()
    slos: tuple[SLOConfig, ...] = ()
    multi_target: MultiTargetConfig = MultiTargetConfig()

    def secret_values(self) -> list[str]:
        return [s for probe in self.probes for s in probe.secret_values()]

    def page(self, name: str) -> StatusPageConfig | None:
        return next((p for p in self.status_pages if p.name == name), None)


def _check_timeout(timeout: float | None, interval: object) -> None:
    # `interval` is absent from the validated data when it was itself invalid.
    if timeout is not None and isinstance(interval, float) and timeout > interval:
        raise ValueError(
            f"timeout ({format_duration(timeout)}) must not exceed interval "
            f"({format_duration(interval)})"
        )


def _at_most_one(info: ValidationInfo, first: str, value: object, second: str) -> None:
    if value is not None and info.data.get(first) is not None:
        raise ValueError(f"set {first} or {second}, not both")
