"""Rule documentation for `coherence rules` and `coherence explain`: E rules and rule-pack rules alike."""
from __future__ import annotations

import textwrap
from pathlib import Path

from .corpus_errors import BUILTIN_RULES, CORPUS_ERRORS
from .rulespec import LoadedRule, builtin_rules_dir, load_rule_dirs

SUPPRESS = """\
How to suppress:
  - for one finding, in the YAML file, on the line it points at or the line above:
        # coherence: ignore[{id}] -- reason
  - for a whole file:   # coherence: ignore-file[{id}] -- reason
  - for a run:          coherence lint --ignore {id}   (or `ignore` in the configuration)"""


def catalogue(rule_dirs: list[Path] = ()) -> list[dict]:
    """One row per rule: the E rules first (always on), then the rule packs by id."""
    rows = [{"id": e.id, "name": e.name, "severity": e.severity, "family": e.id[:-3], "summary": e.summary}
            for e in BUILTIN_RULES.values()]
    for rule in load_rule_dirs([builtin_rules_dir(), *rule_dirs]):
        spec = rule.spec
        rows.append({"id": spec.id, "name": spec.name, "severity": spec.severity, "family": spec.family,
                     "summary": spec.summary})
    return rows


def table(rows: list[dict]) -> str:
    widths = {key: max(len(key), *(len(str(r[key])) for r in rows)) for key in ("id", "name", "severity", "family")}
    header = "  ".join(key.upper().ljust(widths[key]) for key in widths) + "  SUMMARY"
    lines = [header] + ["  ".join(str(r[key]).ljust(widths[key]) for key in widths) + "  " + r["summary"]
                        for r in rows]
    return "\n".join(lines) + "\n"


def find(key: str, rule_dirs: list[Path] = ()) -> LoadedRule | str | None:
    """A rule by id or name: a LoadedRule, an E rule id, or None."""
    for error in BUILTIN_RULES.values():
        if key in (error.id, error.name):
            return error.id
    for rule in load_rule_dirs([builtin_rules_dir(), *rule_dirs]):
        if key.upper() == rule.spec.id or key == rule.spec.name:
            return rule
    return None


def explain(found: LoadedRule | str) -> str:
    if isinstance(found, str):
        e = BUILTIN_RULES[found]
        always = found in CORPUS_ERRORS
        return (f"{e.id} {e.name} ({e.severity}{', always on' if always else ''})\n\n{e.summary}\n\n"
                f"Why it matters:\n{textwrap.fill(e.rationale, 96, initial_indent='  ', subsequent_indent='  ')}\n\n"
                + ("Corpus errors cannot be switched off or suppressed: fix the file.\n" if always else
                   "Fix or remove the suppression comment.\n"))
    spec = found.spec
    rationale = textwrap.fill(" ".join(spec.rationale.split()), 96, initial_indent="  ", subsequent_indent="  ")
    sources = "\n".join(f"  - {s}" for s in spec.sources)
    bad = textwrap.indent(spec.examples.bad.rstrip(), "    ")
    good = textwrap.indent(spec.examples.good.rstrip(), "    ")
    return (f"{spec.id} {spec.name} ({spec.severity}, family {spec.family})\n\n{spec.summary}\n\n"
            f"Why it matters:\n{rationale}\n\nSources:\n{sources}\n\n"
            f"Anti-pattern:\n{bad}\n\nBest practice:\n{good}\n\n{SUPPRESS.format(id=spec.id)}\n")
