"""Run the compiled rules shard by shard and turn the engine's matches into findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from .corpus_errors import corpus_error
from .engine import Pack, register, run_all
from .facts import Context, Fact, context, record_facts, route_facts
from .findings import Finding, Location
from .ir import At, CompiledRule, Match, ReportPlan
from .shards import Shard, pair_shards, shards
from .validate import Corpus


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


def _findings(rule: CompiledRule, matches: list[tuple[int, Match]], corpus: Corpus) -> Iterable[Finding]:
    """One finding per distinct set of matched facts (or per `one_per` key); matches that differ
    only in the tree node they met on collapse into one naming where the statements meet."""
    report = rule.report
    groups: dict[tuple, list[tuple[int, Match]]] = {}
    for query, match in matches:
        groups.setdefault(_group_key(report, match), []).append((query, match))
    for pairs in groups.values():
        pairs.sort(key=lambda pair: sorted((b, sorted(f.items())) for b, f in pair[1].items()))
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
        records = tuple(sorted({f["record"] for m in group for f in m.values() if f["ri"] >= 0}))
        doc = rule.doc
        yield Finding(
            rule=doc.id,
            name=doc.name,
            severity=doc.severity,
            message=rule.queries[first_query].message.render(group),
            location=primary,
            related=tuple(sorted(related)),
            records=records,
            rationale=f"{doc.rationale} Sources: {'; '.join(doc.sources)}.",
        )


def _shard_facts(shard: Shard, ctx: Context, pack: Pack, shared: list[Fact]) -> list[Fact]:
    """A shard's facts, built when the shard is run so that only one shard's facts are alive at a
    time; facts no rule can use are dropped, the rest trimmed to what rules read."""
    facts = [p for entry in shard.records for p in map(pack.prepare, record_facts(entry, ctx)) if p is not None]
    return facts + [p for p in map(pack.prepare, route_facts(shard)) if p is not None] + shared


def evaluate(
    corpus: Corpus,
    rules: list[CompiledRule],
    as_of: dt.date,
    only_shards: set[str] | None = None,
    shared: Iterable[Fact] = (),
    progress: Callable[[str], None] = lambda message: None,
    jobs: int = 1,
) -> list[Finding]:
    """Country rules in country shards, pair rules in pair shards (shards.py)."""
    ctx = context(corpus, as_of)
    findings: list[Finding] = []
    for scope, make in (("country", shards), ("pair", pair_shards)):
        scoped = [r for r in rules if r.scope == scope]
        if scoped:
            findings += _run(ctx, scoped, make(corpus, only_shards), list(shared), progress, jobs)
    return findings


def _run(
    ctx: Context,
    rules: list[CompiledRule],
    evaluated: list[Shard],
    shared: list[Fact],
    progress: Callable[[str], None],
    jobs: int,
) -> list[Finding]:
    pack: Pack = register(rules)
    prepared_shared = [p for p in map(pack.prepare, shared) if p is not None]
    results = run_all(
        pack,
        (_shard_facts(shard, ctx, pack, prepared_shared) for shard in evaluated),
        jobs if len(evaluated) > 1 else 1,
    )
    findings: list[Finding] = []
    for number, (shard, result) in enumerate(zip(evaluated, results, strict=False), 1):
        progress(f"rules: shard {number}/{len(evaluated)} ({shard.key})")
        by_rule: dict[str, list[tuple[int, Match]]] = {}
        for rule_id, query, match in result.matches:
            by_rule.setdefault(rule_id, []).append((query, match))
        for rule_id, matches in by_rule.items():
            findings.extend(_findings(pack.by_id[rule_id], matches, ctx.corpus))
        for rule_id, message in result.errors:
            anchor = shard.records[0].location()
            findings.append(
                corpus_error(
                    "E007",
                    f"rule {rule_id or '?'} failed in shard {shard.key}: {message}",
                    Location(anchor.path, anchor.line, anchor.column),
                )
            )
    return findings
