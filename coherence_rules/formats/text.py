"""`path:line:col: ID severity message`, the related locations indented under it; record text is
shown on its line, its control characters escaped (escape.py)."""

from __future__ import annotations

from ..report import Report
from .escape import line_start, printable

_COLOURS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_RESET, _DIM = "\033[0m", "\033[2m"


def render(report: Report, color: bool = False) -> str:
    lines = []
    for f in report.findings:
        loc = f.location
        severity = f"{_COLOURS[f.severity]}{f.severity}{_RESET}" if color else f.severity
        path = line_start(printable(loc.path))
        lines.append(f"{path}:{loc.line}:{loc.column}: {f.rule} {severity} {printable(f.headline)}")
        for rel in f.related:
            note = f"  --> {printable(rel.path)}:{rel.line}:{rel.column}" + (f" ({rel.record})" if rel.record else "")
            lines.append(f"{_DIM}{note}{_RESET}" if color else note)
    counts = report.counts()
    total = sum(counts.values())
    summary = (
        f"{total} finding{'s' if total != 1 else ''} ({counts['error']} error, {counts['warning']} warning, "
        f"{counts['info']} info) in {report.files} files, {report.records} records"
        if total
        else f"no findings in {report.files} files, {report.records} records"
    )
    lines.append(summary)
    return "\n".join(lines) + "\n"
