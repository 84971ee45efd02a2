"""The wheel must carry every subpackage and the rule pack (pyproject lists packages explicitly)."""

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]


def test_every_subpackage_and_the_rule_pack_are_packaged():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = set(config["packages"])
    on_disk = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "coherence_rules").rglob("__init__.py")}
    assert on_disk <= packages, f"add {sorted(on_disk - packages)} to [tool.setuptools] packages"
    assert config["package-dir"]["coherence_rules.rulepack"] == "rules"
    globs = config["package-data"]["coherence_rules.rulepack"]
    shipped = {p for g in globs for p in (REPO / "rules").glob(g)}
    assert shipped == set((REPO / "rules").rglob("*.yaml")), "some rule files would not ship in the wheel"
