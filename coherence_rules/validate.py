"""Validate stage: documents -> typed records, with E002 (schema), E003 (ids), E004 (references)."""
from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from pydantic import BaseModel, ValidationError

from .corpus_errors import corpus_error
from .findings import Finding, Location
from .load import Document, LoadedFile, format_path, load_file
from .schema import (CORRIDOR_END_PATTERN, COUNTRY_PATTERN, ID_PATTERN, MODELS, Agreement, Institution,
                     Policy, Record)

PATTERN_MEANINGS = {
    COUNTRY_PATTERN: "an ISO 3166-1 alpha-3 country code (three capital letters, e.g. PHL or XAA)",
    CORRIDOR_END_PATTERN: "a country code (three capital letters) or 'any'",
    ID_PATTERN: "a valid id (letters, digits and . _ : -, starting with a letter or digit)",
}


@dataclass
class RecordEntry:
    """A valid record and where it came from."""
    index: int
    model: Record
    document: Document

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def kind(self) -> str:
        return self.model.kind

    @property
    def path(self) -> str:
        return self.document.path

    def location(self, yaml_path: Iterable = ()) -> Location:
        return self.document.location(tuple(yaml_path), record=self.model.id)


@dataclass
class Corpus:
    files: list[LoadedFile]
    records: list[RecordEntry]
    by_id: dict[str, RecordEntry]
    findings: list[Finding] = field(default_factory=list)


def suggest(word: Any, choices: Iterable[str]) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


# --- E002 -------------------------------------------------------------------------------

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


def _schema_message(model: type[BaseModel], data: Any, error: dict, path: tuple) -> tuple[str, tuple]:
    kind = error["type"]
    where = format_path(path[:-1]) if kind in ("extra_forbidden", "missing") else format_path(path)
    prefix = f"{where}: " if where else ""
    if kind == "extra_forbidden":
        parent = _model_at(model, path[:-1])
        allowed = _fields_by_alias(parent) if parent else {}
        return f"{prefix}unknown field '{path[-1]}'{suggest(path[-1], allowed)}", path
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
        message = message[len("Value error, "):]
    return f"{prefix}{message}", path


def validate_document(document: Document) -> tuple[Record | None, list[Finding]]:
    data = document.data
    if not isinstance(data, dict):
        return None, [corpus_error("E002", f"a record must be a mapping, not {type(data).__name__}",
                                   document.location())]
    record_id = data.get("id") if isinstance(data.get("id"), str) else None
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in MODELS:
        what = "missing required field 'kind'" if kind is None else (
            f"'kind: {kind}' is not one of: {', '.join(MODELS)}{suggest(kind, MODELS)}")
        return None, [corpus_error("E002", what, document.location(("kind",), record_id))]
    model = MODELS[kind]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        findings = []
        for error in exc.errors(include_url=False):
            path = _data_path(data, tuple(error["loc"]))
            message, at = _schema_message(model, data, error, path)
            findings.append(corpus_error("E002", message, document.location(at, record_id),
                                         records=(record_id,) if record_id else ()))
        return None, findings


class ModelFileError(Exception):
    """A tool file (rule, configuration, obligations table) that cannot be used: `path:line:col: why`."""


def schema_error(model: type[BaseModel], data: Any, exc: ValidationError) -> tuple[str, tuple]:
    """The first validation error as (message with did-you-mean, YAML path it is about)."""
    error = exc.errors(include_url=False)[0]
    return _schema_message(model, data, error, _data_path(data, tuple(error["loc"])))


def load_model(path: Path, model: type[BaseModel], empty: Any = None) -> tuple[BaseModel, Document | None]:
    """Read a tool file of one YAML document into a pydantic model (an empty file is `empty`)."""
    loaded = load_file(path, str(path))
    if loaded.findings:
        first = loaded.findings[0].location
        raise ModelFileError(f"{path}:{first.line}:{first.column}: {loaded.findings[0].message}")
    if len(loaded.documents) > 1:
        raise ModelFileError(f"{path}:1:1: expected one YAML document, found {len(loaded.documents)}")
    document = loaded.documents[0] if loaded.documents else None
    data = document.data if document else empty
    try:
        return model.model_validate(data), document
    except ValidationError as exc:
        message, at = schema_error(model, data, exc)
        span = document.span(at) if document else None
        raise ModelFileError(f"{path}:{span.line if span else 1}:{span.column if span else 1}: {message}") from None


# --- E004 -------------------------------------------------------------------------------

def _references(model: Record) -> Iterable[tuple[tuple, str, str]]:
    """(yaml path, referenced id, expected kind) for every reference a record makes."""
    if isinstance(model, Policy):
        if model.lead_agency:
            yield ("lead_agency",), model.lead_agency, "institution"
        for i, ref in enumerate(model.coordination):
            yield ("coordination", i), ref, "institution"
        for i, ref in enumerate(model.implements):
            yield ("implements", i), ref, "policy or agreement"
        for i, objective in enumerate(model.objectives):
            if objective.lead_agency:
                yield ("objectives", i, "lead_agency"), objective.lead_agency, "institution"
        objective_ids = {o.id for o in model.objectives}
        for i, measure in enumerate(model.measures):
            if isinstance(measure.responsible, str):
                yield ("measures", i, "responsible"), measure.responsible, "institution"
            for j, ref in enumerate(measure.serves):
                if ref not in objective_ids:
                    yield ("measures", i, "serves", j), ref, "objective of this policy"
    elif isinstance(model, Institution):
        for i, ref in enumerate(model.members):
            yield ("members", i), ref, "institution"
        if model.parent:
            yield ("parent",), model.parent, "institution"


def _article(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _check_references(records: list[RecordEntry], by_id: dict[str, RecordEntry]) -> list[Finding]:
    agreement_keys = {r.model.agreement for r in records if isinstance(r.model, Agreement)}
    kinds_of: dict[str, set[str]] = {"institution": {"institution"}, "policy or agreement": {"policy", "agreement"}}
    findings = []
    for entry in records:
        for ypath, ref, expected in _references(entry.model):
            if expected == "objective of this policy":
                ids = [o.id for o in entry.model.objectives]
                findings.append(corpus_error(
                    "E004", f"{format_path(ypath)}: '{ref}' names no objective of {entry.id}{suggest(ref, ids)}",
                    entry.location(ypath), records=(entry.id,)))
                continue
            if expected == "policy or agreement" and ref in agreement_keys:
                continue
            target = by_id.get(ref)
            if target is None:
                candidates = [i for i, r in by_id.items() if r.kind in kinds_of[expected]]
                findings.append(corpus_error(
                    "E004", f"{format_path(ypath)}: '{ref}' names no record{suggest(ref, candidates)}",
                    entry.location(ypath), records=(entry.id,)))
            elif target.kind not in kinds_of[expected]:
                findings.append(corpus_error(
                    "E004", f"{format_path(ypath)}: '{ref}' is {_article(target.kind)}, expected {_article(expected)}",
                    entry.location(ypath), related=(target.location(),), records=(entry.id, ref)))
    return findings


def validate(files: list[LoadedFile]) -> Corpus:
    findings: list[Finding] = []
    records: list[RecordEntry] = []
    by_id: dict[str, RecordEntry] = {}
    for loaded in sorted(files, key=lambda f: f.path):
        findings.extend(loaded.findings)
        for document in loaded.documents:
            model, problems = validate_document(document)
            findings.extend(problems)
            if model is None:
                continue
            entry = RecordEntry(len(records), model, document)
            first = by_id.get(model.id)
            if first is not None:
                findings.append(corpus_error(
                    "E003", f"id '{model.id}' is already used by the record at {first.path}:"
                            f"{first.location().line}", entry.location(("id",)),
                    related=(first.location(("id",)),), records=(model.id,)))
                continue
            by_id[model.id] = entry
            records.append(entry)
    findings.extend(_check_references(records, by_id))
    return Corpus(files=files, records=records, by_id=by_id, findings=findings)
