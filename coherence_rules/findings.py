"""The one value type every stage reports with, and its deterministic order."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

SEVERITIES = ("info", "warning", "error")


def format_path(yaml_path: tuple) -> str:
    """A YAML path as findings show it: `objectives.0.stance`."""
    return ".".join(str(part) for part in yaml_path)


def severity_counts(findings) -> dict[str, int]:
    """{error: n, warning: n, info: n}, in that order."""
    counts = dict.fromkeys(reversed(SEVERITIES), 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True, order=True)
class Location:
    path: str
    line: int = 1
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None
    record: str | None = None
    yaml_path: str = ""

    @property
    def last_line(self) -> int:
        """The last line the location covers: its end is exclusive (YAML's end mark), so an end at
        column 1 is the start of the line after it."""
        if self.end_line is None:
            return self.line
        return self.end_line - 1 if self.end_column == 1 and self.end_line > self.line else self.end_line

    def to_dict(self) -> dict:
        out = {"path": self.path, "line": self.line, "column": self.column}
        if self.end_line is not None:
            out["end_line"] = self.end_line
            out["end_column"] = self.end_column
        if self.record is not None:
            out["record"] = self.record
        if self.yaml_path:
            out["yaml_path"] = self.yaml_path
        return out


@dataclass(frozen=True)
class Finding:
    rule: str
    name: str
    severity: str
    message: str
    location: Location
    related: tuple[Location, ...] = ()
    records: tuple[str, ...] = ()
    rationale: str = ""
    sources: tuple[str, ...] = ()
    action: str = ""  # what a reviewer would ask the drafters to do
    frameworks: tuple[str, ...] = ()  # gcm:22, migof:principle-2 … (the rule's and its obligations')
    drafts: tuple[str, ...] = ()  # the records involved that are still drafts
    countries: tuple[str, ...] = ()  # whose records are involved (a country code, or a regional body)
    # What the finding is about, independent of wording and of which side is primary: the matched
    # records and YAML paths (rule findings); empty for corpus errors, which go by their locations.
    identity: str = field(default="", compare=False)
    fingerprint: str = field(default="", compare=False)

    def __post_init__(self):
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", fingerprint(self))

    @property
    def headline(self) -> str:
        """The message as every format shows it: with a note when it concerns a record still in draft."""
        if not self.drafts:
            return self.message
        return f"{self.message} [draft{'s' if len(self.drafts) > 1 else ''}: {', '.join(self.drafts)}]"

    @property
    def locations(self) -> tuple[Location, ...]:
        return (self.location, *self.related)

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.rule, self.message, self.fingerprint)

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "records": list(self.records),
            "location": self.location.to_dict(),
            "related": [loc.to_dict() for loc in self.related],
            "fingerprint": self.fingerprint,
            "sources": list(self.sources),
            "action": self.action,
            "frameworks": list(self.frameworks),
            "drafts": list(self.drafts),
            "countries": list(self.countries),
        }

    def anchored(self, paths: set[str]) -> Finding:
        """The finding pointing at the first of its locations in `paths` (the files under review),
        the others related: a pull-request annotation lands on the changed file."""
        if self.location.path in paths:
            return self
        moved = next((loc for loc in self.related if loc.path in paths), None)
        if moved is None:
            return self
        related = tuple(sorted(loc for loc in self.locations if loc != moved))
        return dataclasses.replace(self, location=moved, related=related)


@dataclass(frozen=True)
class Suppressed:
    """A finding kept out of the results but still reported (SARIF `suppressions`)."""

    finding: Finding
    kind: str  # "inSource" (a `# coherence: ignore` comment) or "external" (a baseline)
    justification: str


def fingerprint(finding: Finding) -> str:
    """Stable identity of a finding, so moving text, rewording a message or reviewing from the other
    side's file does not change it (baselines and SARIF partialFingerprints use it): the rule and
    what it matched; for a corpus error, its records and YAML paths (or, outside any record, its
    position) and its message."""
    if finding.identity:
        payload: list = [finding.rule, finding.identity]
    else:
        where = sorted([loc.path, loc.record or "", loc.yaml_path] for loc in finding.locations)
        if not any(loc.record for loc in finding.locations):
            # Errors outside any record (e.g. invalid YAML) have only their position to go by.
            where = sorted([loc.path, str(loc.line), str(loc.column)] for loc in finding.locations)
        payload = [finding.rule, where, finding.message]
    return hashlib.sha256(json.dumps(payload, separators=(",", ":")).encode("utf-8")).hexdigest()[:20]


def finalise(findings) -> list[Finding]:
    """De-duplicate by fingerprint and sort: same corpus, same bytes, whatever the file order."""
    unique = {f.fingerprint: f for f in findings}
    return sorted(unique.values(), key=Finding.sort_key)
