"""Loading: file -> YAML -> validated `Config`, with every error at once.

`${VAR}` references and `*_file` secrets are resolved at load, so start-up and
every reload see the current environment and the current secret files.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from exporter.config.messages import translate
from exporter.config.models import Config
from exporter.config.types import ENV_REF, SENSITIVE_HEADER
from exporter.config.yaml_loader import parse_yaml, read_yaml
from exporter.errors import ConfigError

_LIST_SECTIONS = ("status_pages", "probes", "slos")


def load_config(path: str | Path) -> Config:
    """Read, validate and cross-check a config file; ConfigError lists every problem.

    `${VAR}` references and `*_file` secrets are resolved here, so every call (start-up
    and each reload) sees the current environment and the current secret files. Relative
    file paths in the config are relative to the config file's directory.
    """
    path = Path(path)
    return parse_config(read_yaml(path), base_dir=path.parent)


def load_default_config() -> Config:
    text = resources.files("exporter").joinpath("default_config.yml").read_text("utf-8")
    return parse_config(parse_yaml(text))


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
        errors += translate(exc, Config)
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
            (f"probes[{i}].{key}", probe.get(key)) for key in ("bearer_token", "api_key")
        ]
        headers = probe.get("headers")
        if isinstance(headers, dict):
            candidates += [
                (f"probes[{i}].headers.{k}", v)
                for k, v in headers.items()
                if SENSITIVE_HEADER.search(str(k))
            ]
        auth = probe.get("basic_auth")
        if isinstance(auth, dict):
            candidates.append((f"probes[{i}].basic_auth.password", auth.get("password")))
        for path, value in candidates:
            if isinstance(value, str) and value and not ENV_REF.search(value):
                warnings.append(
                    f"{path}: a literal secret; prefer ${{ENV_VAR}} or a *_file sibling"
                )
    return warnings


def read_raw(path: str | Path) -> object:
    """The parsed YAML document, unvalidated (for literal_secret_warnings)."""
    return read_yaml(Path(path))


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
