"""Every rule's fixture cases, collected by one parametrized test (sqlfluff's yaml_test_cases)."""
import pytest

from coherence_rules.rulespec import builtin_rules_dir, load_rule_dirs
from coherence_rules.ruletest import run_case

RULES = load_rule_dirs([builtin_rules_dir()])
CASES = [pytest.param(rule, case, id=f"{rule.spec.id}:{case.name}") for rule in RULES for case in rule.spec.tests]


@pytest.mark.parametrize("rule, case", CASES)
def test_fixture_case(rule, case):
    result = run_case(rule, case)
    assert result.passed, result.explain()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.spec.id)
def test_rule_has_failing_and_passing_cases(rule):
    cases = rule.spec.tests
    assert any(case.expect for case in cases), f"{rule.spec.id} has no case that must produce findings"
    assert any(not case.expect for case in cases), f"{rule.spec.id} has no case that must produce none"
    for case in cases:
        assert all(e.rule == rule.spec.id for e in case.expect), f"{rule.spec.id} case {case.name} expects another rule"
