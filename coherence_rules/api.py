"""The one public entry point: lint(settings) -> Report. The CLI, the pre-commit hook, the
tests and the benchmarks all go through it."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import __version__, suppress
from .cache import Cache
from .compiler import CompiledRule, compile_rules
from .evaluate import evaluate
from .facts import obligation_facts, shard_membership
from .findings import Finding, Suppressed, finalise, severity_rank
from .load import Limits, LoadedFile, load_bytes, load_file
from .obligations import load_obligations
from .rulespec import LoadedRule, builtin_rules_dir, load_rule_dirs
from .suppress import load_baseline, rule_matches
from .validate import validate

YAML_SUFFIXES = (".yaml", ".yml")
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox"}

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
PARALLEL_FROM = 2000  # records: below this, starting worker processes costs more than it saves


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
    severity: dict[str, str] = field(default_factory=dict)  # rule id -> severity or "off"
    per_path_ignores: dict[str, list[str]] = field(default_factory=dict)  # glob -> rules
    baseline: Path | None = None
    progress: Callable[[str], None] | None = None  # told what the run is doing (a terminal's status line)
    jobs: int = 0  # worker processes for the shards; 0 = one per CPU when the corpus is large
    cache_dir: Path | None = None  # a warm cache of parsed files (cache.py); None = parse every file
    cwd: Path = field(default_factory=Path.cwd)
    config_root: Path | None = None  # where per-path globs are anchored (default: cwd)


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
    """Paths relative to the working directory (`../` when above it), with / separators."""
    try:
        return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(cwd))).as_posix()
    except ValueError:  # another drive
        return Path(os.path.abspath(path)).as_posix()


def discover(paths: list[Path]) -> list[Path]:
    """YAML files named or found under directories, each once, in a stable order."""
    found: dict[str, Path] = {}
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                for name in files:
                    candidate = Path(root) / name
                    # Regular files only: a FIFO or device named *.yaml would block or never end.
                    if name.endswith(YAML_SUFFIXES) and candidate.is_file():
                        found.setdefault(os.path.realpath(candidate), candidate)
        elif path.is_file():
            found.setdefault(os.path.realpath(path), path)
        else:
            raise UsageError(f"{path}: no such file or directory")
    return [found[key] for key in sorted(found)]


def load_rules(settings: Settings) -> tuple[list[LoadedRule], list[LoadedRule]]:
    """(the rules selected to run, every rule known)."""
    rules = load_rule_dirs([builtin_rules_dir(), *settings.rule_dirs])
    known = {key for r in rules for key in (r.spec.id, r.spec.name, r.spec.family)}
    for token in [*settings.select, *settings.ignore]:
        if token not in known and not any(r.spec.id.startswith(token.upper()) for r in rules):
            raise UsageError(f"unknown rule, family or name in select/ignore: '{token}'")

    def named(rule: LoadedRule, tokens: list[str]) -> bool:
        return any(rule_matches(t, rule.spec.id, rule.spec.name, rule.spec.family) for t in tokens)

    off = [token for token, level in settings.severity.items() if level == "off"]
    selected = [r for r in rules if (not settings.select or named(r, settings.select))
                and not named(r, settings.ignore) and not named(r, off)]
    return selected, rules


_COMPILED: dict[tuple, list[CompiledRule]] = {}


def compiled(rules: list[LoadedRule]) -> list[CompiledRule]:
    key = tuple((r.path, r.spec.model_dump_json()) for r in rules)
    if key not in _COMPILED:
        _COMPILED[key] = compile_rules(rules)
    return _COMPILED[key]


def lint(settings: Settings) -> Report:
    cwd = settings.cwd
    rules, known_rules = load_rules(settings)
    compiled_rules = compiled(rules)
    baseline = load_baseline(settings.baseline) if settings.baseline else set()
    targets = discover(settings.targets) if settings.targets else []
    corpus_files = discover([*(settings.corpus or default_corpus(cwd)), *targets])
    say = settings.progress or (lambda message: None)
    cache = Cache(settings.cache_dir) if settings.cache_dir else None
    loaded: list[LoadedFile] = []
    for number, path in enumerate(corpus_files, 1):
        if number % 200 == 0:
            say(f"reading files: {number}/{len(corpus_files)}")
        loaded.append(load_file(path, display_path(path, cwd), settings.limits, cache))
    target_paths = {display_path(p, cwd) for p in targets}
    if settings.stdin is not None:
        name, data = settings.stdin
        shown = display_path(Path(name), cwd)
        loaded = [f for f in loaded if f.path != shown] + [load_bytes(data, shown, settings.limits)]
        target_paths.add(shown)
    say(f"validating {sum(len(f.documents) for f in loaded)} records from {len(loaded)} files")
    corpus = validate(loaded)
    say(f"running {len(rules)} rules on {len(corpus.records)} records")
    only_shards = None
    if target_paths:
        membership = shard_membership(corpus)
        only_shards = {k for r in corpus.records if r.path in target_paths for k in membership[r.index]}
    shared = obligation_facts(load_obligations([builtin_rules_dir(), *settings.rule_dirs]))
    jobs = settings.jobs or (min(os.cpu_count() or 1, 8) if len(corpus.records) >= PARALLEL_FROM else 1)
    findings = corpus.findings + evaluate(corpus, compiled_rules, settings.as_of, only_shards, shared, say, jobs)
    if target_paths:
        findings = [f for f in findings if any(loc.path in target_paths for loc in f.locations)]
    findings, suppressed = suppress.apply(
        finalise(findings), loaded, rules, known_rules, severity=settings.severity,
        per_path_ignores=settings.per_path_ignores, baseline=baseline, cwd=cwd,
        root=settings.config_root or cwd, reported_paths=target_paths or None)
    if settings.progress:
        settings.progress("")
    return Report(as_of=settings.as_of, findings=finalise(findings), files=len(loaded),
                  records=len(corpus.records), rules=rules,
                  suppressed=sorted(suppressed, key=lambda s: s.finding.sort_key()))
