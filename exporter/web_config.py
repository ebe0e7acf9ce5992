"""`--web.config.file`: the Prometheus exporter-toolkit's web-config format, validated.

The same file users write for node_exporter: `tls_server_config` (certificate and key,
client CA and `client_auth_type`, TLS versions, cipher suites), `http_server_config`
(`headers`; `http2` is accepted and has no effect: aiohttp serves HTTP/1.1) and
`basic_auth_users` (bcrypt hashes), plus `rate_limit`. Unknown keys are errors, every
error is reported at once with its dotted path, and no message quotes a value from the
file (a key or a hash is a secret). docs/web-config.md is the user's reference.

This module only reads and checks the file and builds the TLS context;
http/web_guard.py enforces it on every request.
"""

from __future__ import annotations

import os
import re
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, ValidationError

from exporter.config.messages import translate
from exporter.config.yaml_loader import read_yaml
from exporter.durations import parse_duration
from exporter.errors import ConfigError

ClientAuthType = Literal[
    "NoClientCert",
    "RequestClientCert",
    "RequireAnyClientCert",
    "VerifyClientCertIfGiven",
    "RequireAndVerifyClientCert",
]
TLSVersion = Literal["TLS10", "TLS11", "TLS12", "TLS13"]

_TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}
# Go's names (crypto/tls CipherSuites(), TLS 1.0-1.2) -> OpenSSL's. TLS 1.3 suites are not
# configurable in Go either.
_CIPHER_SUITES = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
}
# The headers the toolkit lets a user set, and the values it accepts (None: any).
ALLOWED_HEADERS: dict[str, tuple[str, ...] | None] = {
    "Content-Security-Policy": None,
    "X-Frame-Options": ("deny", "sameorigin"),
    "X-Content-Type-Options": ("nosniff",),
    "X-XSS-Protection": None,
    "Strict-Transport-Security": None,
}
_BCRYPT_HASH = re.compile(r"^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$")
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TLSServerConfig(_Model):
    cert: str | None = None
    key: SecretStr | None = None
    client_ca: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    client_ca_file: str | None = None
    client_auth_type: ClientAuthType = "NoClientCert"
    client_allowed_sans: tuple[str, ...] = ()
    min_version: TLSVersion = "TLS12"
    max_version: TLSVersion = "TLS13"
    cipher_suites: tuple[str, ...] = ()
    prefer_server_cipher_suites: bool = True
    curve_preferences: tuple[str, ...] = ()


class HTTPServerConfig(_Model):
    http2: bool = True
    headers: dict[str, str] = Field(default_factory=dict)


class RateLimit(_Model):
    interval: str | int = "0s"  # a duration; a bare 0 (the toolkit's "off") is accepted
    burst: int = Field(default=0, ge=0)


class WebConfig(_Model):
    tls_server_config: TLSServerConfig | None = None
    http_server_config: HTTPServerConfig = HTTPServerConfig()
    basic_auth_users: dict[str, SecretStr] = Field(default_factory=dict)
    rate_limit: RateLimit | None = None


@dataclass(frozen=True)
class LoadedWebConfig:
    """A checked web config: what web_guard enforces, and the TLS context (None: plain)."""

    config: WebConfig
    ssl_context: ssl.SSLContext | None
    headers: dict[str, str]
    users: dict[str, bytes]  # user -> bcrypt hash
    rate_interval: float  # seconds between requests; 0 disables the limiter
    rate_burst: int

    @property
    def tls(self) -> TLSServerConfig | None:
        return self.config.tls_server_config


def load_web_config(path: str | Path) -> LoadedWebConfig:
    """Read and check a web config file; ConfigError lists every problem with its path.

    Relative file names are relative to the file's directory, as in the toolkit.
    """
    path = Path(path)
    raw = read_yaml(path)
    if raw is None:
        raw = {}  # an empty file: plain HTTP, no auth (the toolkit accepts it too)
    if not isinstance(raw, dict):
        raise ConfigError([("", "the web config must be a mapping")])
    errors: list[tuple[str, str]] = []
    config = _validate_sections(raw, errors)
    headers = dict(_check_headers(config.http_server_config.headers, errors))
    users = dict(_check_users(config.basic_auth_users, errors))
    interval, burst = _check_rate_limit(config.rate_limit, errors)
    context = None
    if config.tls_server_config is not None:
        context = _tls_context(config.tls_server_config, path.parent, errors)
    if errors:
        raise ConfigError(errors)
    return LoadedWebConfig(config, context, headers, users, interval, burst)


def _validate_sections(raw: dict[object, object], errors: list[tuple[str, str]]) -> WebConfig:
    """Each section on its own, so an error in one does not hide the checks of the others."""
    sections: dict[str, object] = {}
    for key, value in raw.items():
        field = WebConfig.model_fields.get(str(key))
        if field is None or field.annotation is None:
            errors.append((str(key), "unknown field"))
            continue
        try:
            sections[str(key)] = TypeAdapter(field.annotation).validate_python(value)
        except ValidationError as exc:
            errors += [(f"{key}.{p}" if p else str(key), m) for p, m in translate(exc)]
    return WebConfig.model_validate(sections)


def _check_headers(
    headers: dict[str, str], errors: list[tuple[str, str]]
) -> Iterator[tuple[str, str]]:
    for name, value in headers.items():
        where = f"http_server_config.headers.{name}"
        if name not in ALLOWED_HEADERS:
            errors.append(
                (where, f"not a header that can be set; use {', '.join(ALLOWED_HEADERS)}")
            )
            continue
        allowed = ALLOWED_HEADERS[name]
        if not _HEADER_VALUE.match(value):
            errors.append((where, "must be printable ASCII on one line"))
        elif allowed is not None and value.lower() not in allowed:
            errors.append((where, f"must be one of {', '.join(allowed)}"))
        elif value:
            yield name, value  # blank means unset, as in the toolkit


def _check_users(
    users: dict[str, SecretStr], errors: list[tuple[str, str]]
) -> Iterator[tuple[str, bytes]]:
    for user, hashed in users.items():
        if ":" in user or not user:
            errors.append((f"basic_auth_users.{user}", "a user name must be non-empty, no ':'"))
        elif not _BCRYPT_HASH.match(hashed.get_secret_value()):
            errors.append(
                (
                    f"basic_auth_users.{user}",
                    'must be a bcrypt hash ($2y$10$... from `htpasswd -nBC 10 ""`), not a password',
                )
            )
        else:
            yield user, hashed.get_secret_value().encode()


def _check_rate_limit(limit: RateLimit | None, errors: list[tuple[str, str]]) -> tuple[float, int]:
    if limit is None:
        return 0.0, 0
    try:
        if isinstance(limit.interval, int) and limit.interval != 0:
            raise ValueError("a duration needs a unit")
        interval = 0.0 if limit.interval == 0 else parse_duration(str(limit.interval))
    except ValueError:
        errors.append(("rate_limit.interval", "must be a duration such as 100ms, 1s, 0s"))
        return 0.0, 0
    if interval > 0 and limit.burst < 1:
        errors.append(("rate_limit.burst", "must be at least 1 when interval is set"))
    return interval, limit.burst


def _tls_context(
    tls: TLSServerConfig, base: Path, errors: list[tuple[str, str]]
) -> ssl.SSLContext | None:
    """The server's SSLContext; problems go to `errors` (then the result is None)."""
    before = len(errors)
    p = "tls_server_config"

    def file(name: str, value: str | None) -> Path | None:
        if value is None:
            return None
        resolved = base / value
        if not resolved.is_file():
            errors.append((f"{p}.{name}", f"cannot read {resolved}: no such file"))
            return None
        return resolved

    if tls.cert is not None and tls.cert_file is not None:
        errors.append((f"{p}.cert", "give cert or cert_file, not both"))
    if tls.key is not None and tls.key_file is not None:
        errors.append((f"{p}.key", "give key or key_file, not both"))
    if tls.client_ca is not None and tls.client_ca_file is not None:
        errors.append((f"{p}.client_ca", "give client_ca or client_ca_file, not both"))
    if tls.cert is None and tls.cert_file is None:
        errors.append((f"{p}.cert_file", "required field is missing (or give cert)"))
    if tls.key is None and tls.key_file is None:
        errors.append((f"{p}.key_file", "required field is missing (or give key)"))
    has_ca = tls.client_ca is not None or tls.client_ca_file is not None
    if tls.client_auth_type in ("RequestClientCert", "RequireAnyClientCert"):
        errors.append(
            (
                f"{p}.client_auth_type",
                f"{tls.client_auth_type} accepts any certificate without checking it; "
                "use RequireAndVerifyClientCert (or VerifyClientCertIfGiven) with a client CA",
            )
        )
    elif tls.client_auth_type != "NoClientCert" and not has_ca:
        errors.append((f"{p}.client_ca_file", f"required by {tls.client_auth_type}"))
    if has_ca and tls.client_auth_type == "NoClientCert":
        errors.append(
            (f"{p}.client_auth_type", "a client CA is set but NoClientCert does not use it")
        )
    if tls.client_allowed_sans and tls.client_auth_type != "RequireAndVerifyClientCert":
        errors.append(
            (f"{p}.client_allowed_sans", "needs client_auth_type: RequireAndVerifyClientCert")
        )
    if _TLS_VERSIONS[tls.min_version] > _TLS_VERSIONS[tls.max_version]:
        errors.append((f"{p}.min_version", "must not be above max_version"))
    for i, suite in enumerate(tls.cipher_suites):
        if suite not in _CIPHER_SUITES:
            errors.append((f"{p}.cipher_suites[{i}]", "unknown or insecure cipher suite"))
    if tls.curve_preferences:
        errors.append(
            (f"{p}.curve_preferences", "not supported by statusprobe; remove it (defaults apply)")
        )
    cert_file = file("cert_file", tls.cert_file)
    key_file = file("key_file", tls.key_file)
    ca_file = file("client_ca_file", tls.client_ca_file)
    if len(errors) > before:
        return None

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _configure(context, tls, cert_file, key_file, ca_file, errors)
    return None if len(errors) > before else context


def configure_tls(context: ssl.SSLContext, tls: TLSServerConfig, base: Path) -> None:
    """Load `tls` into a live context (a reload: new certificate, key, versions, ciphers).

    Only for a config that load_web_config accepted; ConfigError if a file changed since.
    """
    errors: list[tuple[str, str]] = []

    def at(name: str | None) -> Path | None:
        return None if name is None else base / name

    _configure(context, tls, at(tls.cert_file), at(tls.key_file), at(tls.client_ca_file), errors)
    if errors:
        raise ConfigError(errors)


def _configure(
    context: ssl.SSLContext,
    tls: TLSServerConfig,
    cert_file: Path | None,
    key_file: Path | None,
    ca_file: Path | None,
    errors: list[tuple[str, str]],
) -> None:
    p = "tls_server_config"
    context.minimum_version = _TLS_VERSIONS[tls.min_version]
    context.maximum_version = _TLS_VERSIONS[tls.max_version]
    if tls.cipher_suites:
        context.set_ciphers(":".join(_CIPHER_SUITES[s] for s in tls.cipher_suites))
    if tls.prefer_server_cipher_suites:
        context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    try:
        with _pem_files(tls, cert_file, key_file) as (cert_path, key_path):
            context.load_cert_chain(cert_path, key_path)
    except (ssl.SSLError, OSError):
        errors.append(
            (f"{p}.cert_file", "cannot load the certificate and key (not a matching PEM pair)")
        )
        return
    if tls.client_auth_type == "NoClientCert":
        return
    try:
        if ca_file is not None:
            context.load_verify_locations(cafile=ca_file)
        else:
            context.load_verify_locations(cadata=tls.client_ca)
    except (ssl.SSLError, OSError, ValueError):
        errors.append((f"{p}.client_ca_file", "cannot load the client CA (not PEM certificates)"))
        return
    context.verify_mode = (
        ssl.CERT_REQUIRED
        if tls.client_auth_type == "RequireAndVerifyClientCert"
        else ssl.CERT_OPTIONAL
    )


@contextmanager
def _pem_files(
    tls: TLSServerConfig, cert_file: Path | None, key_file: Path | None
) -> Iterator[tuple[Path, Path]]:
    """Paths of the certificate and key; inline PEM goes through private temporary files
    (the ssl module loads a chain only from files), removed at once."""
    made: list[Path] = []
    try:
        paths: list[Path] = []
        for given, inline in ((cert_file, tls.cert), (key_file, tls.key)):
            if given is not None:
                paths.append(given)
                continue
            text = inline.get_secret_value() if isinstance(inline, SecretStr) else inline or ""
            fd, name = tempfile.mkstemp(suffix=".pem")  # mode 0600
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            made.append(Path(name))
            paths.append(Path(name))
        yield paths[0], paths[1]
    finally:
        for temporary in made:
            temporary.unlink(missing_ok=True)
