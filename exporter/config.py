"""Typed, frozen configuration: `load_config(path) -> Config`.

Every error is reported at once with its dotted path (`probes[2].timeout: ...`).
Secrets are `SecretStr` from the moment they are read, so printing a config
object never shows them; `${VAR}` in a secret field expands an environment
variable, and `*_file` siblings read the secret from a file (a relative path is
relative to the config file's directory). Error messages never quote a value from
the file. The field reference for users is docs/configuration.md.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from exporter.durations import format_duration, parse_duration
from exporter.errors import ConfigError

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$"
PROVIDERS = ("statuspage",)
PROBE_TYPES = ("http",)
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
_LIST_SECTIONS = ("status_pages", "probes", "slos")
_SENSITIVE_HEADER = re.compile(r"authorization|api[-_]?key|token|secret|cookie|password", re.I)


def _duration(value: object) -> float:
    if isinstance(value, str):
        seconds = parse_duration(value)
        if seconds <= 0:
            raise ValueError(f"invalid duration {value.strip()!r}: must be longer than 0s")
        return seconds
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}: a duration needs a unit, e.g. {value}s")
    raise ValueError("must be a duration with a unit, e.g. 30s, 5m, 1h30m")


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


def _config_relative(value: str, info: ValidationInfo) -> Path:
    """A relative path names a file next to the config file (Prometheus's convention).

    parse_config without `base_dir` (the embedded default, tests) leaves it relative to
    the working directory.
    """
    path = Path(value)
    base_dir = (info.context or {}).get("base_dir")
    return path if path.is_absolute() or base_dir is None else Path(base_dir) / path


def _read_secret_file(value: object, info: ValidationInfo) -> object:
    """Read a `*_file` secret; surrounding whitespace (the trailing newline) is dropped."""
    if not isinstance(value, str):
        return value
    path = _config_relative(value, info)
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"cannot read secret file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValueError(f"secret file {path} is not UTF-8 text") from None
    if not secret:
        raise ValueError(f"secret file {path} is empty")
    return secret


def _file_path(value: object, info: ValidationInfo) -> object:
    return _config_relative(value, info) if isinstance(value, str) else value


def _header_name(value: str) -> str:
    if not _HEADER_NAME.fullmatch(value):
        raise ValueError("not a valid HTTP header name: use letters, digits and -")
    return value


def _header_value(value: SecretStr) -> SecretStr:
    # Checked after ${VAR} expansion; the value itself is never quoted.
    if not _HEADER_VALUE.fullmatch(value.get_secret_value()):
        raise ValueError("header value must be printable ASCII, without line breaks")
    return value


def _http_url(value: object) -> object:
    # The URL is never echoed: a mistyped one may carry a token or a password.
    if not isinstance(value, str):
        return value
    try:
        parts = urlsplit(value)
        host = parts.hostname
        has_credentials = parts.username is not None or parts.password is not None
    except ValueError:
        raise ValueError("must be an http:// or https:// URL with a host") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError("must be an http:// or https:// URL with a host")
    if has_credentials:
        raise ValueError("must not contain credentials (user:password@); use basic_auth")
    return value.rstrip("/") if parts.path in ("", "/") else value


Duration = Annotated[float, BeforeValidator(_duration), Field(gt=0)]
Secret = Annotated[SecretStr, BeforeValidator(_expand_env)]
HeaderName = Annotated[str, AfterValidator(_header_name)]
HeaderValue = Annotated[Secret, AfterValidator(_header_value)]
SecretFile = Annotated[SecretStr, BeforeValidator(_read_secret_file)]
HttpUrl = Annotated[str, BeforeValidator(_http_url)]
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
# Strict: YAML `true` must not become 1 (pydantic's lax mode would accept it).
StrictInt = Annotated[int, Field(strict=True)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SchedulerConfig(_Model):
    max_concurrency: StrictInt = Field(64, ge=1, le=10000)


class StatusPageConfig(_Model):
    name: Name
    provider: Literal["statuspage"] = "statuspage"
    url: HttpUrl
    interval: Duration = 60.0
    timeout: Duration | None = None

    @property
    def effective_timeout(self) -> float:
        return self.timeout if self.timeout is not None else min(10.0, self.interval)

    @field_validator("timeout")
    @classmethod
    def _timeout_within_interval(cls, value: float | None, info: ValidationInfo) -> float | None:
        _check_timeout(value, info.data.get("interval"))
        return value


class BasicAuth(_Model):
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


class TLSConfig(_Model):
    ca_file: Annotated[Path, BeforeValidator(_file_path)] | None = None
    insecure_skip_verify: bool = False

    @field_validator("ca_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not os.access(value, os.R_OK):
            raise ValueError(f"cannot read CA file {value}")
        return value


class Expect(_Model):
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


class HttpProbeConfig(_Model):
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

    # Cross-field checks are field validators on the later field (fields validate in
    # declaration order), so each error carries that field's path and all are reported.
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
            v.get_secret_value() for k, v in self.headers.items() if _SENSITIVE_HEADER.search(k)
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


class SLOConfig(_Model):
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


class Config(_Model):
    scheduler: SchedulerConfig = SchedulerConfig()
    status_pages: tuple[StatusPageConfig, ...] = ()
    probes: tuple[ProbeConfig, ...] = ()
    slos: tuple[SLOConfig, ...] = ()

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


# --- loading ---------------------------------------------------------------


def load_config(path: str | Path) -> Config:
    """Read, validate and cross-check a config file; ConfigError lists every problem.

    `${VAR}` references and `*_file` secrets are resolved here, so every call (start-up
    and each reload) sees the current environment and the current secret files. Relative
    file paths in the config are relative to the config file's directory.
    """
    path = Path(path)
    return parse_config(_read_yaml(path), base_dir=path.parent)


def load_default_config() -> Config:
    text = resources.files("exporter").joinpath("default_config.yml").read_text("utf-8")
    return parse_config(_parse_yaml(text))


def parse_config(raw: object, base_dir: str | Path | None = None) -> Config:
    """Validate an already-parsed YAML document; every problem is reported at once.

    `base_dir` anchors relative file paths (`*_file`, `tls.ca_file`); None leaves them
    relative to the working directory.
    """
    if raw is None:
        raise ConfigError([("", "the config is empty")])
    if not isinstance(raw, dict):
        raise ConfigError([("", "the config must be a mapping of sections")])
    # A section whose entries are all commented out is empty, as in Prometheus.
    raw = {k: [] if v is None and k in _LIST_SECTIONS else v for k, v in raw.items()}
    errors: list[tuple[str, str]] = []
    config: Config | None = None
    try:
        context = {"base_dir": None if base_dir is None else Path(base_dir)}
        config = Config.model_validate(raw, context=context)
    except ValidationError as exc:
        errors += _translate(exc)
    # Cross-references are checked on the raw document, so they are reported together
    # with the field errors rather than only once those are fixed.
    errors += _cross_check(raw)
    if errors or config is None:
        raise ConfigError(errors)
    return config


def literal_secret_warnings(raw: object) -> list[str]:
    """Secrets written literally in the file rather than as `${VAR}` or `*_file`."""
    warnings: list[str] = []
    for i, probe in _items(raw, "probes"):
        candidates: list[tuple[str, object]] = [
            (f"probes[{i}].bearer_token", probe.get("bearer_token"))
        ]
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
    """The parsed YAML document, unvalidated (for literal_secret_warnings)."""
    return _read_yaml(Path(path))


def _read_yaml(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([("", f"cannot read {path}: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise ConfigError([("", f"cannot read {path}: not UTF-8 text")]) from None
    return _parse_yaml(text)


_YAML_TAG_PREFIX = "tag:yaml.org,2002:"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys and reports bad `!!tag` values as YAML errors.

    PyYAML keeps the last of two equal keys silently, and a value that does not fit its
    explicit tag (`!!int abc`) raises a bare ValueError whose text holds the value.
    """

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except Exception:
            tag = str(node.tag).replace(_YAML_TAG_PREFIX, "!!")
            raise yaml.constructor.ConstructorError(
                None, None, f"the value does not match its tag {tag}", node.start_mark
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == _YAML_TAG_PREFIX + "merge":
                continue  # `<<:` merge keys may be overridden; that is their purpose
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # unhashable: the base class reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


def _parse_yaml(text: str) -> object:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: safe
    except yaml.YAMLError as exc:
        # Only the position and the problem: the offending line may hold a secret.
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "cannot parse"
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError([("", f"invalid YAML{where}: {problem}")]) from None


def _items(raw: object, section: str) -> list[tuple[int, dict[str, Any]]]:
    """(index, entry) for the mapping entries of a list section of the raw document."""
    entries = raw.get(section) if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        return []
    return [(i, entry) for i, entry in enumerate(entries) if isinstance(entry, dict)]


def _names(raw: object, section: str) -> list[tuple[int, str]]:
    return [(i, e["name"]) for i, e in _items(raw, section) if isinstance(e.get("name"), str)]


def _cross_check(raw: dict[str, Any]) -> Iterable[tuple[str, str]]:
    for section in ("status_pages", "probes", "slos"):
        yield from _unique(section, _names(raw, section))
    # A reference is only checked when the section it points into is a list (or absent):
    # if that section is malformed, its own error says so.
    if raw.get("status_pages") is None or isinstance(raw.get("status_pages"), list):
        pages = {name for _, name in _names(raw, "status_pages")}
        for i, probe in _items(raw, "probes"):
            page = probe.get("page")
            if isinstance(page, str) and page not in pages:
                yield f"probes[{i}].page", f"no status page named {page!r} in status_pages"
    if raw.get("probes") is None or isinstance(raw.get("probes"), list):
        probes = {name for _, name in _names(raw, "probes")}
        for i, slo in _items(raw, "slos"):
            target = slo.get("probe")
            if isinstance(target, str) and target not in probes:
                yield f"slos[{i}].probe", f"no probe named {target!r} in probes"


def _unique(section: str, names: list[tuple[int, str]]) -> Iterable[tuple[str, str]]:
    seen: dict[str, int] = {}
    for i, name in names:
        if name in seen:
            yield f"{section}[{i}].name", f"duplicate name {name!r} (also {section}[{seen[name]}])"
        seen.setdefault(name, i)


def _translate(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors(include_input=False):
        path = _path(err["loc"])
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path += ".type"
        out.append((path, _message(err)))
    return out


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            continue  # pydantic's marker for an error in a mapping's key, not its value
        elif i > 0 and isinstance(loc[i - 1], int) and part in PROBE_TYPES:
            continue  # the discriminated-union tag pydantic inserts after an index
        else:
            out += f".{part}" if out else part
    return out


# pydantic error types -> wording for someone who writes YAML, not Python.
_TYPE_MESSAGES = {
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "path_type": "must be a file path",
}
_BOUND_MESSAGES = {
    "greater_than": ("gt", "must be greater than {}"),
    "greater_than_equal": ("ge", "must be at least {}"),
    "less_than": ("lt", "must be less than {}"),
    "less_than_equal": ("le", "must be at most {}"),
}


def _message(err: Mapping[str, Any]) -> str:
    # Never `err["input"]`: the offending value may be a secret.
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
    if kind in _TYPE_MESSAGES:
        return _TYPE_MESSAGES[kind]
    if kind in _BOUND_MESSAGES:
        key, template = _BOUND_MESSAGES[kind]
        return template.format(ctx.get(key))
    message = str(err["msg"])
    return message.removeprefix("Value error, ")
