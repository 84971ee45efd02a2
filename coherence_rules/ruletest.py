"""Run a rule's fixture cases: each case is a small multi-file corpus with the exact findings
it must produce. Used by the test suite and by `coherence test-rules`."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .api import lint
from .errors import RulePackError
from .rulespec import FixtureCase, LoadedRule, load_rule_dirs
from .settings import Settings, builtin_rules_dir

FIXTURE_AS_OF = dt.date(2026, 11, 23)

Expected = tuple[str, str, int, tuple[str, ...]]  # rule, path, line, records


@dataclass
class CaseResult:
    rule: LoadedRule
    case: FixtureCase
    expected: list[Expected]
    actual: list[Expected]
    messages: dict[Expected, str]

    @property
    def passed(self) -> bool:
        return self.expected == self.actual

    def explain(self) -> str:
        lines = [f"{self.rule.spec.id} case '{self.case.name}' ({self.rule.path}):"]
        for item in sorted(set(self.expected) - set(self.actual)):
            lines.append(f"  missing:    {_show(item)}")
        for item in sorted(set(self.actual) - set(self.expected)):
            lines.append(f"  unexpected: {_show(item)}  -- {self.messages.get(item, '')}")
        if set(self.expected) == set(self.actual):
            lines.append(f"  expected {len(self.expected)} findings, got {len(self.actual)} (duplicates)")
        return "\n".join(lines)


def _show(item: Expected) -> str:
    rule, path, line, records = item
    return f"{path}:{line} {rule} [{', '.join(records)}]"


def _fixture_parts(rule: LoadedRule, case: FixtureCase, name: str) -> tuple[str, ...]:
    """A fixture file name as path parts below the case directory. A rule pack is not trusted: an
    absolute name or `..` once wrote a `.pth` file into site-packages, which ran at the next start."""
    parts = PurePosixPath(name).parts
    if (
        not parts
        or PurePosixPath(name).is_absolute()
        or any(part in ("..", ".") for part in parts)
        or any(c in name for c in "\\\0:")
        or name.endswith("/")
    ):
        raise RulePackError(
            f"{rule.origin}: {rule.spec.id} case '{case.name}': fixture file name '{name}' must be a relative "
            "path inside the case (no '..', no absolute path, no '\\' or ':')"
        )
    return parts


def _write_fixtures(rule: LoadedRule, case: FixtureCase, root: Path) -> None:
    """Every name is checked before anything is written, and every file lands inside `root`."""
    paths = [(root.joinpath(*_fixture_parts(rule, case, name)), text) for name, text in case.files.items()]
    real_root = os.path.realpath(root)
    for path, text in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        if os.path.commonpath([real_root, os.path.realpath(path)]) != real_root:
            raise RulePackError(f"{rule.origin}: {rule.spec.id} case '{case.name}': {path.name} leads out of the case")
        with open(path, "x", encoding="utf-8") as handle:  # never through an existing file or link
            handle.write(text)


def run_case(rule: LoadedRule, case: FixtureCase, extra_rule_dirs: Sequence[Path] = ()) -> CaseResult:
    """Lint the case's files with only this rule selected (E rules are always on)."""
    with tempfile.TemporaryDirectory(prefix="coherence-case-") as tmp:
        root = Path(tmp)
        _write_fixtures(rule, case, root)
        as_of = dt.date.fromisoformat(case.as_of) if case.as_of else FIXTURE_AS_OF
        report = lint(
            Settings(corpus=[root], cwd=root, as_of=as_of, select=[rule.spec.id], rule_dirs=list(extra_rule_dirs))
        )
    actual, messages = [], {}
    for f in report.findings:
        item = (f.rule, f.location.path, f.location.line, tuple(f.records))
        actual.append(item)
        messages[item] = f.message
    expected = [(e.rule, e.path, e.line, tuple(sorted(e.records))) for e in case.expect]
    return CaseResult(rule, case, sorted(expected), sorted(actual), messages)


@dataclass
class PackResult:
    cases: list[CaseResult]
    problems: list[str]  # rules lacking a failing or a passing case

    @property
    def passed(self) -> bool:
        return not self.problems and all(c.passed for c in self.cases)


def fixture_problems(rule: LoadedRule) -> list[str]:
    cases = rule.spec.tests
    problems = []
    if not any(case.expect for case in cases):
        problems.append(f"{rule.path}: {rule.spec.id} has no test case that must produce findings")
    if not any(not case.expect for case in cases):
        problems.append(f"{rule.path}: {rule.spec.id} has no test case that must produce none")
    for case in cases:
        for expected in case.expect:
            if expected.rule != rule.spec.id:
                problems.append(
                    f"{rule.path}: {rule.spec.id} case '{case.name}' expects another rule ({expected.rule})"
                )
    return problems


def run_pack(directory: Path | None = None) -> PackResult:
    """Every fixture case of a rule pack (default: the built-in one)."""
    extra = [] if directory is None else [directory]
    rules = load_rule_dirs([directory or builtin_rules_dir()])
    cases = [run_case(rule, case, extra) for rule in rules for case in rule.spec.tests]
    return PackResult(cases, [p for rule in rules for p in fixture_problems(rule)])
