"""Run the compiled rules shard by shard and turn the engine's matches into findings."""
from __future__ import annotations

import datetime as dt
import re
from typing import Callable, Iterable

from . import vocab
from .compiler import CompiledRule, Match
from .corpus_errors import corpus_error
from .engine import Pack, register, run_all
from .facts import shard_facts, shards
from .findings import Finding, Location
from .rulespec import TEMPLATE_FIELD
from .validate import Corpus


def _yaml_path(*parts: str) -> tuple:
    path: list = []
    for part in parts:
        for piece in part.split(".") if part else ():
            path.append(int(piece) if piece.isdigit() else piece)
    return tuple(path)


def _split(value: str) -> list[str]:
    return [v for v in str(value).split(",") if v]


def _render(template: str, matches: list[Match]) -> str:
    first = matches[0]
    # Where each match's statements meet: the deepest of their nodes (all on one chain of the
    # tree, whether two covers met on a common node or an own node met another's span).
    met = {"g": set(), "area": set()}
    for match in matches:
        statements = [fact for fact in match.values() if "g_own" in fact]
        for key, tree in (("g", vocab.GROUPS), ("area", vocab.AREAS)):
            nodes = {fact[key] for fact in statements} | {fact[f"{key}_own"] for fact in statements}
            if nodes:
                met[key].add(max(nodes, key=tree.depth))

    def corridor() -> str:
        ends = []
        for end in ("origin", "destination"):
            specific = sorted({f[end] for f in first.values() if f.get(end, "any") != "any"})
            ends.append("/".join(specific) or "any")
        return "" if ends == ["any", "any"] else f" on the {ends[0]}→{ends[1]} corridor"

    def value(expression: str) -> str:
        expression = expression.strip()
        if expression == "groups":
            return ", ".join(vocab.GROUPS.roots_of(met["g"]))
        if expression == "areas":
            return ", ".join(vocab.AREAS.roots_of(met["area"]))
        if expression == "corridor":
            return corridor()
        if expression.startswith("only("):
            left, right = (part.strip().split(".") for part in expression[5:-1].split(","))
            only = sorted(set(_split(first[left[0]][left[1]])) - set(_split(first[right[0]][right[1]])))
            return ", ".join(only) or "none"
        binding, field = expression.split(".")
        shown = first[binding][field]
        if isinstance(shown, bool):
            return "yes" if shown else "no"
        # Lists are comma-joined in facts: space them out (free text keeps its own commas).
        return re.sub(r",(?=\S)", ", ", str(shown)) if shown != "" else "unspecified"

    return TEMPLATE_FIELD.sub(lambda m: value(m.group(1)), template)


def _group_key(report, match: Match) -> tuple:
    if not report.group_by:
        return tuple((b, match[b]["ri"], match[b]["yp"]) for b in sorted(match))
    key = []
    for item in report.group_by:
        binding, _, field = item.partition(".")
        fact = match[binding]
        key.append(fact[field] if field else (fact["ri"], fact["yp"]))
    return tuple(key)


def _complete(report, group: list[Match]) -> bool:
    """`all_of`: the group holds as many distinct `each` values as `count` says exist."""
    if report.all_of is None:
        return True
    each_binding, each_field = report.all_of.each.split(".")
    count_binding, count_field = report.all_of.count.split(".")
    values = {m[each_binding][each_field] for m in group if each_binding in m}
    return len(values) == group[0][count_binding][count_field]


def _findings(rule: CompiledRule, matches: list[tuple[str, Match]], corpus: Corpus) -> Iterable[Finding]:
    """One finding per distinct set of matched statements/records (or per `group_by` key);
    matches that differ only in the tree node they met on collapse into one naming where the
    statements meet."""
    spec = rule.rule.spec
    report = spec.report
    groups: dict[tuple, list[tuple[str, Match]]] = {}
    for template, match in matches:
        groups.setdefault(_group_key(report, match), []).append((template, match))
    for pairs in groups.values():
        pairs.sort(key=lambda pair: sorted((b, sorted(f.items())) for b, f in pair[1].items()))
        template, group = pairs[0][0], [match for _, match in pairs]
        if not _complete(report, group):
            continue
        first = group[0]

        def locate(fact: dict, at: str) -> Location:
            if at.startswith("$"):
                return corpus.records[fact["ri"]].location(_yaml_path(fact[at[1:]]))
            return corpus.records[fact["ri"]].location(_yaml_path(fact["yp"], at))

        primary = locate(first[report.primary], report.at)
        related: list[Location] = []
        for match in group:
            for binding in report.related:
                fact = match.get(binding)  # bound only in some alternatives of the rule
                if fact is None or fact["ri"] < 0:  # shared facts (obligations) have no record
                    continue
                location = locate(fact, report.related_at.get(binding, ""))
                if location != primary and location not in related:
                    related.append(location)
        records = tuple(sorted({f["rid"] for m in group for f in m.values() if f["ri"] >= 0}))
        yield Finding(rule=spec.id, name=spec.name, severity=spec.severity, message=_render(template, group),
                      location=primary, related=tuple(sorted(related)), records=records,
                      rationale=f"{spec.rationale.strip()} Sources: {'; '.join(spec.sources)}.")


def evaluate(corpus: Corpus, rules: list[CompiledRule], as_of: dt.date,
             only_shards: set[str] | None = None, shared: list[dict] = (),
             progress: Callable[[str], None] = lambda message: None, jobs: int = 1) -> list[Finding]:
    if not rules:
        return []
    pack: Pack = register(rules)
    findings: list[Finding] = []
    evaluated = shards(corpus, only_shards)
    prepared_shared = [p for p in map(pack.prepare, shared) if p is not None]
    results = run_all(pack, (shard_facts(shard, corpus, as_of, pack.prepare, prepared_shared) for shard in evaluated),
                      jobs if len(evaluated) > 1 else 1)
    for number, (shard, result) in enumerate(zip(evaluated, results), 1):
        progress(f"rules: shard {number}/{len(evaluated)} ({shard.key})")
        by_rule: dict[str, list[tuple[str, Match]]] = {}
        for rule_id, template, match in result.matches:
            by_rule.setdefault(rule_id, []).append((template, match))
        for rule_id, matches in by_rule.items():
            findings.extend(_findings(pack.by_id[rule_id], matches, corpus))
        for rule_id, message in result.errors:
            anchor = shard.records[0].location()
            findings.append(corpus_error(
                "E007", f"rule {rule_id or '?'} failed in shard {shard.key}: {message}",
                Location(anchor.path, anchor.line, anchor.column)))
    return findings
