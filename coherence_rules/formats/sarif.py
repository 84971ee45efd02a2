"""SARIF 2.1.0 that GitHub code scanning accepts.

A pure function of the report: no file access, so `partialFingerprints.primaryLocationLineHash`
(which GitHub would otherwise compute from the text of the primary line) is the finding's own
fingerprint — stable across runs and line moves, like the baseline key.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any
from urllib.parse import quote

from ..corpus_errors import BUILTIN_RULES
from ..findings import Finding, Location, Suppressed
from ..report import Report, RuleDoc
from .json_format import pretty

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
FINGERPRINT_KEY = "coherence/v2"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fence(code: str, info: str = "yaml") -> str:
    """A Markdown code block whose fence no backtick run inside the code can close."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{code.rstrip()}\n{fence}"


def _suppress_text(rule_id: str) -> str:
    return (
        f"How to suppress: on the line the finding points at, or the line above, write\n"
        f"    # coherence: ignore[{rule_id}] -- reason\n"
        f"(a reason is required); for a whole file: # coherence: ignore-file[{rule_id}] -- reason; "
        f"for a run: coherence lint --ignore {rule_id}."
    )


def _suppress_markdown(rule_id: str) -> str:
    return (
        "## How to suppress\n\nOn the line the finding points at, or the line above (a reason is required):\n\n"
        f"{_fence(f'# coherence: ignore[{rule_id}] -- reason')}\n\n"
        f"For a whole file: `# coherence: ignore-file[{rule_id}] -- reason`. "
        f"For a run: `coherence lint --ignore {rule_id}` (or `ignore` in the configuration)."
    )


def _descriptor(
    rule_id: str,
    name: str,
    severity: str,
    family: str,
    summary: str,
    text: str,
    markdown: str,
    rationale: str,
    frameworks: tuple[str, ...] = (),
) -> dict:
    properties: dict[str, Any] = {"family": family, "tags": ["coherence", family, *frameworks]}
    if frameworks:
        properties["frameworks"] = list(frameworks)
    return {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": rationale},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": properties,
    }


def _rule(doc: RuleDoc) -> dict:
    """A rule descriptor: what GitHub shows beside a finding (help.markdown; it ignores helpUri)."""
    title = f"{doc.id} {doc.name}"
    detail = f"({doc.severity}, always on)" if doc.always_on else f"({doc.severity}, family {doc.family})"
    sources = "\n".join(f"- {s}" for s in doc.sources)
    text, markdown = [f"{title} {detail}", doc.summary], [f"**{title}** {detail}", doc.summary]
    if doc.condition != doc.summary:
        text.append(f"Condition:\n{doc.condition}")
        markdown.append(f"## Condition\n\n{doc.condition}")
    text.append(f"Why it matters:\n{doc.rationale}")
    markdown.append(f"## Why it matters\n\n{doc.rationale}")
    if doc.action:
        text.append(f"What to do:\n{doc.action}")
        markdown.append(f"## What to do\n\n{doc.action}")
    if doc.frameworks:
        tags = ", ".join(doc.frameworks)
        text.append(f"Frameworks: {tags}")
        markdown.append(f"## Frameworks\n\n{tags}")
    if sources:
        text.append(f"Sources:\n{sources}")
        markdown.append(f"## Sources\n\n{sources}")
    if doc.bad:
        text += [
            f"Anti-pattern:\n{textwrap.indent(doc.bad.rstrip(), '    ')}",
            f"Best practice:\n{textwrap.indent(doc.good.rstrip(), '    ')}",
        ]
        markdown += [f"## Anti-pattern\n\n{_fence(doc.bad)}", f"## Best practice\n\n{_fence(doc.good)}"]
    if doc.family in ("E", "SUP"):
        fix = (
            "Corpus errors are always on: rule selection cannot switch them off. Fix the file."
            if doc.always_on
            else "Fix or remove the `# coherence:` comment the finding points at."
        )
        text.append(fix)
        markdown.append(f"## How to fix\n\n{fix}")
    else:
        text.append(_suppress_text(doc.id))
        markdown.append(_suppress_markdown(doc.id))
    return _descriptor(
        doc.id,
        doc.name,
        doc.severity,
        doc.family,
        doc.summary,
        "\n\n".join(text),
        "\n\n".join(markdown),
        doc.rationale,
        doc.frameworks,
    )


def _adhoc_rule(finding: Finding) -> dict:
    """A rule that reported but is neither an E rule nor in report.rules: describe it from the finding."""
    rationale = _one_line(finding.rationale) or finding.name
    family = finding.rule.rstrip("0123456789") or finding.rule
    return _descriptor(
        finding.rule, finding.name, finding.severity, family, finding.name, rationale, rationale, rationale
    )


def _rules(report: Report, findings: list[Finding]) -> list[dict]:
    descriptors = {doc.id: _rule(doc) for doc in [*BUILTIN_RULES.values(), *report.rules]}
    for finding in sorted(findings, key=Finding.sort_key):
        if finding.rule not in descriptors:
            descriptors[finding.rule] = _adhoc_rule(finding)
    return list(descriptors.values())


def _escape(text: str) -> str:
    """Plain-text SARIF messages: literal brackets are escaped so they never read as embedded links."""
    return text.replace("[", "\\[").replace("]", "\\]")


def _label(loc: Location) -> str:
    return loc.record or f"{loc.path}:{loc.line}"


def _physical(loc: Location) -> dict:
    region = {"startLine": loc.line, "startColumn": loc.column}
    if loc.end_line is not None:
        region["endLine"] = loc.end_line
        if loc.end_column is not None:
            region["endColumn"] = loc.end_column
    return {"artifactLocation": {"uri": quote(loc.path, safe="/")}, "region": region}


def _location(loc: Location) -> dict:
    out: dict[str, Any] = {"physicalLocation": _physical(loc)}
    if loc.record:
        qualified = f"{loc.record}/{loc.yaml_path}" if loc.yaml_path else loc.record
        out["logicalLocations"] = [{"name": loc.record, "fullyQualifiedName": qualified, "kind": "object"}]
    return out


def _result(finding: Finding, rule_index: int, suppression: Suppressed | None) -> dict:
    message = _escape(finding.headline)
    if finding.related:
        links = ", ".join(f"[{_escape(_label(loc))}]({i})" for i, loc in enumerate(finding.related, 1))
        message += f" — see also {links}"
    related = []
    for i, loc in enumerate(finding.related, 1):
        text = f"{loc.record} ({loc.yaml_path})" if loc.record and loc.yaml_path else _label(loc)
        related.append({"id": i, **_location(loc), "message": {"text": text}})
    result = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": message},
        "locations": [_location(finding.location)],
    }
    if related:
        result["relatedLocations"] = related
    result["partialFingerprints"] = {
        "primaryLocationLineHash": finding.fingerprint,
        FINGERPRINT_KEY: finding.fingerprint,
    }
    result["suppressions"] = (
        [] if suppression is None else [{"kind": suppression.kind, "justification": suppression.justification}]
    )
    properties = {
        "records": list(finding.records),
        "sources": list(finding.sources),
        "action": finding.action,
        "frameworks": list(finding.frameworks),
        "drafts": list(finding.drafts),
        "countries": list(finding.countries),
    }
    result["properties"] = {key: value for key, value in properties.items() if value}
    return result


def document(report: Report) -> dict:
    """The SARIF log as a dict (render() serialises it)."""
    suppressed = sorted(report.suppressed, key=lambda s: s.finding.sort_key())
    rules = _rules(report, [*report.findings, *(s.finding for s in suppressed)])
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [_result(f, index[f.rule], None) for f in report.findings]
    results += [_result(s.finding, index[s.finding.rule], s) for s in suppressed]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "coherence",
                        "version": report.version,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {"asOf": report.as_of.isoformat(), "files": report.files, "records": report.records},
            }
        ],
    }


def render(report: Report, color: bool = False) -> str:
    return pretty(document(report))
