"""A self-contained HTML report (no scripts, no external resources): one table of findings,
the related locations under each, and the suppressed findings with their justification."""

from __future__ import annotations

from html import escape

from ..findings import Finding, Location
from ..report import Report
from .escape import printable

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1b1b}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.4em .6em;
border-bottom:1px solid #ddd}code{font-size:13px}.error{color:#b00020}.warning{color:#8a5a00}
.info{color:#005a8a}ul{margin:.3em 0 0 1em;padding:0}
"""


def _where(location: Location) -> str:
    record = f" ({escape(location.record)})" if location.record else ""
    return f"<code>{escape(printable(location.path))}:{location.line}:{location.column}</code>{record}"


def _row(finding: Finding, note: str = "") -> str:
    related = "".join(f"<li>{_where(loc)}</li>" for loc in finding.related)
    return (
        f'<tr><td class="{finding.severity}">{finding.severity}</td>'
        f"<td><code>{escape(finding.rule)}</code> {escape(finding.name)}</td><td>{_where(finding.location)}</td>"
        f"<td>{escape(printable(finding.message))}{f'<ul>{related}</ul>' if related else ''}{note}</td></tr>"
    )


def render(report: Report, color: bool = False) -> str:
    counts = report.counts()
    head = "<tr><th>severity</th><th>rule</th><th>location</th><th>finding</th></tr>"
    rows = "".join(_row(f) for f in report.findings) or '<tr><td colspan="4">No findings.</td></tr>'
    suppressed = "".join(
        _row(s.finding, f"<br><em>suppressed ({escape(s.kind)}): {escape(s.justification)}</em>")
        for s in report.suppressed
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>coherence report</title>'
        f"<style>{STYLE}</style></head><body><h1>coherence report</h1>"
        f"<p>coherence {escape(report.version)}, as of {report.as_of.isoformat()}: {report.files} files, "
        f"{report.records} records; {counts['error']} errors, {counts['warning']} warnings, "
        f"{counts['info']} info.</p><table>{head}{rows}</table>"
        + (f"<h2>Suppressed</h2><table>{head}{suppressed}</table>" if suppressed else "")
        + "</body></html>\n"
    )
