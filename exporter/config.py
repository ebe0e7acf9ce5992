"""Typed, frozen configuration: `load_config(path) -> Config`.

Every error is reported at once with its dotted path (`probes[2].timeout: ...`).
Secrets are `SecretStr` from the moment they are read, so printing a config
object never shows them; `${VAR}` in a secret field expands an environment
variable, and `*_file` siblings read the secret from a file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from exporter.durations import format_duration, parse_duration
from exporter.errors import ConfigError

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$"
PROVIDERS = ("statuspage",)
PROBE_TYPES = ("http",)
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SENSITIVE_HEADER = re.compile(r"authorization|api[-_]?key|token|secret|cookie|password", re.I)


def _duration(value: object) -> object:
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value  # let pydantic report the type
    raise ValueError(f"invalid duration {value!r}: a duration needs a unit, e.g. {value}s")


def _expand_env(value: object) -> object:
    """Expand `${VAR}` references; a missing variable is an error naming it."""
    if not isinstance(value, str):
        return value

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set")
        return os.environ[name]

    return _ENV_REF.sub(sub, value)


def _read_secret_file(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return Path(value).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"cannot read secret file {value}: {exc.strerror}") from None


def _http_url(value: object) -> object:
    if not isinstance(value, str):
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http:// or https:// URL with a host, got {value!r}")
    return value.rstrip("/") if parts.path in ("", "/") else value


Duration = Annotated[float, BeforeValidator(_duration), Field(gt=0)]
Secret = Annotated[SecretStr, BeforeValidator(_expand_env)]
SecretFile = Annotated[SecretStr, BeforeValidator(_read_secret_file)]
HttpUrl = Annotated[str, BeforeValidator(_http_url)]
Name = Annotated[str, Field(pattern=NAME_PATTERN)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SchedulerConfig(_Model):
    max_concurrency: int = Field(64, ge=1, le=10000)


class StatusPageConfig(_Model):
    name: Name
    provider: Literal["statuspage"] = "statuspage"
    url: HttpUrl
    interval: Duration = 60.0
    timeout: Duration | None = None

    @property
    def effective_timeout(self) -> float:
        return self.timeout if self.timeout is not None else min(10.0, self.interval)

    @model_validator(mode="after")
    def _timeout_within_interval(self) -> StatusPageConfig:
        _check_timeout(self.timeout, self.interval)
        return self


class BasicAuth(_Model):
    username: str
    password: Secret | None = None
    password_file: SecretFile | None = None

    @model_validator(mode="after")
    def _one_password(self) -> BasicAuth:
        _at_most_one(self, "password", "password_file")
        return self

    def password_value(self) -> str:
        secret = self.password or self.password_file
        return secret.get_secret_value() if secret else ""


class TLSConfig(_Model):
    ca_file: Path | None = None
    insecure_skip_verify: bool = False

    @field_validator("ca_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not os.access(value, os.R_OK):
            raise ValueError(f"cannot read CA file {value}")
        return value


class Expect(_Model):
    status_codes: tuple[Annotated[int, Field(ge=100, le=599)], ...] = ()  # empty: any 2xx
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


class HttpProbeConfig(_Model):
    name: Name
    type: Literal["http"]
    url: HttpUrl
    interval: Duration = 30.0
    timeout: Duration | None = None
    page: str | None = None
    component: str | None = None
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    headers: dict[str, Secret] = Field(default_factory=dict)
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

    @model_validator(mode="after")
    def _consistent(self) -> HttpProbeConfig:
        _check_timeout(self.timeout, self.interval)
        _at_most_one(self, "bearer_token", "bearer_token_file")
        if self.basic_auth is not None and (self.bearer_token or self.bearer_token_file):
            raise ValueError("use either basic_auth or bearer_token, not both")
        if self.component is not None and self.page is None:
            raise ValueError("component needs page: name the status page it belongs to")
        return self

    def secret_values(self) -> list[str]:
        """Every secret this probe holds, so logging can redact them."""
        secrets = [*self.headers.values(), self.bearer_token, self.bearer_token_file]
        if self.basic_auth is not None:
            secrets += [self.basic_auth.password, self.basic_auth.password_file]
        return [s.get_secret_value() for s in secrets if s is not None and s.get_secret_value()]


ProbeConfig = Annotated[HttpProbeConfig, Field(discriminator="type")]


class SLOConfig(_Model):
    name: Name
    probe: str
    objective: float = Field(gt=0, lt=100)
    window: Duration = 30 * 86400.0


class Config(_Model):
    scheduler: SchedulerConfig = SchedulerConfig()
    status_pages: tuple[StatusPageConfig, ...] = ()
    probes: tuple[ProbeConfig, ...] = ()
    slos: tuple[SLOConfig, ...] = ()

    def secret_values(self) -> list[str]:
        return [s for probe in self.probes for s in probe.secret_values()]

    def page(self, name: str) -> StatusPageConfig | None:
        return next((p for p in self.status_pages if p.name == name), None)


def _check_timeout(timeout: float | None, interval: float) -> None:
    if timeout is not None and timeout > interval:
        raise ValueError(
            f"timeout ({format_duration(timeout)}) must not exceed interval "
            f"({format_duration(interval)})"
        )


def _at_most_one(model: BaseModel, first: str, second: str) -> None:
    if getattr(model, first) is not None and getattr(model, second) is not None:
        raise ValueError(f"set {first} or {second}, not both")


# --- loading ---------------------------------------------------------------


def load_config(path: str | Path) -> Config:
    """Read, validate and cross-check a config file; ConfigError lists every problem."""
    return parse_config(_read_yaml(Path(path)))


def load_default_config() -> Config:
    text = resources.files("exporter").joinpath("default_config.yml").read_text("utf-8")
    return parse_config(_parse_yaml(text))


def parse_config(raw: object) -> Config:
    if raw is None:
        raise ConfigError([("", "the config is empty")])
    if not isinstance(raw, dict):
        raise ConfigError([("", "the config must be a mapping of sections")])
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_translate(exc)) from None
    errors = list(_cross_check(config))
    if errors:
        raise ConfigError(errors)
    return config


def literal_secret_warnings(raw: object) -> list[str]:
    """Secrets written literally in the file rather than as `${VAR}` or `*_file`."""
    warnings: list[str] = []
    probes = raw.get("probes") if isinstance(raw, dict) else None
    for i, probe in enumerate(probes if isinstance(probes, list) else []):
        if not isinstance(probe, dict):
            continue
        candidates: list[tuple[str, object]] = [(f"probes[{i}].bearer_token", probe.get("bearer_token"))]
        headers = probe.get("headers")
        if isinstance(headers, dict):
            candidates += [
                (f"probes[{i}].headers.{k}", v)
                for k, v in headers.items()
                if _SENSITIVE_HEADER.search(str(k))
            ]
        auth = probe.get("basic_auth")
        if isinstance(auth, dict):
            candidates.append((f"probes[{i}].basic_auth.password", auth.get("password")))
        for path, value in candidates:
            if isinstance(value, str) and value and not _ENV_REF.search(value):
                warnings.append(
                    f"{path}: a literal secret; prefer ${{ENV_VAR}} or a *_file sibling"
                )
    return warnings


def read_raw(path: str | Path) -> object:
    return _read_yaml(Path(path))


def _read_yaml(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([("", f"cannot read {path}: {exc.strerror}")]) from None
    return _parse_yaml(text)


def _parse_yaml(text: str) -> object:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        # Only the position and the problem: the offending line may hold a secret.
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "cannot parse"
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError([("", f"invalid YAML{where}: {problem}")]) from None


def _cross_check(config: Config) -> Iterable[tuple[str, str]]:
    yield from _unique("status_pages", [p.name for p in config.status_pages])
    yield from _unique("probes", [p.name for p in config.probes])
    yield from _unique("slos", [s.name for s in config.slos])
    pages = {p.name for p in config.status_pages}
    for i, probe in enumerate(config.probes):
        if probe.page is not None and probe.page not in pages:
            yield f"probes[{i}].page", f"no status page named {probe.page!r} in status_pages"
    probes = {p.name for p in config.probes}
    for i, slo in enumerate(config.slos):
        if slo.probe not in probes:
            yield f"slos[{i}].probe", f"no probe named {slo.probe!r} in probes"


def _unique(section: str, names: list[str]) -> Iterable[tuple[str, str]]:
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            yield f"{section}[{i}].name", f"duplicate name {name!r} (also {section}[{seen[name]}])"
        seen.setdefault(name, i)


def _translate(exc: ValidationError) -> list[tuple[str, str]]:
    return [(_path(err["loc"]), _message(err)) for err in exc.errors(include_input=False)]


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i > 0 and isinstance(loc[i - 1], int) and part in PROBE_TYPES:
            continue  # the discriminated-union tag pydantic inserts after an index
        else:
            out += f".{part}" if out else part
    return out


def _message(err: Mapping[str, Any]) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}"
    if kind == "union_tag_invalid":
        return f"unknown type {ctx.get('tag')!r}; known types: {', '.join(PROBE_TYPES)}"
    if kind == "union_tag_not_found":
        return f"type is required; known types: {', '.join(PROBE_TYPES)}"
    if kind == "string_pattern_mismatch":
        return "must start with a letter or digit and use only letters, digits, _ . : - (max 63)"
    message = str(err["msg"])
    return message.removeprefix("Value error, ")
