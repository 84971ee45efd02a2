"""Which rules run and how their findings count: `select`/`ignore`, severity overrides (`off`
included) and per-path ignores, from the command line and the configuration."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from . import globs
from .corpus_errors import BUILTIN_RULES, CORPUS_ERRORS
from .errors import UsageError
from .findings import Finding
from .report import RuleDoc


def rule_matches(token: str, doc: RuleDoc) -> bool:
    """A rule token names a rule by id, name, family, id prefix (`BA`, `SS00`) or framework tag
    (`gcm:22`, `migof:principle-2`)."""
    if ":" in token:
        return token in doc.frameworks
    return token in (doc.id, doc.name, doc.family) or (token.isalnum() and doc.id.startswith(token.upper()))


class RuleIndex:
    """Every rule a token can name: the rule packs' and the built-in E and SUP rules."""

    def __init__(self, docs: list[RuleDoc]):
        self.docs = {d.id: d for d in [*BUILTIN_RULES.values(), *docs]}

    def names(self, token: str, rule_id: str) -> bool:
        doc = self.docs.get(rule_id)
        return rule_matches(token, doc) if doc else token == rule_id

    def known(self, token: str) -> bool:
        return any(self.names(token, rule_id) for rule_id in self.docs)


class Selection:
    """Which rules report: selected (all when none is), not ignored, not switched off. Corpus
    errors (E rules) always report: a file that cannot be read hides every conflict it holds; the
    SUP rules (about suppression comments) report unless ignored, whatever is selected."""

    def __init__(
        self,
        index: RuleIndex,
        selected: list[str],
        ignored: list[str],
        severity: dict[str, str],
        per_path_ignores: dict[str, list[str]] | None = None,
    ):
        per_path = [t for tokens in (per_path_ignores or {}).values() for t in tokens]
        for token in [*selected, *ignored, *per_path]:
            if not index.known(token):
                raise UsageError(f"unknown rule, family, name or framework tag in select/ignore: '{token}'")
        for token in [*ignored, *severity, *per_path]:
            if any(index.names(token, rule_id) for rule_id in CORPUS_ERRORS):
                raise UsageError(
                    f"'{token}' names a corpus error (E rules): it cannot be ignored or switched off; fix the "
                    f"file, or leave files that are not records out of the corpus with `exclude:`"
                )
        self.index = index
        self.selected, self.ignored = selected, [*ignored, *(t for t, level in severity.items() if level == "off")]

    def reports(self, rule_id: str) -> bool:
        if rule_id in CORPUS_ERRORS:
            return True
        chosen = (
            not self.selected or rule_id in BUILTIN_RULES or any(self.index.names(t, rule_id) for t in self.selected)
        )
        return chosen and not any(self.index.names(t, rule_id) for t in self.ignored)


def apply_config(
    findings: list[Finding],
    index: RuleIndex,
    severity: dict[str, str],
    per_path_ignores: dict[str, list[str]],
    cwd: Path,
    root: Path,
) -> list[Finding]:
    """Severity overrides and per-path ignores; corpus errors are always on: fix the file instead."""
    kept: list[Finding] = []
    relative = globs.relative_to(root)
    for finding in findings:
        if finding.rule in CORPUS_ERRORS:
            kept.append(finding)
            continue
        level = next((v for k, v in severity.items() if index.names(k, finding.rule)), None)
        if level == "off":
            continue
        if level:
            finding = dataclasses.replace(finding, severity=level)
        anchored = relative(cwd / finding.location.path) if per_path_ignores else ""
        if any(
            globs.matches(anchored, glob) and any(index.names(t, finding.rule) for t in tokens)
            for glob, tokens in per_path_ignores.items()
        ):
            continue
        kept.append(finding)
    return kept
