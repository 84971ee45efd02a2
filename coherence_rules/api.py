"""The one public entry point: lint(settings) -> Report. The CLI, the pre-commit hook, the tests and
the benchmarks all go through it. It reads the corpus (records column: load -> validate -> facts)
and the rule packs (rules column: rulespec -> compiler), meets them at the engine (evaluate), and
applies configuration, inline suppressions and the baseline."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from .baseline import apply_baseline, load_baseline
from .cache import Cache
from .compiler import compile_rules
from .corpus_errors import BUILTIN_RULES
from .directives import apply_directives, directives
from .errors import UsageError
from .evaluate import evaluate
from .findings import finalise
from .ir import CompiledRule
from .load import LoadedFile, load_bytes, load_file
from .obligations import load_obligations
from .record_views import record_views
from .report import Report
from .rulespec import LoadedRule, builtin_rules_dir, load_rule_dirs
from .selection import RuleIndex, Selection, apply_config
from .settings import Settings, default_corpus
from .shards import membership
from .validate import validate

YAML_SUFFIXES = (".yaml", ".yml")
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox"}
PARALLEL_FROM = 2000  # records: below this, starting worker processes costs more than it saves


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


_COMPILED: dict[tuple, list[CompiledRule]] = {}


def compiled(rules: list[LoadedRule]) -> list[CompiledRule]:
    """Compile a pack once per process."""
    key = tuple((r.origin, repr(r.spec)) for r in rules)
    if key not in _COMPILED:
        _COMPILED[key] = compile_rules(rules)
    return _COMPILED[key]


def _load(settings: Settings, targets: list[Path]) -> tuple[list[LoadedFile], set[str]]:
    """The corpus files (targets included) and the display paths of the targets."""
    cwd = settings.cwd
    say = settings.progress or (lambda message: None)
    corpus_files = discover([*(settings.corpus or default_corpus(cwd)), *targets])
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
    return loaded, target_paths


def load_rules(settings: Settings) -> tuple[list[LoadedRule], RuleIndex, Selection]:
    """(the pack rules that run, every rule a token can name, the selection)."""
    known = load_rule_dirs([builtin_rules_dir(), *settings.rule_dirs])
    index = RuleIndex([r.spec.doc() for r in known])
    selection = Selection(index, settings.select, settings.ignore, settings.severity)
    return [r for r in known if selection.reports(r.spec.id)], index, selection


def lint(settings: Settings) -> Report:
    say = settings.progress or (lambda message: None)
    rules, index, selection = load_rules(settings)
    compiled_rules = compiled(rules)
    baseline = load_baseline(settings.baseline) if settings.baseline else None
    targets = discover(settings.targets) if settings.targets else []
    loaded, target_paths = _load(settings, targets)
    say(f"validating {sum(len(f.documents) for f in loaded)} records from {len(loaded)} files")
    corpus = validate(loaded)
    say(f"running {len(rules)} rules on {len(corpus.records)} records")
    only_shards = None
    if target_paths:
        keys = membership(corpus)
        only_shards = {k for r in corpus.records if r.path in target_paths for k in keys[r.index]}
    obligations = load_obligations([builtin_rules_dir(), *settings.rule_dirs])
    jobs = settings.jobs or (min(os.cpu_count() or 1, 8) if len(corpus.records) >= PARALLEL_FROM else 1)
    findings = corpus.findings + evaluate(corpus, compiled_rules, settings.as_of, only_shards, obligations, say, jobs)
    if target_paths:
        findings = [f for f in findings if any(loc.path in target_paths for loc in f.locations)]
    findings = apply_config(
        finalise(findings),
        index,
        settings.severity,
        settings.per_path_ignores,
        settings.cwd,
        settings.config_root or settings.cwd,
    )
    # Suppressions anywhere in the corpus apply (a finding is judged where a whole-corpus run points
    # it); only the targets' own suppression comments are themselves reported.
    findings, suppressed, about_suppressions = apply_directives(
        findings, directives(loaded, None), index, {r.spec.id for r in rules} | set(BUILTIN_RULES)
    )
    if baseline is not None:
        findings, hidden = apply_baseline(findings, baseline)
        suppressed += hidden
    if target_paths:
        about_suppressions = [f for f in about_suppressions if f.location.path in target_paths]
        findings = [f.anchored(target_paths) for f in findings]
        suppressed = [dataclasses.replace(s, finding=s.finding.anchored(target_paths)) for s in suppressed]
    findings += [f for f in about_suppressions if selection.reports(f.rule)]
    if settings.progress:
        settings.progress("")
    views, texts = [], {}
    if settings.record_views:
        views = record_views(corpus, settings.as_of)
        shown = {loc.path for f in [*findings, *(s.finding for s in suppressed)] for loc in f.locations}
        texts = {f.path: f.text for f in loaded if f.path in shown}
    return Report(
        as_of=settings.as_of,
        findings=finalise(findings),
        files=len(loaded),
        records=len(corpus.records),
        rules=[r.spec.doc() for r in rules],
        suppressed=sorted(suppressed, key=lambda s: s.finding.sort_key()),
        record_views=views,
        texts=texts,
    )
