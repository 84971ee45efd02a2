"""Suppress stage: configuration (severity overrides, per-path ignores), inline `# coherence:`
comments and baselines decide which findings are reported, and report the suppressions that are
unused or invalid as findings of their own (like ruff's RUF100)."""
from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .corpus_errors import BUILTIN_RULES, CORPUS_ERRORS, corpus_error
from .findings import Finding, Location, Suppressed
from .load import LoadedFile
from .rulespec import LoadedRule

DIRECTIVE = re.compile(
    r"(?:^|\s)#\s*coherence:\s*(?P<kind>ignore-file|ignore)\s*\[(?P<rules>[^\]]*)\]\s*(?:--\s*(?P<reason>.*\S))?")
BASELINE_VERSION = 1


class BaselineError(Exception):
    pass


@dataclass
class Directive:
    path: str
    line: int
    column: int
    kind: str              # "ignore" (this line or the next) or "ignore-file"
    rules: tuple[str, ...]
    reason: str
    used: bool = False

    @property
    def location(self) -> Location:
        return Location(self.path, self.line, self.column)


def rule_matches(token: str, rule_id: str, name: str, family: str) -> bool:
    """A rule token names a rule by id, name, family, or id prefix (`BA`, `SS00`)."""
    return token in (rule_id, name, family) or (token.isalnum() and rule_id.startswith(token.upper()))


def directives(files: list[LoadedFile]) -> list[Directive]:
    found = []
    for loaded in files:
        if "coherence:" not in loaded.text:
            continue
        for number, line in enumerate(loaded.text.splitlines(), 1):
            match = DIRECTIVE.search(line)
            if match:
                rules = tuple(r.strip() for r in match["rules"].split(",") if r.strip())
                found.append(Directive(loaded.path, number, match.start("kind") + 1, match["kind"], rules,
                                       match["reason"] or ""))
    return found


def _anchor(path: str, cwd: Path, root: Path) -> str:
    """A finding's path relative to the configuration's directory, for per-path globs."""
    absolute = Path(os.path.abspath(cwd / path))
    try:
        return absolute.relative_to(root.resolve()).as_posix()
    except ValueError:
        return path


def load_baseline(path: Path) -> set[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {entry["fingerprint"] for entry in data["findings"]}
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file (write one with --write-baseline)") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise BaselineError(f"{path}: not a coherence baseline ({exc})") from None


def baseline_text(findings: list[Finding]) -> str:
    """Keyed by fingerprint (stable when text moves); only what occurs now, so stale entries are pruned."""
    entries = sorted(({"fingerprint": f.fingerprint, "rule": f.rule, "path": f.location.path,
                       "message": f.message} for f in findings), key=lambda e: (e["path"], e["rule"], e["fingerprint"]))
    return json.dumps({"tool": "coherence", "baseline": BASELINE_VERSION, "findings": entries}, indent=2) + "\n"


def apply(findings: list[Finding], files: list[LoadedFile], selected: list[LoadedRule], known: list[LoadedRule], *,
          severity: dict[str, str], per_path_ignores: dict[str, list[str]], baseline: set[str], cwd: Path,
          root: Path, reported_paths: set[str] | None) -> tuple[list[Finding], list[Suppressed]]:
    """(findings to report, suppressed findings); `selected` are the rules that ran, `known` all of them."""
    meta = {r.spec.id: (r.spec.name, r.spec.family) for r in known}
    meta.update({e.id: (e.name, e.id[:-3]) for e in BUILTIN_RULES.values()})
    ran = {r.spec.id for r in selected} | set(BUILTIN_RULES)

    def named(token: str, finding: Finding) -> bool:
        name, family = meta.get(finding.rule, (finding.name, ""))
        return rule_matches(token, finding.rule, name, family)

    kept: list[Finding] = []
    for finding in findings:
        if finding.rule in CORPUS_ERRORS:  # corpus errors are always on: fix the file instead
            kept.append(finding)
            continue
        level = next((v for k, v in severity.items() if named(k, finding)), None)
        if level == "off":
            continue
        if level:
            finding = dataclasses.replace(finding, severity=level)
        anchored = _anchor(finding.location.path, cwd, root)
        if any(fnmatch.fnmatch(anchored, glob) and any(named(t, finding) for t in tokens)
               for glob, tokens in per_path_ignores.items()):
            continue
        kept.append(finding)

    found = [d for d in directives(files) if reported_paths is None or d.path in reported_paths]
    reported: list[Finding] = []
    valid: list[Directive] = []
    for d in found:
        unknown = [t for t in d.rules if not any(rule_matches(t, i, *meta[i]) for i in meta)]
        errors = [t for t in d.rules if any(rule_matches(t, e, *meta[e]) for e in CORPUS_ERRORS)]
        if not d.rules or not d.reason or unknown or errors:
            why = ("names no rule" if not d.rules else "gives no reason (add `-- why`)" if not d.reason
                   else f"names unknown rule(s) {', '.join(unknown)}" if unknown
                   else "cannot suppress corpus errors (E rules): fix the file")
            reported.append(corpus_error("SUP002", f"invalid suppression: {why}", d.location))
        else:
            valid.append(d)

    suppressed: list[Suppressed] = []
    result: list[Finding] = []
    for finding in kept:
        directive = None if finding.rule in CORPUS_ERRORS else next(
            (d for d in valid if d.path == finding.location.path
             and (d.kind == "ignore-file" or d.line in (finding.location.line, finding.location.line - 1))
             and any(named(t, finding) for t in d.rules)), None)
        if directive is not None:
            directive.used = True
            suppressed.append(Suppressed(finding, "inSource", directive.reason))
        elif finding.fingerprint in baseline:
            suppressed.append(Suppressed(finding, "external", "in the baseline"))
        else:
            result.append(finding)
    for d in valid:
        # Only judge a suppression whose rules all ran: `--select HC` must not call a BA suppression unused.
        if not d.used and all(any(rule_matches(t, i, *meta[i]) for i in ran) for t in d.rules):
            reported.append(corpus_error("SUP001", f"unused suppression: no {', '.join(d.rules)} finding here", d.location))
    return result + reported, suppressed
