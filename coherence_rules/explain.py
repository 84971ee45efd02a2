"""Rule documentation for `coherence rules` and `coherence explain`: E rules and rule-pack rules alike."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

from . import frameworks
from .corpus_errors import BUILTIN_RULES
from .report import RuleDoc
from .rulespec import load_rule_dirs
from .settings import builtin_rules_dir

SUPPRESS = """\
How to suppress:
  - for one finding, in the YAML file, on the line it points at or the line above:
        # coherence: ignore[{id}] -- reason
  - for a whole file:   # coherence: ignore-file[{id}] -- reason
  - for a run:          coherence lint --ignore {id}   (or `ignore` in the configuration)"""


def rule_docs(rule_dirs: Sequence[Path] = ()) -> list[RuleDoc]:
    """Every rule: the E and SUP rules first (always known), then the rule packs by id."""
    return [*BUILTIN_RULES.values(), *(r.spec.doc() for r in load_rule_dirs([builtin_rules_dir(), *rule_dirs]))]


def catalogue(rule_dirs: Sequence[Path] = ()) -> list[dict]:
    return [
        {
            "id": d.id,
            "name": d.name,
            "severity": d.severity,
            "family": d.family,
            "summary": d.summary,
            "action": d.action,
            "frameworks": list(d.frameworks),
        }
        for d in rule_docs(rule_dirs)
    ]


def by_framework(framework: str, rule_dirs: Sequence[Path] = ()) -> list[dict]:
    """Each tag of the framework (in its order) with the rules tagged with it; tags no rule carries
    are listed too, with no rules, so that a gap in coverage shows."""
    docs = rule_docs(rule_dirs)
    tags = sorted((t for t in frameworks.entries() if t.startswith(f"{framework}:")), key=frameworks.order)
    return [
        {
            "tag": tag,
            "title": frameworks.entries()[tag].title,
            "source": frameworks.entries()[tag].source,
            "rules": [{"id": d.id, "name": d.name, "summary": d.summary} for d in docs if tag in d.frameworks],
        }
        for tag in tags
    ]


def frameworks_markdown(rule_dirs: Sequence[Path] = ()) -> str:
    """The framework vocabularies as docs/frameworks.md shows them: every tag with its title, its
    source and the built-in rules tagged with it (a test keeps the page equal to this)."""
    out = []
    for framework, title in frameworks.FRAMEWORKS.items():
        out += [f"## {title} (`{framework}`)", "", f"Source: {frameworks.sources()[framework]}", ""]
        out += ["| tag | title | source | rules |", "|---|---|---|---|"]
        for entry in by_framework(framework, rule_dirs):
            flag = "" if frameworks.entries()[entry["tag"]].verified else " (title not checked against a stored copy)"
            rules = ", ".join(r["id"] for r in entry["rules"]) or "none yet"
            out.append(f"| `{entry['tag']}` | {entry['title']}{flag} | {entry['source']} | {rules} |")
        out.append("")
    return "\n".join(out)


def framework_table(tags: list[dict]) -> str:
    lines = []
    for entry in tags:
        lines.append(f"{entry['tag']}  {entry['title']}")
        lines += [f"    {r['id']}  {r['name']}: {r['summary']}" for r in entry["rules"]] or ["    (no rule)"]
    return "\n".join(lines) + "\n"


def table(rows: list[dict]) -> str:
    widths = {key: max(len(key), *(len(str(r[key])) for r in rows)) for key in ("id", "name", "severity", "family")}
    header = "  ".join(key.upper().ljust(widths[key]) for key in widths) + "  SUMMARY"
    lines = [header] + ["  ".join(str(r[key]).ljust(widths[key]) for key in widths) + "  " + r["summary"] for r in rows]
    return "\n".join(lines) + "\n"


def find(key: str, rule_dirs: Sequence[Path] = ()) -> RuleDoc | None:
    """A rule by id (any case) or name."""
    return next((d for d in rule_docs(rule_dirs) if key.upper() == d.id or key == d.name), None)


def _fill(text: str) -> str:
    return textwrap.fill(text, 96, initial_indent="  ", subsequent_indent="  ")


def explain(doc: RuleDoc) -> str:
    head = f"{doc.id} {doc.name} ({doc.severity}, {'always on' if doc.always_on else f'family {doc.family}'})"
    parts = [head, doc.summary]
    if doc.condition != doc.summary:
        parts.append(f"Condition:\n{_fill(doc.condition)}")
    parts.append(f"Why it matters:\n{_fill(doc.rationale)}")
    if doc.action:
        parts.append(f"What to do:\n{_fill(doc.action)}")
    if doc.frameworks:
        entries = frameworks.entries()
        parts.append("Frameworks:\n" + "\n".join(f"  - {t}: {entries[t].title}" for t in doc.frameworks))
    if doc.sources:
        parts.append("Sources:\n" + "\n".join(f"  - {s}" for s in doc.sources))
    if doc.bad:
        parts += [
            f"Anti-pattern:\n{textwrap.indent(doc.bad.rstrip(), '    ')}",
            f"Best practice:\n{textwrap.indent(doc.good.rstrip(), '    ')}",
        ]
    if doc.always_on:
        parts.append("Corpus errors cannot be switched off or suppressed: fix the file.")
    elif doc.family == "SUP":
        parts.append("Fix or remove the suppression comment.")
    else:
        parts.append(SUPPRESS.format(id=doc.id))
    return "\n\n".join(parts) + "\n"
