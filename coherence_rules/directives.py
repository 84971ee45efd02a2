"""Inline suppressions: `# coherence: ignore[RULE] -- reason` on the line of any record a finding
involves (where it points, or a related location) or the line above, `# coherence: ignore-file[RULE]
-- reason` in the file of any of them. They apply in every run: whole corpus, one file, `--against`. A suppression without a reason,
naming no known rule or a corpus error, is reported (SUP002); one that suppresses nothing is
reported too (SUP001, like ruff's RUF100)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .corpus_errors import CORPUS_ERRORS, corpus_error
from .findings import Finding, Location, Suppressed
from .load import COMMENT, LoadedFile
from .selection import RuleIndex

# Linear in the line's length: the rule list is bounded and the reason runs to the end of the line
# (an unbounded `[^\]]*` and a backtracking `.*\S` took 684 s on one 1.68 MB comment line).
DIRECTIVE = re.compile(
    r"(?:^|\s)#\s*coherence:\s*(?P<kind>ignore-file|ignore)\s*\[(?P<rules>[^\]\n]{0,300})\]\s*(?:--(?P<reason>.*))?"
)


@dataclass
class Directive:
    path: str
    line: int
    column: int
    kind: str  # "ignore" (this line or the next) or "ignore-file"
    rules: tuple[str, ...]
    reason: str
    used: bool = False

    @property
    def location(self) -> Location:
        return Location(self.path, self.line, self.column)

    def covers(self, finding: Finding, index: RuleIndex) -> bool:
        """On the line of any record the finding involves (or the line above), or in its file: a
        conflict between two records may be settled on either side, and the decision holds in every
        run, whichever file is linted."""
        return any(
            self.path == loc.path and (self.kind == "ignore-file" or self.line in (loc.line, loc.line - 1))
            for loc in finding.locations
        ) and any(index.names(t, finding.rule) for t in self.rules)


def directives(
    files: list[LoadedFile], paths: set[str] | None, max_line_chars: int
) -> tuple[list[Directive], list[Finding]]:
    """The suppression comments of the files (only those at `paths`, when given), and an E006
    finding for each line that could hold one but is too long to be searched."""
    found, too_long = [], []
    for loaded in files:
        if (paths is not None and loaded.path not in paths) or not COMMENT.search(loaded.text):
            continue
        for number, line in enumerate(loaded.text.splitlines(), 1):
            if len(line) > max_line_chars:
                if COMMENT.search(line):
                    too_long.append(
                        corpus_error(
                            "E006",
                            f"a line of {len(line)} characters, over the {max_line_chars}-character limit: "
                            "it is not searched for `# coherence:` suppressions",
                            Location(loaded.path, number, 1),
                        )
                    )
                continue
            match = DIRECTIVE.search(line)
            if match:
                rules = tuple(r.strip() for r in match["rules"].split(",") if r.strip())
                reason = (match["reason"] or "").strip()
                found.append(Directive(loaded.path, number, match.start("kind") + 1, match["kind"], rules, reason))
    return found, too_long


def _invalid(directive: Directive, index: RuleIndex) -> str:
    """Why a suppression cannot be used ("" when it can)."""
    unknown = [t for t in directive.rules if not index.known(t)]
    if not directive.rules:
        return "names no rule"
    if not directive.reason:
        return "gives no reason (add `-- why`)"
    if unknown:
        return f"names unknown rule(s) {', '.join(unknown)}"
    if any(index.names(t, e) for t in directive.rules for e in CORPUS_ERRORS):
        return "cannot suppress corpus errors (E rules): fix the file"
    return ""


def apply_directives(
    findings: list[Finding], found: list[Directive], index: RuleIndex, ran: set[str]
) -> tuple[list[Finding], list[Suppressed], list[Finding]]:
    """(findings kept, findings suppressed, SUP findings about the suppressions); `ran` are the
    rules that ran: a suppression naming one that did not is not judged unused."""
    reported: list[Finding] = []
    valid: list[Directive] = []
    for d in found:
        why = _invalid(d, index)
        if why:
            reported.append(corpus_error("SUP002", f"invalid suppression: {why}", d.location))
        else:
            valid.append(d)
    kept: list[Finding] = []
    suppressed: list[Suppressed] = []
    for finding in findings:
        directive = (
            None if finding.rule in CORPUS_ERRORS else next((d for d in valid if d.covers(finding, index)), None)
        )
        if directive is None:
            kept.append(finding)
        else:
            directive.used = True
            suppressed.append(Suppressed(finding, "inSource", directive.reason))
    for d in valid:
        # Only judge a suppression whose rules all ran: `--select HC` must not call a BA suppression unused.
        if not d.used and all(any(index.names(t, i) for i in ran) for t in d.rules):
            reported.append(
                corpus_error("SUP001", f"unused suppression: no {', '.join(d.rules)} finding here", d.location)
            )
    return kept, suppressed, reported
