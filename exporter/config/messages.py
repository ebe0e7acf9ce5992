"""pydantic validation errors -> (dotted path, message a YAML writer understands)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from exporter.config.probes import PROBE_TYPES
from exporter.config.suggest import hint, model_at


def translate(exc: ValidationError, model: type[BaseModel] | None = None) -> list[tuple[str, str]]:
    """(path, message) per error; with the validated `model`, an unknown field's message
    names the field it was probably meant to be."""
    out = []
    for err in exc.errors(include_input=False):
        path = _path(err["loc"])
        message = _message(err)
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path += ".type"
        if err["type"] == "extra_forbidden" and model is not None:
            parent = model_at(model, err["loc"])
            if parent is not None:
                message += hint(parent, str(err["loc"][-1]))
        out.append((path, message))
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
