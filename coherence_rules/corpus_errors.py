"""Built-in rules that are not in the rule pack: the E rules (errors in the corpus itself,
reported by the load and validate stages) and the SUP rules (about suppression comments).

E rules are always on: rule selection cannot switch them off, since a file that cannot be
read hides every conflict it holds.
"""

from __future__ import annotations

from .findings import Finding, Location
from .report import RuleDoc


def _builtin(id: str, name: str, summary: str, rationale: str, action: str, severity: str = "error") -> RuleDoc:
    family = id.rstrip("0123456789")
    return RuleDoc(
        id=id,
        name=name,
        family=family,
        severity=severity,
        summary=summary,
        condition=summary,
        rationale=rationale,
        action=action,
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
            "Fix the YAML syntax at the line shown: nothing in the file is checked until it parses.",
        ),
        _builtin(
            "E002",
            "schema-violation",
            "A record breaks the schema: missing field, wrong type, unknown field or value outside a vocabulary.",
            "A misspelt field such as `stnace:` would otherwise hide a conflict.",
            "Correct the field or value as the message says (`coherence schema` prints the record format).",
        ),
        _builtin(
            "E003",
            "duplicate-id",
            "Two records share an id.",
            "References and findings name records by id; a shared id makes both ambiguous.",
            "Give each record its own id, and update the references to the one renamed.",
        ),
        _builtin(
            "E004",
            "unresolved-reference",
            "A reference names no record, or a record of the wrong kind.",
            "Rules that follow lead agencies, coordination bodies and parent policies cannot see past a broken link.",
            "Correct the reference, or add the record it names to the corpus.",
        ),
        _builtin(
            "E005",
            "duplicate-key",
            "A mapping repeats a key.",
            "YAML parsers silently keep the last value: the first one is lost without a word.",
            "Keep one of the repeated keys: YAML readers silently keep only the last.",
        ),
        _builtin(
            "E006",
            "unsafe-input",
            "A file is not UTF-8 text, exceeds a size limit, uses a non-standard tag or expands aliases beyond the limit.",
            "Policy repositories accept contributions; hostile or broken files must not crash or stall the checker.",
            "Save the file as UTF-8 YAML within the size limits, without custom tags or deep alias expansion.",
        ),
        _builtin(
            "E007",
            "rule-error",
            "A rule failed while it ran; its results for this shard may be incomplete.",
            "The rules engine swallows exceptions in actions; surfacing them keeps a silent gap from looking like a clean corpus.",
            "Report the failure to the rule pack's maintainers, and review the records of this shard by hand meanwhile.",
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
            "Remove the comment, or move it to the line the finding points at.",
            "warning",
        ),
        _builtin(
            "SUP002",
            "invalid-suppression",
            "A suppression comment gives no reason, names no known rule, or names a corpus error.",
            "Every silenced incoherence needs a recorded justification a reviewer can check.",
            "Name a known rule that is not an E rule, and give the reason after `--`.",
        ),
    )
}
# Not an error in a record: a YAML file under the corpus that holds no record at all (a CI file, a
# docker-compose.yml). Suppressible like any rule, and `exclude:` in the configuration skips the file.
FILE_RULES = {
    e.id: e
    for e in (
        _builtin(
            "NR001",
            "not-a-record",
            "A YAML file in the corpus holds no record: no `coherence:`, `kind:` or `id:` key, nor record fields.",
            "Files that are not records are never checked; saying so once keeps a record whose header was "
            "mistyped from passing as an unrelated file.",
            "Exclude the file in the configuration (`exclude:`), or give it a record header "
            "(`coherence: 2`, `kind:`, `id:`).",
            "warning",
        ),
    )
}
BUILTIN_RULES = {**CORPUS_ERRORS, **SUPPRESSION_RULES, **FILE_RULES}


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
        action=meta.action,
    )
