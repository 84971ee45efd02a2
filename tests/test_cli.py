"""The command line: exit codes, formats, targets vs corpus, stdin, determinism."""

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LAW, STRATEGY

from coherence_rules import cli

REPO = Path(__file__).resolve().parents[1]
HC_CASE = {
    "xaa/strategy.yaml": STRATEGY,
    "xaa/law.yaml": LAW,
    "xab/plan.yaml": """\
coherence: 1
kind: policy
id: XAB-PLAN
type: action_plan
status: in_force
period: {from: 2019-01-01, to: 2020-12-31}
jurisdiction: {country: XAB, level: national}
""",
}


@pytest.fixture
def repo(tmp_path, monkeypatch):
    for name, text in HC_CASE.items():
        path = tmp_path / "policies" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args, input=None):
    """Invoke the CLI; `lint` runs with the HC and LC families only, so other rules' advice on
    these minimal records does not blur what each test is about."""
    args = [str(a) for a in args]
    if args[0] == "lint" and not any(a in ("--select", "--ignore") for a in args):
        args += ["--select", "HC,LC"]
    result = CliRunner().invoke(cli.main, args, input=input)
    return result.exit_code, result.output


def test_lint_default_corpus_text_output(repo):
    code, out = run("lint", "--as-of", "2026-11-23")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        "policies/xaa/strategy.yaml:8:5: HC001 error Objective O1 of XAA-STRATEGY facilitates entry for "
        "lower-skilled workers, while objective O1 of XAA-LAW restricts it"
    )
    assert lines[1] == "  --> policies/xaa/law.yaml:8:5 (XAA-LAW)"
    assert lines[2].startswith("policies/xab/plan.yaml:5:1: LC001 warning")
    assert lines[-1] == "2 findings (1 error, 1 warning, 0 info) in 3 files, 3 records"


def test_json_contract(repo):
    code, out = run("lint", "--format", "json", "--as-of", "2026-11-23")
    doc = json.loads(out)
    assert code == 1
    assert set(doc) == {"tool", "format_version", "version", "as_of", "findings", "summary"}
    assert doc["format_version"] == "1.1"
    assert doc["tool"] == "coherence" and doc["as_of"] == "2026-11-23"
    assert doc["summary"] == {"files": 3, "records": 3, "error": 1, "warning": 1, "info": 0}
    first = doc["findings"][0]
    assert first["rule"] == "HC001" and first["name"] == "opposing-objectives" and first["severity"] == "error"
    assert first["records"] == ["XAA-LAW", "XAA-STRATEGY"]
    assert first["location"]["path"] == "policies/xaa/strategy.yaml" and first["location"]["line"] == 8
    assert first["location"]["record"] == "XAA-STRATEGY"
    assert first["related"][0]["path"] == "policies/xaa/law.yaml"
    assert len(first["fingerprint"]) == 20
    # 1.1: what a reviewer acts on, and what a ministry reports against.
    assert first["action"] and first["sources"][0].startswith("GFMD 2017")
    assert "gcm:whole-of-government" in first["frameworks"]
    assert first["drafts"] == [] and first["countries"] == ["XAA"]


def test_as_of_changes_time_dependent_findings(repo):
    _, out = run("lint", "--format", "json", "--as-of", "2020-06-01")
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["HC001"]


def test_targets_report_only_findings_touching_them(repo):
    code, out = run("lint", "policies/xab/plan.yaml", "--as-of", "2026-11-23")
    assert code == 1 and "LC001" in out and "HC001" not in out
    code, out = run("lint", "policies/xaa/law.yaml", "--as-of", "2026-11-23")
    assert "HC001" in out and "LC001" not in out  # the other side of the conflict is context
    # ... and the finding points at the file under review, relating the corpus record.
    assert out.splitlines()[:2] == [
        "policies/xaa/law.yaml:8:5: HC001 error Objective O1 of XAA-STRATEGY facilitates entry for "
        "lower-skilled workers, while objective O1 of XAA-LAW restricts it",
        "  --> policies/xaa/strategy.yaml:8:5 (XAA-STRATEGY)",
    ]
    # The same finding, whichever side it is reviewed from: one fingerprint (baselines hold).
    prints = {
        json.loads(run("lint", *target, "--format", "json", "--as-of", "2026-11-23")[1])["findings"][0]["fingerprint"]
        for target in ([], ["policies/xaa/law.yaml"], ["policies/xaa/strategy.yaml"])
    }
    assert len(prints) == 1


def test_against_lints_drafts_with_another_corpus_as_context(repo, tmp_path):
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    draft = HC_CASE["xaa/law.yaml"].replace("XAA-LAW", "XAA-DRAFT").replace("status: in_force", "status: draft")
    (drafts / "new.yaml").write_text(draft)
    code, out = run("lint", "--against", "policies", "drafts", "--as-of", "2026-11-23")
    assert code == 1
    # The annotation lands on the draft, says the finding is about a draft, and relates the corpus.
    assert out.splitlines()[:2] == [
        "drafts/new.yaml:8:5: HC001 error Objective O1 of XAA-STRATEGY facilitates entry for lower-skilled "
        "workers, while objective O1 of XAA-DRAFT restricts it [draft: XAA-DRAFT]",
        "  --> policies/xaa/strategy.yaml:8:5 (XAA-STRATEGY)",
    ]
    assert "XAA-LAW" not in out


def test_stdin_with_filename(repo):
    text = HC_CASE["xaa/law.yaml"].replace("XAA-LAW", "XAA-STDIN")
    code, out = run("lint", "-", "--stdin-filename", "policies/xaa/draft.yaml", "--as-of", "2026-11-23", input=text)
    assert code == 1 and "policies/xaa/draft.yaml:8:5" in out and "XAA-STDIN" in out


def test_fail_on_and_select(repo):
    assert run("lint", "--select", "LC", "--fail-on", "error", "--as-of", "2026-11-23")[0] == 0
    assert run("lint", "--select", "LC", "--fail-on", "warning", "--as-of", "2026-11-23")[0] == 1
    code, out = run("lint", "--select", "HC,LC", "--ignore", "HC001,stale-status", "--as-of", "2026-11-23")
    assert code == 0 and out.startswith("no findings")


def test_usage_errors_exit_2_without_traceback(repo):
    code, out = run("lint", "missing.yaml")
    assert code == 2 and "no such file" in out and "Traceback" not in out
    code, out = run("lint", "--select", "NOPE999")
    assert code == 2 and "unknown rule" in out
    code, out = run("lint", "--as-of", "yesterday")
    assert code == 2


def test_output_file_is_written_whole(repo):
    code, _ = run("lint", "--format", "json", "-o", "report.json", "--as-of", "2026-11-23")
    assert code == 1
    assert json.loads(Path("report.json").read_text())["summary"]["error"] == 1
    assert not [p for p in Path(".").iterdir() if p.name.endswith(".tmp")]


def test_same_bytes_whatever_the_file_order(repo, tmp_path):
    """Copy the sample corpus under shuffled file names: same findings, same JSON bytes."""
    outputs = set()
    for seed in range(3):
        root = tmp_path / f"copy{seed}"
        files = sorted((REPO / "policies").rglob("*.yaml"))
        random.Random(seed).shuffle(files)
        for _i, path in enumerate(files):
            target = root / "policies" / path.relative_to(REPO / "policies")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
        result = subprocess.run(
            [sys.executable, str(REPO / "cli.py"), "lint", "--format", "json", "--as-of", "2026-11-23"],
            cwd=root,
            capture_output=True,
            text=True,
        )
        assert result.returncode in (0, 1), result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_schema_command_matches_the_committed_copy():
    code, out = run("schema")
    committed = (REPO / "schema" / "coherence.schema.json").read_text()
    assert code == 0
    assert json.loads(out) == json.loads(committed), "run `coherence schema > schema/coherence.schema.json`"


def test_python_m_and_checkout_entry_points():
    for command in ([sys.executable, "-m", "coherence_rules", "--version"], [sys.executable, "cli.py", "--version"]):
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        assert result.returncode == 0 and "coherence" in result.stdout, result.stderr


# What `coherence --version` and `--help` must not import: the pipeline (0.35 s before; bench/index.py times it).
PIPELINE = {"pydantic", "durable", "coherence_rules.api", "coherence_rules.engine", "coherence_rules.schema"}


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["lint", "--help"], ["explain", "--help"]])
def test_version_and_help_import_no_pipeline(args):
    code = (
        "import sys\nfrom coherence_rules.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sys.modules), file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout and PIPELINE.isdisjoint(result.stderr.split())


def test_the_client_of_a_server_imports_only_light_parts_of_the_standard_library():
    """A pre-commit hook starts the client for every commit: `typing` alone was a third of its imports.
    (-S: no site-packages, where a development install's import hook loads typing itself.)"""
    code = f"import sys\nsys.path.insert(0, {str(REPO)!r})\nimport coherence_rules.client\nprint(' '.join(sys.modules))"
    result = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True)
    loaded = set(result.stdout.split())
    assert "coherence_rules.client" in loaded, result.stderr
    assert loaded.isdisjoint({"typing", "click", "yaml", "pydantic", "pathlib", *PIPELINE})


def test_a_text_run_imports_no_other_format(tmp_path):
    """The HTML report's templates (Jinja2) cost a text run 0.09 s: a format is imported when used."""
    (tmp_path / "policies").mkdir()
    code = (
        "import sys\nfrom coherence_rules.cli import main\n"
        "try:\n    main(['lint', '--no-cache', 'policies'])\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sys.modules), file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    loaded = set(result.stderr.split())
    assert "coherence_rules.formats.text" in loaded
    assert loaded.isdisjoint({"jinja2", "coherence_rules.formats.html_report", "coherence_rules.formats.sarif"})


def test_a_run_the_index_answers_imports_no_stage(tmp_path, tmp_path_factory):
    """A second run over the same bytes takes its report from the corpus index: it imports neither
    the record schema, the rule specs, the compiler nor the engine (pipeline.py is imported on a miss)."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "strategy.yaml").write_text(STRATEGY)
    (tmp_path / "policies" / "law.yaml").write_text(LAW)
    code = (
        "import sys\nfrom coherence_rules.cli import main\n"
        "try:\n    main(['lint', '--format', 'json', '--as-of', '2026-11-23'])\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sys.modules), file=sys.stderr)"
    )
    env = {**os.environ, "COHERENCE_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}  # never in the repository
    runs = [
        subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env)
        for _ in range(2)
    ]
    assert runs[0].stdout == runs[1].stdout and "HC001" in runs[0].stdout
    cold, warm = (set(run.stderr.split()) for run in runs)
    stages = {
        "coherence_rules.pipeline",
        "coherence_rules.schema",
        "coherence_rules.rulespec",
        "coherence_rules.compiler",
        "coherence_rules.engine",
        "durable",
    }
    assert stages <= cold and warm.isdisjoint(stages)
