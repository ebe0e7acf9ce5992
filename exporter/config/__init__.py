"""Typed, frozen configuration: `load_config(path) -> Config`.

Every error is reported at once with its dotted path (`probes[2].timeout: ...`).
`${VAR}` in a secret field expands an environment variable, and `*_file` siblings
read the secret from a file (relative to the config file's directory). Error
messages never quote a value from the file.

  types.py        field types and their validators (durations, secrets, URLs)
  models.py       the sections as frozen pydantic models
  probes.py       the `probes:` section: one model per probe type, one union
  multi_target.py the `multi_target:` section (/probe)
  checks.py       cross-field checks the sections share
  loader.py       file -> Config, cross-references, literal-secret warnings
  yaml_loader.py  strict YAML (duplicate keys are errors)
  messages.py     pydantic errors -> path and wording for people
"""

from exporter.config.loader import (
    literal_secret_warnings,
    load_config,
    load_default_config,
    parse_config,
    read_raw,
)
from exporter.config.models import (
    PROVIDERS,
    Config,
    SchedulerConfig,
    ShardConfig,
    SLOConfig,
    StatusPageConfig,
)
from exporter.config.multi_target import MultiTargetConfig
from exporter.config.probes import (
    PROBE_TYPES,
    AnthropicProbeConfig,
    BasicAuth,
    Expect,
    HttpProbeConfig,
    JsonCheck,
    LLMProbeBase,
    OpenAIProbeConfig,
    ProbeBase,
    ProbeConfig,
    TLSConfig,
)

__all__ = [
    "PROBE_TYPES",
    "PROVIDERS",
    "AnthropicProbeConfig",
    "BasicAuth",
    "Config",
    "Expect",
    "HttpProbeConfig",
    "JsonCheck",
    "LLMProbeBase",
    "MultiTargetConfig",
    "OpenAIProbeConfig",
    "ProbeBase",
    "ProbeConfig",
    "SLOConfig",
    "SchedulerConfig",
    "ShardConfig",
    "StatusPageConfig",
    "TLSConfig",
    "literal_secret_warnings",
    "load_config",
    "load_default_config",
    "parse_config",
    "read_raw",
]
