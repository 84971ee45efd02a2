"""What a record costs the engine, known before its facts are built: the facts it yields in every
shard it is evaluated in. A statement is one fact per group x area node it covers and per node pair
it spans (facts.py), and an agreement one admission fact per party, other party, group and
direction, so a small file can ask for millions of facts; a record over `max_facts_per_record` is
an E006 finding and is left out of the evaluation, and everything else still runs.

The bound follows facts.py's fan-out; a test checks it against the facts actually built."""

from __future__ import annotations

import dataclasses
import functools

from . import vocab
from .corpus_errors import corpus_error
from .findings import Finding
from .schema import Agreement, Commitments, Institution, Measure, Objective, Policy, Record
from .shards import membership as shard_membership
from .validate import Corpus, RecordEntry

_GROUP_NODES = len(vocab.GROUPS.nodes)
_AREA_NODES = len(vocab.AREAS.nodes)


@functools.cache
def _tree_size(tree: vocab.Vocabulary, node: str, reach: bool) -> int:
    return len(tree.reach(node) if reach else tree.below(node))


def _tree_sum(tree: vocab.Vocabulary, nodes: tuple[str, ...], reach: bool) -> int:
    return sum(_tree_size(tree, n, reach) for n in set(nodes))


# A corpus's statements name a few combinations of nodes, again and again; a server's runs may meet
# ever more of them (bounded).
@functools.lru_cache(maxsize=2**14)
def _node_pairs(groups: tuple[str, ...], areas: tuple[str, ...]) -> int:
    """Cover and span facts: one per group x area node pair below the named ones, and one per pair in their reach."""
    below = _tree_sum(vocab.GROUPS, groups, False) * _tree_sum(vocab.AREAS, areas, False)
    return below + _tree_sum(vocab.GROUPS, groups, True) * _tree_sum(vocab.AREAS, areas, True)


def _statement_bound(statement: Objective | Measure) -> int:
    """The statement, its indicators, and a cover and a span fact per group x area node pair."""
    groups = tuple(g if isinstance(g, str) else g.group for g in statement.groups)  # a qualified group's node
    indicators = statement.indicators if isinstance(statement, Objective) else ()
    return 1 + len(indicators) + _node_pairs(groups, tuple(statement.areas))


def fact_bound(model: Record) -> int:
    """At least as many facts as facts.record_facts builds for the record (in one shard)."""
    if isinstance(model, Policy):
        count = 2 + len(model.implements) + len(model.instruments)  # policy, lifecycle
        statements: list[Objective | Measure] = [*model.objectives, *model.measures]
        return count + sum(_statement_bound(s) for s in statements)
    if isinstance(model, Agreement):
        parties = len(set(model.parties))
        codes = len(model.occupations.codes) if model.occupations else 0
        recognised = len(model.skills_recognition.occupations) if model.skills_recognition else 0
        coverage = 2 + len(model.social_security.branches) if model.social_security else 0
        admissions = parties * (parties - 1) * 2 * (2 * _GROUP_NODES + 1)  # admitted + spanned nodes, 2 directions
        objectives = sum(_statement_bound(o) for o in model.objectives)
        return 2 + parties + coverage + admissions + codes + recognised + objectives
    if isinstance(model, Institution):
        return 2 + _AREA_NODES
    if isinstance(model, Commitments):
        return 2 + len(model.ratified) * (2 + _AREA_NODES)
    raise TypeError(type(model).__name__)


def record_bound(entry: RecordEntry) -> int:
    """fact_bound of a record's model (a function of the record alone: a summary's, summaries.py)."""
    return entry.document.remembered("fact_bound", lambda: fact_bound(entry.model))


def within_fact_budget(corpus: Corpus, limit: int, evaluated: set[int] | None = None) -> tuple[Corpus, list[Finding]]:
    """The corpus without the records that would yield more than `limit` facts over their shards,
    and an E006 finding for each of those; with `evaluated`, only those records (by index) are
    judged: the others are in no shard the run evaluates, so they cost nothing."""
    membership = shard_membership(corpus)
    kept, findings = [], []
    for entry in corpus.records:
        if evaluated is not None and entry.index not in evaluated:
            kept.append(entry)
            continue
        shards = max(1, len(membership[entry.index]))
        facts = record_bound(entry) * shards
        if facts <= limit:
            kept.append(entry)
            continue
        findings.append(
            corpus_error(
                "E006",
                f"{entry.id} would yield up to {facts} engine facts (its statements' groups x areas, its parties, "
                f"in {shards} shard{'s' if shards > 1 else ''}), over the limit of {limit}: it is not evaluated",
                entry.location(),
                records=(entry.id,),
            )
        )
    if not findings:
        return corpus, []
    records = [dataclasses.replace(entry, index=i) for i, entry in enumerate(kept)]
    return Corpus(corpus.files, records, {r.id: r for r in records}, corpus.findings), findings
