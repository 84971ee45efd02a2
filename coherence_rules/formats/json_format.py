"""The JSON contract (README, "JSON output"): CI scripts parse it."""

from __future__ import annotations

import json

from ..report import Report

# 1.0: the contract of the first release; 1.1 added `format_version` and, per finding, `sources`,
# `action`, `frameworks`, `drafts` and `countries`. A minor bump only ever adds keys.
FORMAT_VERSION = "1.1"


def render(report: Report, color: bool = False) -> str:
    document = {
        "tool": "coherence",
        "format_version": FORMAT_VERSION,
        "version": report.version,
        "as_of": report.as_of.isoformat(),
        "findings": [f.to_dict() for f in report.findings],
        "summary": {"files": report.files, "records": report.records, **report.counts()},
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
