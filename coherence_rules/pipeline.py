"""The stages of a run the corpus index does not answer whole (api.py): the records column (load ->
validate -> facts) and the rules column (rulespec -> compiler) meet at the engine (evaluate); then
configuration, inline suppressions and the baseline apply."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import operator
import os
from collections.abc import Callable, Iterator
from typing import ParamSpec

from . import resident, summaries
from .baseline import apply_baseline
from .compiler import compile_rules
from .corpus_errors import BUILTIN_RULES, corpus_error
from .corpus_index import CorpusIndex
from .cost import within_fact_budget
from .directives import apply_directives, directives
from .evaluate import evaluate
from .findings import Finding, Location, finalise
from .ir import CompiledRule
from .load import Source, load_each, read_unread
from .obligations import load_obligations
from .record_views import record_views
from .report import Report
from .rulespec import LoadedRule, load_rule_dirs
from .selection import RuleIndex, Selection, apply_config
from .settings import Settings, builtin_rules_dir
from .shards import membership, needed_documents, pair_shards, shards
from .validate import validate

P = ParamSpec("P")
PARALLEL_FROM = 2000  # records: below this, starting worker processes costs more than it saves


def load_rules(settings: Settings) -> tuple[list[LoadedRule], RuleIndex, Selection]:
    """(the pack rules that run, every rule a token can name, the selection)."""
    known = load_rule_dirs([builtin_rules_dir(), *settings.rule_dirs])
    index = RuleIndex([r.spec.doc() for r in known])
    selection = Selection(index, settings.select, settings.ignore, settings.severity, settings.per_path_ignores)
    return [r for r in known if selection.reports(r.spec.id)], index, selection


_COMPILED: dict[tuple, list[CompiledRule]] = {}
_LAST: tuple[tuple[LoadedRule, ...], list[CompiledRule]] = ((), [])  # the last pack compiled() was given


def compiled(rules: list[LoadedRule]) -> list[CompiledRule]:
    """Compile a pack once per process. A server loads a rule file once per content: its runs give
    the very rules of the last run, known without writing out each rule's spec."""
    global _LAST
    last, pack = _LAST
    if len(last) == len(rules) and all(map(operator.is_, last, rules)):
        return pack
    key = tuple((r.origin, repr(r.spec)) for r in rules)
    if key not in _COMPILED:
        _COMPILED[key] = compile_rules(rules)
    _LAST = (tuple(rules), _COMPILED[key])
    return _COMPILED[key]


def at_most_per_record(findings: list[Finding], limit: int) -> list[Finding]:
    """At most `limit` findings of one rule per record (per file, for findings outside records),
    the first in report order; an E006 finding counts the rest (one file once yielded 280,000)."""
    kept: list[Finding] = []
    over: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        group = over.setdefault((finding.rule, finding.location.record or finding.location.path), [])
        group.append(finding)
        if len(group) <= limit:
            kept.append(finding)
    for (rule, where), group in over.items():
        if len(group) > limit:
            first = group[0].location
            kept.append(
                corpus_error(
                    "E006",
                    f"{rule} reports {len(group)} findings for {where}, over the limit of {limit}: "
                    f"only the first {limit} are listed",
                    Location(first.path, first.line, first.column, record=first.record),
                    records=(first.record,) if first.record else (),
                )
            )
    return finalise(kept)


def cpus() -> int:
    return min(os.cpu_count() or 1, 8)


@contextlib.contextmanager
def _lasting() -> Iterator[None]:
    """Around a stage whose results live until the run ends (the loaded corpus, its records): the
    collector does not walk the heap while they are built, and they are frozen after (its full
    collections over them took a quarter of a one-file run at 10,000 records). Not in a server,
    which freezes what lives on between runs itself (serve.py) and collects what a run leaves."""
    if resident.CURRENT is not None:
        yield
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # first: enabled again, the collector would walk every object built meanwhile
        if enabled:
            gc.enable()


def _collector_handed_back(stages: Callable[P, Report]) -> Callable[P, Report]:
    """What a run froze (_lasting) is the collector's again when it ends: a caller lives on. The
    memory the run freed (the corpus, once its report is made) goes back to the system."""

    @functools.wraps(stages)
    def run(*args: P.args, **kwargs: P.kwargs) -> Report:
        try:
            return stages(*args, **kwargs)
        finally:
            if resident.CURRENT is None:
                gc.unfreeze()
                _trim()

    return run


def _trim() -> None:
    """Hand back to the system the free pages the C allocator keeps (glibc's malloc_trim, as Dask's
    workers do): the report, serialised for the index and the output after the run, would otherwise
    grow the process from its peak (by 110-145 MiB at 100,000 records) rather than reuse them."""
    import ctypes  # only here: most runs' processes end before it would matter

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError, TypeError):  # not glibc (macOS, musl, Windows)
        return
    trim(0)


@_collector_handed_back
def run_stages(
    settings: Settings,
    corpus_index: CorpusIndex | None,
    baseline: set[str] | None,
    sources: list[Source],
    target_paths: set[str],
    priming: bool = False,  # a server before it answers (api.prime)
) -> Report:
    """The records column (load, validate, facts) and the rules column (rulespec, compiler) meet at
    the engine (evaluate); then configuration, inline suppressions and the baseline. `sources` is
    emptied once loaded: the files' bytes are not needed again (a tenth of a large run's memory)."""
    say = settings.progress or (lambda message: None)
    rules, index, selection = load_rules(settings)
    compiled_rules = compiled(rules)
    if all(shown in target_paths for shown, _ in sources):  # every file named (`lint policies/`): the whole corpus
        target_paths = set()
    sources.sort(key=operator.itemgetter(0))  # path order, validation's: a whole run validates each file as it comes
    say(f"validating the records of {len(sources)} files as they are read")
    # A server validates its documents again in its next runs: it keeps their data.
    let_go = resident.CURRENT is None
    # Records an earlier run validated answer from their summaries: only those read are validated.
    known = summaries.summarised if corpus_index is not None else lambda document: False
    with _lasting():
        # A run naming files reads the index's entries only of the files it needs (UnreadDocument).
        unread = known if target_paths and let_go and corpus_index is not None else None
        loading = load_each(
            sources, settings.limits, corpus_index, settings.jobs or cpus(), say, settings.record_views, unread
        )
        if target_paths:
            # A run naming files validates and evaluates the records of the shards they touch, no others.
            loaded = list(loading)
            needs = needed_documents(loaded, target_paths)
            if corpus_index is not None:
                read_unread(loaded, {path for path, _ in needs.validated | needs.checked}, corpus_index)
            valid = validate(loaded, needs.validated, needs.checked, let_go=let_go, summarised=known)
        else:
            valid = validate(loading, let_go=let_go, in_path_order=True, summarised=known)
            loaded = valid.files
        if corpus_index is not None:
            summaries.keep(valid, corpus_index, settings.limits)
    only_shards = evaluated = None
    if target_paths:
        keys = membership(valid)
        only_shards = {k for r in valid.records if r.path in target_paths for k in keys[r.index]}
        evaluated = {
            e.index for s in [*shards(valid, only_shards), *pair_shards(valid, only_shards)] for e in s.records
        }
    corpus, too_costly = within_fact_budget(valid, settings.limits.max_facts_per_record, evaluated)
    say(f"running {len(rules)} rules on {len(corpus.records)} records")
    obligations = load_obligations([builtin_rules_dir(), *settings.rule_dirs])
    # A server's process holds the corpus (resident.py): a forked worker would copy its memory page by page.
    many = len(corpus.records) >= PARALLEL_FROM and resident.CURRENT is None
    jobs = settings.jobs or (cpus() if many else 1)
    findings = [
        *(f for f in corpus.findings if selection.reports(f.rule)),  # NR001 can be ignored; E rules cannot
        *too_costly,
        *evaluate(
            corpus,
            compiled_rules,
            settings.as_of,
            only_shards,
            obligations,
            say,
            jobs,
            settings.limits.max_matches_per_rule,
            corpus_index,
            target_paths or None,
            priming,
        ),
    ]
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
    # it); only the targets' own suppression comments are themselves reported, so a run naming files
    # searches those and the files its findings point into.
    searched = {*target_paths, *(loc.path for f in findings for loc in f.locations)} if target_paths else None
    found, unsearched = directives(loaded, searched, settings.limits.max_comment_line_chars)
    findings += [f for f in unsearched if not target_paths or f.location.path in target_paths]
    findings, suppressed, about_suppressions = apply_directives(
        findings, found, index, {r.spec.id for r in rules} | set(BUILTIN_RULES)
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
        findings=at_most_per_record(finalise(findings), settings.limits.max_findings_per_rule_per_record),
        files=len(loaded),
        records=len(valid.records),
        rules=[r.spec.doc() for r in rules],
        suppressed=sorted(suppressed, key=lambda s: s.finding.sort_key()),
        record_views=views,
        texts=texts,
    )
