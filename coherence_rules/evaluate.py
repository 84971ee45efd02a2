"""Run the compiled rules shard by shard and turn the engine's matches into findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from .corpus_errors import corpus_error
from .engine import Pack, register, run_all
from .facts import Fact, shard_facts, shards
from .findings import Finding, Location
from .ir import At, CompiledRule, Match, ReportPlan
from .validate import Corpus


def _group_key(report: ReportPlan, match: Match) -> tuple:
    if not report.one_per:
        return tuple((b, match[b]["ri"], match[b]["yp"]) for b in sorted(match))
    return tuple(match[b][f] if f else (match[b]["ri"], match[b]["yp"]) for b, f in report.one_per)


def _complete(report: ReportPlan, group: list[Match]) -> bool:
    """`every`: the group holds as many distinct values of the field as its count says there are."""
    if report.every is None:
        return True
    binding, field, count = report.every
    values = {m[binding][field] for m in group if binding in m}
    return len(values) == group[0][binding][count]


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
    related_at = dict(report.related_at)
    groups: dict[tuple, list[tuple[int, Match]]] = {}
    for query, match in matches:
        groups.setdefault(_group_key(report, match), []).append((query, match))
    for pairs in groups.values():
        # The type name keeps an unstated "" and a number from being compared (a null quota did).
        pairs.sort(
            key=lambda pair: sorted(
                (b, sorted((k, type(v).__name__, v) for k, v in f.items())) for b, f in pair[1].items()
            )
        )
        group = [match for _, match in pairs]
        if not _complete(report, group):
            continue
        primary = _locate(corpus, group[0][report.primary], report.at)
        related: list[Location] = []
        for match in group:
            for binding in report.related:
                fact = match.get(binding)  # bound only in some alternatives of the rule
                if fact is None or fact["ri"] < 0:  # shared facts (obligations) have no record
                    continue
                location = _locate(corpus, fact, related_at.get(binding, At()))
                if location != primary and location not in related:
                    related.append(location)
        records = tuple(sorted({f["record"] for m in group for f in m.values() if f["ri"] >= 0}))
        doc = rule.doc
        yield Finding(
            rule=doc.id,
            name=doc.name,
            severity=doc.severity,
            message=rule.queries[pairs[0][0]].message.render(group),
            location=primary,
            related=tuple(sorted(related)),
            records=records,
            rationale=f"{doc.rationale} Sources: {'; '.join(doc.sources)}.",
        )


def evaluate(
    corpus: Corpus,
    rules: list[CompiledRule],
    as_of: dt.date,
    only_shards: set[str] | None = None,
    shared: Iterable[Fact] = (),
    progress: Callable[[str], None] = lambda message: None,
    jobs: int = 1,
    match_limit: int = 0,  # engine matches kept per rule and shard (0: all); the rule is E007 past it
) -> list[Finding]:
    if not rules:
        return []
    pack: Pack = register(rules)
    findings: list[Finding] = []
    evaluated = shards(corpus, only_shards)
    prepared_shared = [p for p in map(pack.prepare, shared) if p is not None]
    results = run_all(
        pack,
        (shard_facts(shard, corpus, as_of, pack.prepare, prepared_shared) for shard in evaluated),
        jobs if len(evaluated) > 1 else 1,
        match_limit,
    )
    for number, (shard, result) in enumerate(zip(evaluated, results, strict=False), 1):
        progress(f"rules: shard {number}/{len(evaluated)} ({shard.key})")
        by_rule: dict[str, list[tuple[int, Match]]] = {}
        for rule_id, query, match in result.matches:
            by_rule.setdefault(rule_id, []).append((query, match))
        for rule_id, matches in by_rule.items():
            findings.extend(_findings(pack.by_id[rule_id], matches, corpus))
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
