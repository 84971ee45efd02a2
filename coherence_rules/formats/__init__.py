"""Formatters: pure functions of a Report, looked up by name."""

from __future__ import annotations

from collections.abc import Callable

from ..report import Report
from . import github, html_report, json_format, junit, sarif, text

Formatter = Callable[..., str]

FORMATTERS: dict[str, Formatter] = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
    "junit": junit.render,
    "html": html_report.render,
}


def render(name: str, report: Report, **options) -> str:
    return FORMATTERS[name](report, **options)
