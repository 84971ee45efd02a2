"""Formatters: pure functions of a Report, looked up by name. A format's module is imported when
it is used: the HTML report's templates cost a text run a tenth of a second otherwise."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..report import Report

Formatter = Callable[..., str]

FORMATS: dict[str, str] = {  # name -> module of this package whose `render` writes it
    "text": "text",
    "json": "json_format",
    "sarif": "sarif",
    "github": "github",
    "junit": "junit",
    "html": "html_report",
}


def formatter(name: str) -> Formatter:
    return importlib.import_module(f".{FORMATS[name]}", __name__).render


def render(name: str, report: Report, **options) -> str:
    return formatter(name)(report, **options)
