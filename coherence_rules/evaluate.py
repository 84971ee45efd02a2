"""Run the compiled rules shard by shard and turn the engine's matches into findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from . import engine, parties, workers
from .catalogue import FACT_TYPES
from .corpus_errors import corpus_error
from .corpus_index import CorpusIndex
from .engine import Pack, register
from .facts import Context, Fact, context, obligation_facts
from .findings import Finding, Location
from .ir import At, CompiledRule, Match, ReportPlan
from .obligations import Obligation
from .record_views import owner
from .schema import Agreement, Institution, Record
from .shard_facts import Found, Recorder, ShardFacts
from .shards import Shard, pair_shards, shards
from .validate import Corpus, RecordEntry


def _group_key(report: ReportPlan, match: Match) -> tuple:
    if not report.one_per:
        return tuple((b, match[b]["ri"], match[b]["yp"]) for b in sorted(match))
    return tuple(match[b][f] if f else (match[b]["ri"], match[b]["yp"]) for b, f in report.one_per)


def _complete(report: ReportPlan, pairs: list[tuple[int, Match]]) -> list[tuple[int, Match]]:
    """`every`: the matches whose primary fact holds as many distinct values of the field as its count
    says there are (judged per primary, so that both parties' records of one agreement each count)."""
    if report.every is None:
        return pairs
    binding, field, count = report.every

    def primary(match: Match) -> tuple:
        return match[report.primary]["ri"], match[report.primary]["yp"]

    seen: dict[tuple, set] = {}
    needed: dict[tuple, int] = {}
    for _, match in pairs:
        seen.setdefault(primary(match), set()).add(match[binding][field])
        needed[primary(match)] = match[binding][count]
    return [(q, m) for q, m in pairs if len(seen[primary(m)]) == needed[primary(m)]]


def _locate(corpus: Corpus, fact: Fact, at: At) -> Location:
    entry = corpus.records[fact["ri"]]
    if at.field:
        return entry.location(_yaml_path(fact[at.field]))
    return entry.location(_yaml_path(fact["yp"]) + at.path)


def _yaml_path(text: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in text.split(".") if part)


JOIN_ONLY = frozenset(t.name for t in FACT_TYPES.values() if t.join_only)  # no finding is about these
DRAFTS = frozenset({"draft", "negotiating"})  # statuses of records not yet adopted or signed
Outcome = tuple[Found, list[tuple[str, str]]]  # a shard's matches, and the errors of its engine run
WORKERS_FROM = 2000  # records whose facts must be built: below this, a worker pool costs more than it saves


def record_name(model: Record) -> str:
    """A record as a message names it: by title (an agreement record also by whose record it is)."""
    if isinstance(model, Agreement):
        return (
            f"{parties.possessive(parties.in_sentence(model.recorded_by))} record of {model.title or model.agreement}"
        )
    if isinstance(model, Institution):
        return model.name
    return getattr(model, "title", None) or model.id


def named(entry: RecordEntry) -> str:
    """record_name of a record's model (a function of the record alone)."""
    return entry.document.remembered("name", lambda: record_name(entry.model))


def agreement_title(entry: RecordEntry) -> tuple[str, str]:
    """An agreement record's agreement key and how it is titled (a function of the record alone)."""

    def compute() -> tuple[str, str]:
        model = entry.model
        assert isinstance(model, Agreement)
        return model.agreement, model.title or model.agreement

    return entry.document.remembered("agreement title", compute)


def record_owner(entry: RecordEntry) -> str:
    """Whose record it is (record_views.owner; a function of the record alone)."""
    return entry.document.remembered("owner", lambda: owner(entry.model))


class RecordNames:
    """How messages name records: by title (an agreement record also by whose record it is), with
    the objective or measure a statement fact comes from."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus

    def of_fact(self, fact: Fact) -> str:
        if fact["ri"] < 0:  # the obligations table, a route: no record
            return str(fact["record"])
        record = named(self.corpus.records[fact["ri"]])
        return f"{fact['label']} of {record}" if fact.get("label") else record

    def of_record(self, record_id: str) -> str:
        """A record by id, or an agreement by its key (its title, whoever recorded it)."""
        entry = self.corpus.by_id.get(record_id)
        if entry is not None:
            return named(entry)
        return self._agreement_titles().get(record_id, record_id)

    def _agreement_titles(self) -> dict[str, str]:
        """Each agreement key's first title in order (found once per corpus, not once per message)."""
        if "agreement_titles" not in self.corpus.derived:
            titles: dict[str, list[str]] = {}
            for e in self.corpus.records:
                if e.kind == "agreement":
                    key, title = agreement_title(e)
                    titles.setdefault(key, []).append(title)
            self.corpus.derived["agreement_titles"] = {key: min(found) for key, found in titles.items()}
        return self.corpus.derived["agreement_titles"]


def _findings(
    rule: CompiledRule,
    matches: list[tuple[int, Match]],
    ctx: Context,
    obligations: dict[str, Obligation],
    about: set[str] | None,
) -> Iterable[Finding]:
    """One finding per distinct set of matched facts (or per `one_per` key); matches that differ
    only in the tree node they met on collapse into one naming where the statements meet. With
    `about`, only the findings some of whose facts' records are in those files (a finding points
    only at its facts' records: the others could point into none)."""
    corpus, report, doc = ctx.corpus, rule.report, rule.doc
    groups: dict[tuple, list[tuple[int, Match]]] = {}
    for query, match in matches:
        groups.setdefault(_group_key(report, match), []).append((query, match))
    for pairs in groups.values():
        if about is not None and not any(
            f["ri"] >= 0 and corpus.records[f["ri"]].path in about for _, match in pairs for f in match.values()
        ):
            continue
        # The type name keeps an unstated "" and a number from being compared (a null quota did).
        pairs.sort(
            key=lambda pair: sorted(
                (b, sorted((k, type(v).__name__, v) for k, v in f.items())) for b, f in pair[1].items()
            )
        )
        pairs = _complete(report, pairs)
        if not pairs:
            continue
        group = [match for _, match in pairs]
        first_query = pairs[0][0]
        primary = _locate(corpus, group[0][report.primary], report.place(first_query, report.primary))
        related: list[Location] = []
        # One finding for several primaries (`one_per` an agreement: both parties' records) lists the others.
        for query, match in pairs:
            for binding in (report.primary, *report.related):
                fact = match.get(binding)  # bound only in some alternatives of the rule
                if fact is None or fact["ri"] < 0:  # shared facts (obligations) have no record
                    continue
                location = _locate(corpus, fact, report.place(query, binding))
                if location != primary and location not in related:
                    related.append(location)
        facts = [f for m in group for f in m.values()]
        records = tuple(sorted({f["record"] for f in facts if f["ri"] >= 0}))
        cited = [obligations[f["yp"]] for f in facts if f["ri"] < 0 and f["yp"] in obligations]
        yield Finding(
            rule=doc.id,
            name=doc.name,
            severity=doc.severity,
            message=rule.queries[first_query].message.render(group, RecordNames(corpus)),
            location=primary,
            related=tuple(sorted(related)),
            records=records,
            rationale=doc.rationale,
            sources=tuple(dict.fromkeys([*doc.sources, *(o.source for o in cited)])),
            action=doc.action,
            frameworks=tuple(sorted({*doc.frameworks, *(t for o in cited for t in o.frameworks)})),
            drafts=tuple(
                sorted({f["record"] for f in facts if f["ri"] >= 0 and ctx.standing[f["ri"]].status in DRAFTS})
            ),
            countries=tuple(sorted({record_owner(corpus.records[f["ri"]]) for f in facts if f["ri"] >= 0})),
            identity=" ".join(sorted({f"{f['record']}@{f['yp']}" for f in facts if f["t"] not in JOIN_ONLY})),
        )


def evaluate(
    corpus: Corpus,
    rules: list[CompiledRule],
    as_of: dt.date,
    only_shards: set[str] | None = None,
    obligations: Iterable[Obligation] = (),
    progress: Callable[[str], None] = lambda message: None,
    jobs: int = 1,
    match_limit: int = 0,  # engine matches kept per rule and shard (0: all); the rule is E007 past it
    index: CorpusIndex | None = None,  # where the engine's matches for shards are kept (shard_facts.py)
    about: set[str] | None = None,  # a run naming files: the findings pointing into none of these are not made
    priming: bool = False,  # a server before it answers (ShardFacts)
) -> list[Finding]:
    """Country rules in country shards, pair rules in pair shards (shards.py)."""
    ctx = context(corpus, as_of)
    table = list(obligations)
    shared = obligation_facts(table)
    cited = {f"obligations.{k}": o for k, o in enumerate(table)}  # the YAML path obligation_facts gives
    passes: list[Pass] = []
    for scope, make in (("country", shards), ("pair", pair_shards)):
        scoped = [r for r in rules if r.scope == scope]
        if scoped:
            evaluated = make(corpus, only_shards)
            pack = register(scoped)
            passes.append(Pass(pack, ShardFacts(pack, ctx, shared, index, match_limit, evaluated, priming), evaluated))
    findings: list[Finding] = []
    for run, number, (found, errors) in _outcomes(passes, jobs, index):
        shard = run.shards[number]
        progress(f"rules: shard {number + 1}/{len(run.shards)} ({shard.key})")
        by_rule: dict[str, list[tuple[int, Match]]] = {}
        for rule_id, query, match in found:
            by_rule.setdefault(rule_id, []).append((query, match))
        for rule_id, matches in by_rule.items():
            findings.extend(_findings(run.pack.by_id[rule_id], matches, ctx, cited, about))
        for rule_id, message in errors:
            anchor = shard.records[0].location()
            findings.append(
                corpus_error(
                    "E007",
                    f"rule {rule_id or '?'} failed in shard {shard.key}: {message}",
                    Location(anchor.path, anchor.line, anchor.column),
                )
            )
    return findings


@dataclass
class Pass:
    """One scope's rules (a pack) over its shards."""

    pack: Pack
    shard_facts: ShardFacts
    shards: list[Shard]


def _outcomes(passes: list[Pass], jobs: int, index: CorpusIndex | None) -> Iterator[tuple[Pass, int, Outcome]]:
    """Each pass's shards' outcomes (with the pass and the shard's number), in order. One pool of
    workers for every pass that has many records' facts to build (a cold run, a changed rule): they
    are forked once, and the pair pass starts while the last country shards are evaluated. A worker
    cannot ask the index whether facts built again are those it knows, so after a few edits the
    shards are planned here, and those whose facts did not change take their matches from the index."""
    parallel = [
        jobs > 1
        and len(run.shards) > 1
        and run.shard_facts.unknown_at_least(run.shards, WORKERS_FROM)
        and workers.can_fork()
        for run in passes
    ]
    numbered = [(run, number) for run in passes for number in range(len(run.shards))]
    if any(parallel):
        for (run, number), outcome in zip(numbered, _in_workers(passes, parallel, jobs, index), strict=True):
            yield run, number, outcome
    else:
        for run, number in numbered:
            yield run, number, _evaluated(run.shard_facts, run.shards[number])


def _evaluated(shard_facts: ShardFacts, shard: Shard) -> Outcome:
    """A shard's matches: from the index, else from the engine on the shard's facts."""
    run = shard_facts.plan(shard)
    if not run.missed:
        return shard_facts.found(run, None), []
    result = engine.run(run.pack, run.facts, shard_facts.match_limit)
    return shard_facts.found(run, result), result.errors


# What the forked workers of _in_workers inherit: each pass's facts and shards.
_WORK: list[tuple[ShardFacts, list[Shard]]] | None = None
Task = tuple[int, list[int], dict[int, str | None]]  # a pass's number, its shards' numbers, their records' memo keys
# A task's shards' outcomes, and what a worker would have written to the index.
Batch = tuple[list[Outcome], Recorder | None]
TASKS_PER_WORKER = 16  # a pass's shards go to the workers in about this many tasks each


def _in_workers(passes: list[Pass], parallel: list[bool], jobs: int, index: CorpusIndex | None) -> Iterator[Outcome]:
    """Each shard's outcome: from the index here, or from a worker process that builds the facts
    of its records from the corpus it inherited and runs the engine on them (the shards of the
    `parallel` passes; the others are evaluated here). No fact of a parallel pass is built in this
    process or sent to a worker; what the workers would write to the index comes back and is
    written here. Consecutive shards go to a worker together: a pair shard takes a millisecond,
    about what handing it over and back costs (a dense corpus's pair pass left the workers half idle)."""
    global _WORK
    _WORK = [(run.shard_facts, run.shards) for run in passes]

    def tasks() -> Iterator[Task | workers.Done[Batch]]:
        for p, run in enumerate(passes):
            per_task = max(1, len(run.shards) // (jobs * TASKS_PER_WORKER))
            numbers: list[int] = []
            memos: dict[int, str | None] = {}
            for number, shard in enumerate(run.shards):
                if not parallel[p]:
                    yield workers.Done(([_evaluated(run.shard_facts, shard)], None))
                    continue
                known = run.shard_facts.known(shard)
                if known is None:
                    numbers.append(number)
                    memos.update(run.shard_facts.memo_keys(shard))
                if numbers and (known is not None or len(numbers) == per_task or number == len(run.shards) - 1):
                    yield (p, numbers, memos)  # the shards before a known one, in order
                    numbers, memos = [], {}
                if known is not None:
                    yield workers.Done(([(known, [])], None))
            run.shard_facts.handed_out()

    try:
        for outcomes, recorded in workers.in_order(
            _evaluated_in_worker, tasks(), jobs, "evaluating a shard", _start_worker
        ):
            if recorded is not None and index is not None:
                recorded.replay(index)
            yield from outcomes
    finally:
        _WORK = None


def _start_worker() -> None:
    assert _WORK is not None
    for shard_facts, _ in _WORK:
        shard_facts.in_worker()


def _evaluated_in_worker(task: Task) -> Batch:
    """Shards' outcomes, given their pass, their numbers and their records' memo keys (the main process has them)."""
    assert _WORK is not None
    p, numbers, memos = task
    shard_facts, evaluated = _WORK[p]
    shard_facts.learn_memo_keys(memos)
    return [_evaluated(shard_facts, evaluated[number]) for number in numbers], shard_facts.recorded()
