"""Pydantic validation errors as a reader wants them: the YAML path they are about and a message
with a did-you-mean suggestion. Records (E002) and tool files (rules, configuration) share it."""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from .findings import format_path
from .vocab import COUNTRY_PATTERN, ID_PATTERN, PARTY_PATTERN

YamlPath = tuple  # of str keys and int indices

PATTERN_MEANINGS = {
    COUNTRY_PATTERN: "an ISO 3166-1 alpha-3 country code (three capital letters, e.g. PHL or XAA)",
    PARTY_PATTERN: "a party code: a country (PHL), a bloc (EU) or a subnational entity (CAN-QC)",
    ID_PATTERN: "a valid id (letters, digits and . _ : - @, starting with a letter or digit)",
}


def suggest(word: Any, choices: Iterable[str]) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _model_types(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through Optional, list, Union, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_model_types(arg))
    return found


def _fields_by_alias(model: type[BaseModel]) -> dict[str, Any]:
    return {(info.alias or name): info.annotation for name, info in model.model_fields.items()}


def _model_at(model: type[BaseModel], data_path: tuple) -> type[BaseModel] | None:
    for part in data_path:
        if isinstance(part, int):
            continue
        annotation = _fields_by_alias(model).get(part)
        candidates = _model_types(annotation) if annotation is not None else []
        if not candidates:
            return None
        model = candidates[0]
    return model


def _data_path(data: Any, loc: tuple) -> tuple:
    """Drop pydantic's union-branch markers from an error location, keeping real keys/indices."""
    path: list = []
    current = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(current, dict) and isinstance(part, str) and (part in current or last):
            path.append(part)
            current = current.get(part)
        elif isinstance(current, list) and isinstance(part, int) and part < len(current):
            path.append(part)
            current = current[part]
    return tuple(path)


def located_message(model: type[BaseModel], data: Any, error: Any) -> tuple[str, YamlPath]:
    """One pydantic error as (message, the YAML path it is about)."""
    path = _data_path(data, tuple(error["loc"]))
    kind = error["type"]
    where = format_path(path[:-1]) if kind in ("extra_forbidden", "missing") else format_path(path)
    prefix = f"{where}: " if where else ""
    if kind == "extra_forbidden":
        parent = _model_at(model, path[:-1])
        fields = _fields_by_alias(parent) if parent else {}
        return f"{prefix}unknown field '{path[-1]}'{suggest(path[-1], fields)}", path
    if kind == "missing":
        return f"{prefix}missing required field '{path[-1]}'", path[:-1]
    if kind in ("literal_error", "enum"):
        allowed = re.findall(r"'([^']*)'", error.get("ctx", {}).get("expected", ""))
        value = error.get("input")
        shown = ", ".join(allowed) if len(allowed) <= 8 else ", ".join(allowed[:8]) + ", …"
        return f"{prefix}'{value}' is not one of: {shown}{suggest(value, allowed)}", path
    if kind == "string_pattern_mismatch":
        expected = PATTERN_MEANINGS.get(error.get("ctx", {}).get("pattern"), "the required pattern")
        return f"{prefix}'{error.get('input')}' is not {expected}", path
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return f"{prefix}{message}", path


def first_error(model: type[BaseModel], data: Any, exc: ValidationError) -> tuple[str, YamlPath]:
    """The most telling validation error as (message with did-you-mean, YAML path it is about): an
    unknown field first (a misspelt key also makes the real one missing)."""
    errors = exc.errors(include_url=False)
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    return located_message(model, data, error)
