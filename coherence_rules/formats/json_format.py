"""The JSON contract of architecture.md: CI scripts parse it."""

from __future__ import annotations

import json

from ..report import Report


def render(report: Report, color: bool = False) -> str:
    document = {
        "tool": "coherence",
        "version": report.version,
        "as_of": report.as_of.isoformat(),
        "findings": [f.to_dict() for f in report.findings],
        "summary": {"files": report.files, "records": report.records, **report.counts()},
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
