"""The one public entry point: lint(settings) -> Report. The CLI, the pre-commit hook, the
tests and the benchmarks all go through it."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .compiler import CompiledRule, compile_rules
from .evaluate import evaluate
from .facts import obligation_facts, shard_membership
from .findings import Finding, Suppressed, finalise, severity_rank
from .load import Limits, LoadedFile, load_bytes, load_file
from .obligations import load_obligations
from .rulespec import LoadedRule, builtin_rules_dir, load_rule_dirs
from .validate import validate

YAML_SUFFIXES = (".yaml", ".yml")
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox"}

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad paths, options or configuration: exit code 2 with a one-line message."""


@dataclass
class Settings:
    corpus: list[Path] = field(default_factory=list)   # context roots; empty = the default corpus
    targets: list[Path] = field(default_factory=list)  # report only findings touching these; empty = all
    as_of: dt.date = field(default_factory=dt.date.today)
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    rule_dirs: list[Path] = field(default_factory=list)  # extra rule packs
    fail_on: str = "warning"
    limits: Limits = field(default_factory=Limits)
    stdin: tuple[str, bytes] | None = None  # (display path, content) of a file read from stdin
    cwd: Path = field(default_factory=Path.cwd)


@dataclass
class Report:
    as_of: dt.date
    findings: list[Finding]
    files: int
    records: int
    rules: list[LoadedRule]
    suppressed: list[Suppressed] = field(default_factory=list)
    version: str = __version__

    def counts(self) -> dict[str, int]:
        counts = {"error": 0, "warning": 0, "info": 0}
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    def exit_code(self, fail_on: str) -> int:
        if fail_on == "never":
            return EXIT_OK
        worst = max((severity_rank(f.severity) for f in self.findings), default=-1)
        return EXIT_FINDINGS if worst >= severity_rank(fail_on) else EXIT_OK


def default_corpus(cwd: Path) -> list[Path]:
    policies = cwd / "policies"
    return [policies if policies.is_dir() else cwd]


def display_path(path: Path, cwd: Path) -> str:
    """Paths relative to the working directory, with / separators."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path(os.path.abspath(cwd))).as_posix()
    except ValueError:
        return absolute.as_posix()


def discover(paths: list[Path]) -> list[Path]:
    """YAML files named or found under directories, each once, in a stable order."""
    found: dict[str, Path] = {}
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                for name in files:
                    if name.endswith(YAML_SUFFIXES):
                        candidate = Path(root) / name
                        found.setdefault(os.path.realpath(candidate), candidate)
        elif path.is_file():
            found.setdefault(os.path.realpath(path), path)
        else:
            raise UsageError(f"{path}: no such file or directory")
    return [found[key] for key in sorted(found)]


def _selected(rule: LoadedRule, tokens: list[str]) -> bool:
    spec = rule.spec
    return any(t in (spec.id, spec.name, spec.family) or (t.isalpha() and spec.id.startswith(t.upper()))
               for t in tokens)


def load_rules(settings: Settings) -> list[LoadedRule]:
    rules = load_rule_dirs([builtin_rules_dir(), *settings.rule_dirs])
    known = {key for r in rules for key in (r.spec.id, r.spec.name, r.spec.family)}
    for token in [*settings.select, *settings.ignore]:
        if token not in known and not any(r.spec.id.startswith(token.upper()) for r in rules):
            raise UsageError(f"unknown rule, family or name in --select/--ignore: '{token}'")
    return [r for r in rules
            if (not settings.select or _selected(r, settings.select)) and not _selected(r, settings.ignore)]


_COMPILED: dict[tuple, list[CompiledRule]] = {}


def compiled(rules: list[LoadedRule]) -> list[CompiledRule]:
    key = tuple((r.path, r.spec.model_dump_json()) for r in rules)
    if key not in _COMPILED:
        _COMPILED[key] = compile_rules(rules)
    return _COMPILED[key]


def lint(settings: Settings) -> Report:
    cwd = settings.cwd
    rules = load_rules(settings)
    compiled_rules = compiled(rules)
    targets = discover(settings.targets) if settings.targets else []
    corpus_files = discover([*(settings.corpus or default_corpus(cwd)), *targets])
    loaded: list[LoadedFile] = [load_file(p, display_path(p, cwd), settings.limits) for p in corpus_files]
    target_paths = {display_path(p, cwd) for p in targets}
    if settings.stdin is not None:
        name, data = settings.stdin
        shown = display_path(Path(name), cwd)
        loaded = [f for f in loaded if f.path != shown] + [load_bytes(data, shown, settings.limits)]
        target_paths.add(shown)
    corpus = validate(loaded)
    only_shards = None
    if target_paths:
        membership = shard_membership(corpus)
        only_shards = {k for r in corpus.records if r.path in target_paths for k in membership[r.index]}
    shared = obligation_facts(load_obligations([builtin_rules_dir(), *settings.rule_dirs]))
    findings = corpus.findings + evaluate(corpus, compiled_rules, settings.as_of, only_shards, shared)
    if target_paths:
        findings = [f for f in findings if any(loc.path in target_paths for loc in f.locations)]
    return Report(as_of=settings.as_of, findings=finalise(findings), files=len(loaded),
                  records=len(corpus.records), rules=rules)
