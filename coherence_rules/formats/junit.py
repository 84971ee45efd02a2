"""JUnit XML for CI test-report views: one test case per file with findings, one failure per finding.

A corpus without findings gives one passing test case, `corpus`, so the suite is never empty.
`tests` counts test cases and `failures` the failing ones (a test case fails once, however many
findings its file has); each failure's text holds the finding's locations, like the text format.
Suppressed findings are left out, as in the text format.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..findings import Finding
from ..report import Report
from .escape import printable

# Characters XML 1.0 cannot carry at all, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _shown(text: str) -> str:
    """Record text: what XML cannot carry replaced, the rest of its control characters escaped."""
    return printable(_clean(text))


def _details(finding: Finding) -> str:
    loc = finding.location
    lines = [
        f"{_shown(loc.path)}:{loc.line}:{loc.column}: {finding.rule} {finding.severity} {_shown(finding.headline)}"
    ]
    lines += [
        f"  --> {_shown(rel.path)}:{rel.line}:{rel.column}" + (f" ({rel.record})" if rel.record else "")
        for rel in finding.related
    ]
    return "\n".join(lines)


def render(report: Report, color: bool = False) -> str:
    by_file: dict[str, list[Finding]] = {}
    for finding in sorted(report.findings, key=Finding.sort_key):
        by_file.setdefault(finding.location.path, []).append(finding)
    suite = ET.Element(
        "testsuite",
        {
            "name": "coherence",
            "tests": str(max(len(by_file), 1)),
            "failures": str(len(by_file)),
            "errors": "0",
            "skipped": "0",
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("version", report.version),
        ("as_of", report.as_of.isoformat()),
        ("files", str(report.files)),
        ("records", str(report.records)),
        ("findings", str(len(report.findings))),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    if not by_file:
        ET.SubElement(suite, "testcase", {"name": "corpus", "classname": "coherence"})
    for path, findings in by_file.items():
        case = ET.SubElement(suite, "testcase", {"name": _shown(path), "classname": "coherence"})
        for finding in findings:
            failure = ET.SubElement(
                case,
                "failure",
                {"message": _clean(f"{finding.rule}: {_shown(finding.headline)}"), "type": finding.severity},
            )
            failure.text = _clean(_details(finding))
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
