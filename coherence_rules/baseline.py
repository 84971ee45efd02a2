"""Baselines for adopting coherence on an existing corpus: the findings of today, keyed by their
fingerprint (stable when text moves), hidden from later runs; rewriting one prunes what no longer
occurs. Written atomically."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from pathlib import Path

from .errors import BaselineError
from .findings import Finding, Suppressed
from .report import Report

BASELINE_VERSION = 2  # 2: fingerprints over what a finding matched, not its wording
NOT_BASELINED = ("SUP001", "SUP002")  # about suppression comments: fix the comment instead


def _read_regular(path: Path) -> bytes:
    """The file's bytes; opened without blocking, so that a FIFO or a device is refused, not waited on."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise BaselineError(f"{path}: not a regular file")
        return handle.read()


def load_baseline(path: Path) -> set[str]:
    try:
        data = json.loads(_read_regular(path).decode("utf-8"))
        version = data["baseline"]
        fingerprints = {entry["fingerprint"] for entry in data["findings"]}
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file (write one with --write-baseline)") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise BaselineError(f"{path}: not a coherence baseline ({exc})") from None
    if version != BASELINE_VERSION:
        # Version 1 keyed findings by their wording, which coherence 0.2 rewrote: its keys match nothing.
        raise BaselineError(
            f"{path}: a version {version} baseline; this coherence reads version {BASELINE_VERSION} "
            f"(rewrite it from today's findings: coherence lint --write-baseline {path})"
        )
    return fingerprints


def baseline_text(findings: list[Finding]) -> str:
    """The baseline of these findings (only what occurs now, so stale entries are pruned)."""
    entries = sorted(
        (
            {"fingerprint": f.fingerprint, "rule": f.rule, "path": f.location.path, "message": f.message}
            for f in findings
            if f.rule not in NOT_BASELINED
        ),
        key=lambda e: (e["path"], e["rule"], e["fingerprint"]),
    )
    return json.dumps({"tool": "coherence", "baseline": BASELINE_VERSION, "findings": entries}, indent=2) + "\n"


def apply_baseline(findings: list[Finding], fingerprints: set[str]) -> tuple[list[Finding], list[Suppressed]]:
    """(findings not in the baseline, findings it hides)."""
    kept = [f for f in findings if f.rule in NOT_BASELINED or f.fingerprint not in fingerprints]
    hidden = [
        Suppressed(f, "external", "in the baseline")
        for f in findings
        if f.rule not in NOT_BASELINED and f.fingerprint in fingerprints
    ]
    return kept, hidden


def rebaseline(report: Report) -> tuple[str, Report]:
    """(a baseline of every finding the run made, baselined or not, and the report as it reads once
    that baseline is in place)."""
    findings = [*report.findings, *(s.finding for s in report.suppressed if s.kind == "external")]
    kept, hidden = apply_baseline(report.findings, {f.fingerprint for f in findings})
    others = [s for s in report.suppressed if s.kind != "external"]
    suppressed = sorted(
        [*others, *hidden, *(s for s in report.suppressed if s.kind == "external")], key=lambda s: s.finding.sort_key()
    )
    return baseline_text(findings), dataclasses.replace(report, findings=kept, suppressed=suppressed)
