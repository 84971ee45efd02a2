"""The files the tool reads for itself (rule files, the obligations table, `.coherence.yaml`): one YAML
document read with the same loader as records, validated by a pydantic model, and every problem
reported as one `path:line:column: why` error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from . import resident
from .errors import ToolFileError
from .load import Document, load_file
from .schema_errors import first_error

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def once_per_content(path: Path, load: Callable[[Path], T]) -> T:
    """load(path), which a `coherence serve` process does once per content of the file."""
    if resident.CURRENT is None:
        return load(path)
    try:
        content = path.read_bytes()
    except OSError:
        return load(path)  # which says why
    return resident.remember(("tool file", load, path, content), lambda: load(path))


def read_document(path: Path, error: type[ToolFileError] = ToolFileError) -> Document | None:
    """The file's one YAML document (None when it is empty)."""
    loaded = load_file(path, str(path))
    if loaded.findings:
        first = loaded.findings[0].location
        raise error(f"{path}:{first.line}:{first.column}: {loaded.findings[0].message}")
    if len(loaded.documents) > 1:
        raise error(f"{path}:1:1: expected one YAML document, found {len(loaded.documents)}")
    return loaded.documents[0] if loaded.documents else None


def validate(
    model: type[M],
    data: Any,
    document: Document | None,
    path: Path,
    error: type[ToolFileError] = ToolFileError,
    prefix: tuple = (),
) -> M:
    """`data` as `model`; an error names the line of the document at `prefix` + the error's path."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message, at = first_error(model, data, exc)
        span = document.span(prefix + at) if document else None
        raise error(f"{path}:{span.line if span else 1}:{span.column if span else 1}: {message}") from None


def load_model(
    path: Path, model: type[M], empty: Any = None, error: type[ToolFileError] = ToolFileError
) -> tuple[M, Document | None]:
    """Read a tool file of one YAML document into `model` (an empty file is `empty`)."""
    document = read_document(path, error)
    return validate(model, document.data if document else empty, document, path, error), document
