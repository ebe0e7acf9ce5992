"""Field types of the config: durations, secrets, URLs, names and their validators.

Secrets are `SecretStr` from the moment they are read, so printing a config object
never shows them. Validators never quote the value they reject: it may be a secret.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
)

from exporter.durations import parse_duration

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$"
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
SENSITIVE_HEADER = re.compile(r"authorization|api[-_]?key|token|secret|cookie|password", re.I)
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")


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

    return ENV_REF.sub(sub, value)


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


def file_path(value: object, info: ValidationInfo) -> object:
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
    if any(ord(c) < 0x21 or c == "\x7f" for c in value):
        raise ValueError("must not contain spaces or control characters")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        has_credentials = parts.username is not None or parts.password is not None
        port = parts.port  # ValueError when not a number from 0 to 65535
    except ValueError:
        raise ValueError(
            "must be an http:// or https:// URL with a host (and a port from 1 to 65535)"
        ) from None
    if port == 0:
        raise ValueError("must have a port from 1 to 65535")
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


class Model(BaseModel):
    """Base of every config section: unknown keys are errors, objects are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
