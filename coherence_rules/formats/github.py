"""GitHub Actions workflow commands: one annotation line per finding (suppressed ones stay out).

    ::error file=PATH,line=L,col=C,endLine=L2,endColumn=C2,title=HC001 opposing-objectives::message

Escaping follows the workflow-command rules of @actions/core: in the message `%`, CR and LF
become %25, %0D, %0A; in property values `:` and `,` also become %3A and %2C. The runner reads a
command only at the start of a line, so no record text can add one (`::add-mask::`, `::stop-commands::`);
other control characters are shown as `\\xNN` (escape.py), so none reaches the log's terminal.
"""

from __future__ import annotations

from ..findings import Finding
from ..report import Report
from .escape import printable

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return printable(text)


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _message(finding: Finding) -> str:
    message = finding.headline
    if finding.related:
        seen = ", ".join(
            (f"{loc.record} at " if loc.record else "") + f"{loc.path}:{loc.line}" for loc in finding.related
        )
        message += f" — see also {seen}"
    return message


def annotation(finding: Finding) -> str:
    loc = finding.location
    properties = [("file", loc.path), ("line", loc.line), ("col", loc.column)]
    if loc.end_line is not None:
        properties.append(("endLine", loc.end_line))
        if loc.end_column is not None:
            properties.append(("endColumn", loc.end_column))
    properties.append(("title", f"{finding.rule} {finding.name}"))
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::{COMMANDS[finding.severity]} {props}::{escape_data(_message(finding))}"


def render(report: Report, color: bool = False) -> str:
    return "".join(annotation(f) + "\n" for f in report.findings)
