"""What a lint run gives back: the Report every formatter renders, and the documentation of each
rule that reported (RuleDoc). Formatters import this module and findings.py, never the pipeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from . import __version__
from .findings import Finding, Suppressed, severity_counts, severity_rank

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True)
class RuleDoc:
    """A rule as users read about it (`explain`, SARIF rule descriptors, reports)."""

    id: str
    name: str
    family: str
    severity: str
    summary: str
    condition: str
    rationale: str
    sources: tuple[str, ...] = ()
    bad: str = ""  # an anti-pattern, in record YAML
    good: str = ""  # the best practice
    always_on: bool = False  # corpus errors: no selection or suppression switches them off
    action: str = ""  # what a reviewer would ask the drafters to do
    frameworks: tuple[str, ...] = ()  # tags: gcm:22, migof:principle-2, mgi:2, picmd:1


@dataclass(frozen=True)
class RecordView:
    """A record as reports draw it (the HTML report's policy map and excerpts)."""

    id: str
    kind: str  # policy, agreement, institution, commitments
    title: str
    country: str  # whose record: a country code, or the regional or international body
    level: str  # international, regional, bilateral, national, subnational
    type: str  # the policy's or agreement's type ("" for institutions and commitments)
    status: str  # on the reference date ("" when it did not exist yet, or has no status)
    path: str
    line: int
    end_line: int  # the record's last line
    implements: tuple[str, ...] = ()  # ids of the records it implements, as found in the corpus


@dataclass
class Report:
    as_of: dt.date
    findings: list[Finding]
    files: int
    records: int
    rules: list[RuleDoc]  # the rules that ran
    suppressed: list[Suppressed] = field(default_factory=list)
    version: str = __version__
    # Only when the run is asked for them (Settings.record_views), for reports that show records:
    record_views: list[RecordView] = field(default_factory=list)  # every valid record, in corpus order
    texts: dict[str, str] = field(default_factory=dict)  # path -> text, for each file a finding points into

    def counts(self) -> dict[str, int]:
        return severity_counts(self.findings)

    def exit_code(self, fail_on: str) -> int:
        if fail_on == "never":
            return EXIT_OK
        worst = max((severity_rank(f.severity) for f in self.findings), default=-1)
        return EXIT_FINDINGS if worst >= severity_rank(fail_on) else EXIT_OK
