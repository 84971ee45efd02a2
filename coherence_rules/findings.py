"""The one value type every stage reports with, and its deterministic order."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

SEVERITIES = ("info", "warning", "error")


def format_path(yaml_path: tuple) -> str:
    """A YAML path as findings show it: `objectives.0.stance`."""
    return ".".join(str(part) for part in yaml_path)


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
    fingerprint: str = field(default="", compare=False)

    def __post_init__(self):
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", fingerprint(self))

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
        }


@dataclass(frozen=True)
class Suppressed:
    """A finding kept out of the results but still reported (SARIF `suppressions`)."""

    finding: Finding
    kind: str  # "inSource" (a `# coherence: ignore` comment) or "external" (a baseline)
    justification: str


def fingerprint(finding: Finding) -> str:
    """Stable identity of a finding: rule, records, YAML paths and message, not line numbers,
    so moving text does not change it (baselines and SARIF partialFingerprints use it)."""
    where: list[list[str | int]] = [[loc.path, loc.record or "", loc.yaml_path] for loc in finding.locations]
    if not any(loc.record for loc in finding.locations):
        # Errors outside any record (e.g. invalid YAML) have only their position to go by.
        where = [[loc.path, loc.line, loc.column] for loc in finding.locations]
    payload = json.dumps([finding.rule, where, finding.message], separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]


def finalise(findings) -> list[Finding]:
    """De-duplicate by fingerprint and sort: same corpus, same bytes, whatever the file order."""
    unique = {f.fingerprint: f for f in findings}
    return sorted(unique.values(), key=Finding.sort_key)
