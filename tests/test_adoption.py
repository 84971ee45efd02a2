"""Adopting coherence in a policy repository: config, inline suppressions, baselines, init, progress."""

import datetime as dt
import json
import os
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LAW as LAW_IN_FORCE
from conftest import STRATEGY, index_rows

from coherence_rules import Settings, cli, identity, lint, scaffold
from coherence_rules.config import Config, load_config

# The law's period has ended: a stale status (LC001) beside the HC001 conflict.
LAW = LAW_IN_FORCE.replace("status: in_force\n", "status: in_force\nperiod: {from: 2020-01-01, to: 2025-12-31}\n")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "strategy.yaml").write_text(STRATEGY)
    (tmp_path / "policies" / "law.yaml").write_text(LAW)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint_json(*args):
    result = CliRunner().invoke(cli.main, ["lint", "--format", "json", "--as-of", "2026-11-23", *map(str, args)])
    document = json.loads(result.output) if result.exit_code in (0, 1) else None
    return result.exit_code, document, result.output


def rules_of(document):
    return [f["rule"] for f in document["findings"]]


def write_config(root: Path, text: str, name=".coherence.yaml"):
    (root / name).write_text(textwrap.dedent(text))


# --- configuration ----------------------------------------------------------------------


def test_config_is_found_upward_and_applies_select_severity_and_fail_on(repo, monkeypatch):
    write_config(
        repo,
        """\
        select: [HC, LC]
        severity: {HC001: warning, stale-status: "off"}
        fail_on: error
        """,
    )
    (repo / "policies" / "sub").mkdir()
    monkeypatch.chdir(repo / "policies" / "sub")
    code, document, _ = lint_json()
    assert code == 0  # the HC001 error was lowered to a warning, below fail_on: error
    assert [(f["rule"], f["severity"]) for f in document["findings"]] == [("HC001", "warning")]
    assert document["findings"][0]["location"]["path"] == "../strategy.yaml"


def test_pyproject_tool_coherence_and_per_path_ignores(repo):
    write_config(
        repo,
        """\
        [project]
        name = "policies"

        [tool.coherence]
        select = ["HC", "LC"]
        per_path_ignores = {"policies/law.yaml" = ["LC001"]}
        """,
        "pyproject.toml",
    )
    code, document, _ = lint_json()
    assert rules_of(document) == ["HC001"] and code == 1


def test_unknown_config_key_is_an_error_with_file_and_line(repo):
    write_config(
        repo,
        """\
        select: [HC]
        fial_on: error
        """,
    )
    code, _, output = lint_json()
    assert code == 2
    assert (
        output.strip()
        == f"coherence: error: {repo / '.coherence.yaml'}:2:1: unknown field 'fial_on' (did you mean 'fail_on'?)"
    )


def test_unknown_pyproject_key_points_at_its_line(repo):
    write_config(repo, '[tool.coherence]\nselect = ["HC"]\nsevirity = {}\n', "pyproject.toml")
    code, _, output = lint_json()
    assert code == 2 and f"{repo / 'pyproject.toml'}:3: unknown field 'sevirity' (did you mean 'severity'?)" in output


def test_bad_config_value_and_explicit_config(repo):
    write_config(repo, "fail_on: sometimes\n")
    code, _, output = lint_json()
    assert (
        code == 2 and ".coherence.yaml:1:1: fail_on: 'sometimes' is not one of: error, warning, info, never" in output
    )
    other = repo / "ci.yaml"
    other.write_text("select: [LC]\ncorpus: [policies]\n")
    code, document, _ = lint_json("--config", other)
    assert rules_of(document) == ["LC001"]


def test_command_line_wins_over_config(repo):
    write_config(repo, "select: [LC]\nfail_on: never\n")
    code, document, _ = lint_json("--select", "HC", "--fail-on", "error")
    assert rules_of(document) == ["HC001"] and code == 1


def test_config_rule_dirs_and_corpus_are_relative_to_the_config(repo, monkeypatch):
    (repo / "elsewhere").mkdir()
    (repo / "elsewhere" / "x.yaml").write_text(STRATEGY.replace("XAA-STRATEGY", "XAA-OTHER"))
    write_config(repo, "corpus: [elsewhere]\nselect: [HC]\n")
    monkeypatch.chdir(repo / "policies")
    code, document, _ = lint_json()
    assert document["summary"]["records"] == 1 and code == 0


# --- inline suppressions -----------------------------------------------------------------


def test_inline_suppression_on_the_line_or_the_line_above(repo):
    (repo / "policies" / "strategy.yaml").write_text(
        STRATEGY.replace(
            "objectives:\n", "objectives:\n  # coherence: ignore[HC001] -- the 2027 review will align the two\n"
        )
    )
    code, document, _ = lint_json("--select", "HC")
    assert rules_of(document) == [] and code == 0
    (repo / "policies" / "strategy.yaml").write_text(
        STRATEGY.replace(
            "areas: [entry]}", "areas: [entry]}  # coherence: ignore[opposing-objectives] -- agreed by cabinet"
        )
    )
    assert rules_of(lint_json("--select", "HC")[1]) == []


def test_suppressed_findings_stay_visible_in_sarif(repo):
    (repo / "policies" / "strategy.yaml").write_text(
        "# coherence: ignore-file[HC] -- transitional, see memo 12\n" + STRATEGY
    )
    result = CliRunner().invoke(cli.main, ["lint", "--format", "sarif", "--select", "HC", "--as-of", "2026-11-23"])
    results = json.loads(result.output)["runs"][0]["results"]
    assert result.exit_code == 0
    assert [(r["ruleId"], r["suppressions"]) for r in results] == [
        ("HC001", [{"kind": "inSource", "justification": "transitional, see memo 12"}])
    ]


def test_reasonless_suppression_is_reported_and_does_not_suppress(repo):
    (repo / "policies" / "strategy.yaml").write_text(
        STRATEGY.replace("objectives:\n", "objectives:\n  # coherence: ignore[HC001]\n")
    )
    code, document, _ = lint_json("--select", "HC")
    assert sorted(rules_of(document)) == ["HC001", "SUP002"] and code == 1
    sup = next(f for f in document["findings"] if f["rule"] == "SUP002")
    assert sup["location"]["line"] == 8 and "no reason" in sup["message"]


def test_unused_and_invalid_suppressions_are_reported(repo):
    (repo / "policies" / "law.yaml").write_text(
        LAW + "# coherence: ignore[BA001] -- nothing here\n"
        "# coherence: ignore[NOPE123] -- typo\n"
        "# coherence: ignore[E002] -- cannot\n"
    )
    _, document, _ = lint_json("--select", "HC,BA")
    messages = {(f["rule"], f["location"]["line"]) for f in document["findings"] if f["rule"].startswith("SUP")}
    assert messages == {("SUP001", 10), ("SUP002", 11), ("SUP002", 12)}
    # A suppression for a rule that did not run is not judged unused.
    _code, document, _ = lint_json("--select", "HC")
    assert ("SUP001", 10) not in {(f["rule"], f["location"]["line"]) for f in document["findings"]}


# --- baselines --------------------------------------------------------------------------


def test_baseline_hides_known_findings_survives_moved_text_and_is_pruned(repo):
    code, document, _ = lint_json("--select", "HC,LC", "--write-baseline", "baseline.json")
    assert code == 0 and rules_of(document) == []
    baseline = json.loads((repo / "baseline.json").read_text())
    assert sorted(e["rule"] for e in baseline["findings"]) == ["HC001", "LC001"]
    # Moving text (a comment block on top) does not resurrect the old findings.
    (repo / "policies" / "strategy.yaml").write_text("# moved\n# down\n" + STRATEGY)
    code, document, _ = lint_json("--select", "HC,LC", "--baseline", "baseline.json")
    assert code == 0 and rules_of(document) == []
    # A new conflict is reported.
    (repo / "policies" / "new.yaml").write_text(LAW.replace("XAA-LAW", "XAA-NEW").replace("2025-12-31", "2030-12-31"))
    code, document, _ = lint_json("--select", "HC,LC", "--baseline", "baseline.json")
    assert rules_of(document) == ["HC001"] and code == 1
    # Rewriting prunes what no longer occurs.
    (repo / "policies" / "law.yaml").unlink()
    lint_json("--select", "HC,LC", "--write-baseline", "baseline.json")
    entries = json.loads((repo / "baseline.json").read_text())["findings"]
    assert [e["path"] for e in entries] == ["policies/strategy.yaml"]
    assert not list(repo.glob(".baseline.json.*"))


def test_missing_or_corrupt_baseline_is_a_usage_error(repo):
    assert lint_json("--baseline", "nope.json")[0] == 2
    (repo / "bad.json").write_text("{not json")
    code, _, output = lint_json("--baseline", "bad.json")
    assert code == 2 and "not a coherence baseline" in output


# --- init and progress ------------------------------------------------------------------


GIT_SOURCE = "coherence-rules @ git+https://git.example.org/coherence.git@0123abcd"


def init(*args):
    return CliRunner().invoke(cli.main, ["init", *args])


def test_init_scaffolds_a_clean_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = init("--source", GIT_SOURCE)
    assert result.exit_code == 0 and result.stderr == ""
    for path in (
        ".coherence.yaml",
        ".pre-commit-config.yaml",
        ".github/workflows/coherence.yml",
        "schema/coherence.schema.json",
    ):
        assert (tmp_path / path).is_file(), path
        assert f"created {path}" in result.stdout.splitlines()
    records = sorted((tmp_path / "policies").rglob("*.yaml"))
    assert records and all(p.read_text().startswith("# yaml-language-server: $schema=../../schema/") for p in records)
    kinds = {
        line.split(":")[1].strip() for p in records for line in p.read_text().splitlines() if line.startswith("kind:")
    }
    assert kinds == {"policy", "agreement", "institution", "commitments"}
    code, document, _ = lint_json()
    assert code == 0 and document["findings"] == []


def test_init_hook_and_workflow_install_the_source(tmp_path, monkeypatch):
    import yaml

    monkeypatch.chdir(tmp_path)
    init("--source", GIT_SOURCE)
    hooks = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())["repos"]
    assert hooks == [
        {
            "repo": "local",
            "hooks": [
                {
                    "id": "coherence",
                    "name": "coherence (policy coherence)",
                    "entry": "coherence lint",
                    "language": "python",
                    "additional_dependencies": [GIT_SOURCE],
                    "files": r"^policies/.*\.ya?ml$",
                    "require_serial": True,
                    "pass_filenames": True,
                }
            ],
        }
    ]
    steps = yaml.safe_load((tmp_path / ".github/workflows/coherence.yml").read_text())["jobs"]["coherence"]["steps"]
    assert {"run": f"pip install '{GIT_SOURCE}'"} in steps
    assert "--format sarif" in str(steps) and "upload-sarif" in str(steps)
    # The runner keeps the corpus index where a run there puts it (no cache variables, HOME set).
    for variable in ("COHERENCE_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", "/home/runner")
    cached = [step["with"] for step in steps if step.get("uses", "").startswith("actions/cache@")]
    assert [os.path.expanduser(c["path"]) for c in cached] == [identity.cache_directory()]
    assert cached[0]["key"] == "coherence-${{ runner.os }}-${{ github.sha }}"
    generated = "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    assert "pypi.org" not in generated  # coherence-rules is on no package index
    assert "file:/" not in generated and "only here" not in generated  # nothing local about a git source


def test_init_from_a_local_source_says_ci_cannot_reach_it(tmp_path):
    result = init(str(tmp_path), "--source", f"coherence-rules @ {tmp_path.as_uri()}/coherence_rules-0.2.0.whl")
    assert result.exit_code == 0
    assert result.stderr.startswith("coherence: warning: only this machine can install coherence-rules @ file:")
    assert "(.pre-commit-config.yaml, .github/workflows/coherence.yml): pass --source REQUIREMENT" in result.stderr
    assert "only here" in (tmp_path / ".pre-commit-config.yaml").read_text()
    assert "a CI runner cannot install it" in (tmp_path / ".github/workflows/coherence.yml").read_text()


def test_init_merges_into_an_existing_repository_and_force_overwrites(tmp_path):
    mine = "repos: []  # mine\n"
    (tmp_path / ".pre-commit-config.yaml").write_text(mine)
    result = init(str(tmp_path), "--source", GIT_SOURCE)
    assert result.exit_code == 0
    assert f"skipped {tmp_path.as_posix()}/.pre-commit-config.yaml (exists)" in result.stdout.splitlines()
    assert f"created {tmp_path.as_posix()}/.coherence.yaml" in result.stdout.splitlines()
    assert (tmp_path / ".pre-commit-config.yaml").read_text() == mine
    assert (tmp_path / ".github/workflows/coherence.yml").is_file() and (tmp_path / "policies/example").is_dir()
    result = init(str(tmp_path), "--source", GIT_SOURCE, "--force")
    assert result.exit_code == 0
    assert f"overwrote {tmp_path.as_posix()}/.pre-commit-config.yaml" in result.stdout.splitlines()
    assert GIT_SOURCE in (tmp_path / ".pre-commit-config.yaml").read_text()


def test_every_commented_example_of_the_generated_config_is_valid(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    init("--source", GIT_SOURCE)
    assert lint_json("--write-baseline", ".coherence-baseline.json")[0] == 0
    (tmp_path / "org-rules").mkdir()
    config = tmp_path / ".coherence.yaml"
    examples = re.findall(r"^# ([a-z_]+): ", config.read_text(), re.MULTILINE)
    assert set(examples) | {"corpus", "fail_on"} == set(Config.model_fields)  # every key, each documented
    config.write_text(re.sub(r"^# (?=[a-z_]+: )", "", config.read_text(), flags=re.MULTILINE))
    code, document, output = lint_json()
    assert code == 0 and document["findings"] == [], output
    assert load_config(None, tmp_path).config.severity == {"LC001": "info", "XS002": "off"}


@pytest.mark.parametrize(
    ("direct_url", "requirement"),
    [
        (None, "coherence-rules==0.2.0"),
        (
            {"url": "https://github.com/o/coherence", "vcs_info": {"vcs": "git", "commit_id": "0123abcd"}},
            "coherence-rules @ git+https://github.com/o/coherence@0123abcd",
        ),
        (
            {"url": "file:///srv/wheels/coherence_rules-0.2.0-py3-none-any.whl", "archive_info": {}},
            "coherence-rules @ file:///srv/wheels/coherence_rules-0.2.0-py3-none-any.whl",
        ),
        (
            {"url": "file:///home/me/coherence", "dir_info": {"editable": True}},
            "coherence-rules @ file:///home/me/coherence",
        ),
        (
            {"url": "https://g.example/m", "vcs_info": {"vcs": "hg", "commit_id": "ab"}, "subdirectory": "tools/c"},
            "coherence-rules @ hg+https://g.example/m@ab#subdirectory=tools/c",
        ),
    ],
)
def test_the_requirement_is_how_coherence_was_installed(direct_url, requirement):
    assert scaffold.requirement_from(direct_url, "0.2.0") == requirement


def test_from_a_checkout_init_installs_the_checkout(tmp_path):
    checkout = Path(scaffold.__file__).resolve().parents[1]
    assert scaffold.installed_requirement() == f"coherence-rules @ {checkout.as_uri()}"


def test_progress_is_reported_to_a_callback_and_silent_off_a_terminal(repo):
    messages = []
    lint(Settings(cwd=repo, select=["HC"], progress=messages.append))
    assert any(m.startswith("validating") for m in messages) and any("shard" in m for m in messages)
    result = CliRunner().invoke(cli.main, ["lint", "--select", "HC"])  # stderr is not a terminal here
    assert "shard" not in result.output


def test_the_readme_configuration_example_is_valid():
    import yaml

    from coherence_rules.config import Config

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split("**Configure**")[1].split("```yaml\n")[1].split("```")[0]
    config = Config.model_validate(yaml.safe_load(textwrap.dedent(block)))
    assert config.severity["IN004"] == "off" and config.fail_on == "warning"


def test_warm_cache_gives_the_same_report_and_reparses_only_changed_files(repo, tmp_path_factory, monkeypatch):
    from coherence_rules import load

    cache_dir = tmp_path_factory.mktemp("warm")
    (repo / "policies" / "law.yaml").write_text(LAW + "# coherence: ignore[NOPE999] -- kept for the directive test\n")
    settings = dict(cwd=repo, select=["HC", "LC"], as_of=dt.date(2026, 11, 23), cache_dir=cache_dir)
    cold = lint(Settings(**settings))
    parsed = []
    original = load._parse

    def parse(data, display, limits, keep_text):
        if display.startswith("policies/"):  # not the rule pack, which is read every run
            parsed.append(display)
        return original(data, display, limits, keep_text)

    monkeypatch.setattr(load, "_parse", parse)
    warm = lint(Settings(**settings))
    assert parsed == []  # everything came from the cache
    assert [f.to_dict() for f in warm.findings] == [f.to_dict() for f in cold.findings]
    assert any(f.rule == "SUP002" for f in warm.findings)  # directives come from the file's text
    (repo / "policies" / "strategy.yaml").write_text(STRATEGY.replace("labour_migrant", "student"))
    changed = lint(Settings(**settings))
    assert parsed == ["policies/strategy.yaml"] and "HC001" not in {f.rule for f in changed.findings}
    entries = index_rows(cache_dir).values()
    assert entries and all(json.loads(entry)["format"] for entry in entries)  # JSON, never a pickle
