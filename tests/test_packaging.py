"""The wheel must carry every subpackage and the rule pack (pyproject lists packages explicitly); the
built sdist and wheel pass `twine check`, and the installed wheel lints like the checkout."""

import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from offline import REPO, offline, run

from coherence_rules import __version__

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_every_subpackage_and_the_rule_pack_are_packaged():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = set(config["packages"])
    on_disk = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "coherence_rules").rglob("__init__.py")}
    assert on_disk <= packages, f"add {sorted(on_disk - packages)} to [tool.setuptools] packages"
    assert config["package-dir"]["coherence_rules.rulepack"] == "rules"
    globs = config["package-data"]["coherence_rules.rulepack"]
    shipped = {p for g in globs for p in (REPO / "rules").glob(g)}
    assert shipped == set((REPO / "rules").rglob("*.yaml")), "some rule files would not ship in the wheel"


def files_under(directory: Path, prefix: str) -> set[str]:
    return {
        f"{prefix}/{p.relative_to(directory).as_posix()}"
        for p in directory.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.slow
def test_built_sdist_and_wheel_pass_twine_and_the_installed_wheel_lints_like_the_checkout(tmp_path_factory, tmp_path):
    installs = offline(tmp_path_factory)
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", dist, installs.source, env=installs.env)
    wheel, sdist = (
        dist / f"coherence_rules-{__version__}-py3-none-any.whl",
        dist / f"coherence_rules-{__version__}.tar.gz",
    )
    assert sorted(dist.iterdir()) == [wheel, sdist]
    assert "PASSED" in run(sys.executable, "-m", "twine", "check", "--strict", wheel, sdist).stdout

    # Every file of the package, and the rule pack as coherence_rules/rulepack (builtin_rules_dir()).
    package = files_under(REPO / "coherence_rules", "coherence_rules")
    rule_pack = files_under(REPO / "rules", "coherence_rules/rulepack")
    with zipfile.ZipFile(wheel) as archive:
        assert package | rule_pack <= set(archive.namelist())
    with tarfile.open(sdist) as archive:
        assert files_under(REPO / "rules", f"coherence_rules-{__version__}/rules") <= set(archive.getnames())

    bin_dir = installs.venv(tmp_path / "venv", wheel)
    rules_dir = run(
        bin_dir / "python",
        "-c",
        "from coherence_rules.settings import builtin_rules_dir as d; print(d())",
        cwd=tmp_path,
    )
    assert Path(rules_dir.stdout.strip()).is_relative_to(tmp_path / "venv")
    command = ["lint", "policies/", "--format", "json", "--no-cache", "--as-of", "2026-11-23"]
    installed = subprocess.run([bin_dir / "coherence", *command], cwd=REPO, capture_output=True, text=True)
    in_tree = subprocess.run(
        [sys.executable, "-m", "coherence_rules", *command], cwd=REPO, capture_output=True, text=True
    )
    assert installed.returncode == in_tree.returncode == 1, installed.stderr + in_tree.stderr
    assert json.loads(installed.stdout) == json.loads(in_tree.stdout)
