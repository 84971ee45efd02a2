"""Built-in rules that are not in the rule pack: the E rules (errors in the corpus itself,
reported by the load and validate stages) and the SUP rules (about suppression comments).

E rules are always on: rule selection cannot switch them off, since a file that cannot be
read hides every conflict it holds.
"""

from __future__ import annotations

from .findings import Finding, Location
from .report import RuleDoc


def _builtin(id: str, name: str, summary: str, rationale: str, severity: str = "error") -> RuleDoc:
    family = id.rstrip("0123456789")
    return RuleDoc(
        id=id,
        name=name,
        family=family,
        severity=severity,
        summary=summary,
        condition=summary,
        rationale=rationale,
        always_on=family == "E",
    )


CORPUS_ERRORS = {
    e.id: e
    for e in (
        _builtin(
            "E001",
            "yaml-syntax",
            "A file is not valid YAML.",
            "A file that does not parse is never checked: every conflict in it would go unseen.",
        ),
        _builtin(
            "E002",
            "schema-violation",
            "A record breaks the schema: missing field, wrong type, unknown field or value outside a vocabulary.",
            "A misspelt field such as `stnace:` would otherwise hide a conflict (schema.md).",
        ),
        _builtin(
            "E003",
            "duplicate-id",
            "Two records share an id.",
            "References and findings name records by id; a shared id makes both ambiguous.",
        ),
        _builtin(
            "E004",
            "unresolved-reference",
            "A reference names no record, or a record of the wrong kind.",
            "Rules that follow lead agencies, coordination bodies and parent policies cannot see past a broken link.",
        ),
        _builtin(
            "E005",
            "duplicate-key",
            "A mapping repeats a key.",
            "YAML parsers silently keep the last value: the first one is lost without a word.",
        ),
        _builtin(
            "E006",
            "unsafe-input",
            "A file is not UTF-8 text, exceeds a size limit, uses a non-standard tag or expands aliases beyond the limit.",
            "Policy repositories accept contributions; hostile or broken files must not crash or stall the checker.",
        ),
        _builtin(
            "E007",
            "rule-error",
            "A rule failed while it ran; its results for this shard may be incomplete.",
            "The rules engine swallows exceptions in actions; surfacing them keeps a silent gap from looking like a clean corpus.",
        ),
    )
}


SUPPRESSION_RULES = {
    e.id: e
    for e in (
        _builtin(
            "SUP001",
            "unused-suppression",
            "A `# coherence: ignore[...]` comment suppresses no finding.",
            "A stale suppression would silently hide the next real conflict at that place "
            "(like ruff's RUF100 or ESLint's --report-unused-disable-directives).",
            "warning",
        ),
        _builtin(
            "SUP002",
            "invalid-suppression",
            "A suppression comment gives no reason, names no known rule, or names a corpus error.",
            "Every silenced incoherence needs a recorded justification a reviewer can check.",
        ),
    )
}
BUILTIN_RULES = {**CORPUS_ERRORS, **SUPPRESSION_RULES}


def corpus_error(
    rule_id: str, message: str, location: Location, related: tuple[Location, ...] = (), records: tuple[str, ...] = ()
) -> Finding:
    meta = BUILTIN_RULES[rule_id]
    return Finding(
        rule=meta.id,
        name=meta.name,
        severity=meta.severity,
        message=message,
        location=location,
        related=related,
        records=records,
        rationale=meta.rationale,
    )
