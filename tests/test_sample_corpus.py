"""The sample corpus policies/: a true finding of every rule; nothing on the fictional coherent part,
and on the real part exactly the findings pinned in test_real_sample.py."""

import collections
import datetime as dt
from pathlib import Path

from test_real_sample import EXPECTED, REAL, real_findings

from coherence_rules import Settings, lint
from coherence_rules.rulespec import load_rule_dirs
from coherence_rules.settings import builtin_rules_dir

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 23)
COHERENT = ("xad", "xae")  # fictional best practice: no finding at all


def sample(*targets):
    return lint(Settings(cwd=REPO, as_of=AS_OF, targets=[REPO / t for t in targets]))


def test_every_rule_has_a_true_finding_and_the_coherent_part_has_none():
    report = sample()
    assert {f.rule for f in report.findings} == {r.spec.id for r in load_rule_dirs([builtin_rules_dir()])}
    touched = {loc.path.split("/")[1] for f in report.findings for loc in f.locations}
    assert not touched & set(COHERENT), sorted(touched & set(COHERENT))
    assert collections.Counter(real_findings(report)) == collections.Counter(EXPECTED[AS_OF])
    assert report.exit_code("warning") == 1


def test_real_folders_are_not_fictional():
    assert not set(REAL) & set(COHERENT)
    assert all(not folder.startswith("x") for folder in REAL)


def test_linting_one_file_reports_only_findings_touching_it():
    target = "policies/xaa/agreement-xaa-xab-labour-mou-2025.yaml"
    report = sample(target)
    assert report.findings and all(any(loc.path == target for loc in f.locations) for f in report.findings)
    assert {f.rule for f in report.findings} >= {"BA002", "BA003", "BA004", "BA005", "BA007", "BA008"}
