"""YAML reading that is strict where PyYAML is lax, and errors that never echo a value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from exporter.errors import ConfigError


def read_yaml(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([("", f"cannot read {path}: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise ConfigError([("", f"cannot read {path}: not UTF-8 text")]) from None
    return parse_yaml(text)


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


def parse_yaml(text: str) -> object:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: safe
    except yaml.YAMLError as exc:
        # Only the position and the problem: the offending line may hold a secret.
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "cannot parse"
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError([("", f"invalid YAML{where}: {problem}")]) from None
