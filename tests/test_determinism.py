"""Same corpus, same bytes: JSON and SARIF do not depend on PYTHONHASHSEED (custom rule messages
included), the number of worker processes, or whether the cache is cold, warm or off; and reports,
baselines are written whole, with the user's umask, leaving no temporary file."""

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import AS_OF, LAW, STRATEGY, index_rows

import coherence_rules
from coherence_rules import evaluate, facts, load, shard_facts, workers
from coherence_rules.atomic import write_atomic
from coherence_rules.settings import Settings

REPO = Path(__file__).resolve().parents[1]

# Two statements of one country applying to unrelated groups of equal depth: where they "meet"
# ({groups}) is decided among nodes of equal depth, which set order must not decide.
CUSTOM_RULE = {
    "id": "XT001",
    "name": "labour-and-irregular",
    "family": "XT",
    "severity": "warning",
    "summary": "a test rule whose message names groups",
    "condition": "two statements of one country, one on low-skilled, one on domestic workers",
    "rationale": "exercises the {groups} placeholder on unrelated nodes",
    "sources": ["tests"],
    "action": "nothing: a test rule",
    "message": "{a} and {b} meet on {groups}",
    "match": [
        {"a": "statement", "where": {"group": "low_skilled_worker"}},
        {"b": "statement", "where": {"group": "domestic_worker"}, "same": {"country": "a"}},
    ],
    "report": {"primary": "a", "related": ["b"]},
    "examples": {"bad": "x", "good": "y"},
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("determinism")
    shutil.copytree(REPO / "policies", root / "policies")
    (root / "pack" / "XT").mkdir(parents=True)
    (root / "pack" / "XT" / "XT001-labour-and-irregular.yaml").write_text(json.dumps(CUSTOM_RULE))
    return root


def lint(root, fmt, *extra, seed="0", cache="cold"):
    cache_dir = root.parent / f"cache-{root.name}-{cache}"
    if cache == "cold":
        shutil.rmtree(cache_dir, ignore_errors=True)
    flags = ["--no-cache"] if cache == "off" else []
    env = {**os.environ, "PYTHONHASHSEED": seed, "COHERENCE_CACHE_DIR": str(cache_dir)}
    result = subprocess.run(
        [sys.executable, str(REPO / "cli.py"), "lint", "--format", fmt, "--as-of", "2026-11-23"]
        + ["--rules", "pack", *flags, *extra],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_same_bytes_across_hash_seeds_jobs_and_cache_modes(workspace, fmt):
    reference = lint(workspace, fmt)
    assert "XT001" in reference and "meet on" in reference
    runs = {
        "seed 1": lint(workspace, fmt, seed="1"),
        "seed 12345": lint(workspace, fmt, seed="12345"),
        "jobs 1": lint(workspace, fmt, "--jobs", "1", seed="7"),
        "jobs 2": lint(workspace, fmt, "--jobs", "2", seed="8"),
        "warm cache": lint(workspace, fmt, seed="9", cache="warm"),
        "no cache": lint(workspace, fmt, seed="10", cache="off"),
    }
    assert {name: out == reference for name, out in runs.items()} == dict.fromkeys(runs, True)


def counted_pools(monkeypatch) -> list:
    """The worker pools started from now on (the list grows as each starts)."""
    pools = []

    class CountedPool(workers.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(workers, "ProcessPoolExecutor", CountedPool)
    return pools


def test_files_parsed_in_worker_processes_are_the_files_parsed_in_one(monkeypatch):
    """Values, positions and load findings (bad YAML, a binary file, a duplicate key), in order."""
    sources = [(p.relative_to(REPO).as_posix(), p.read_bytes()) for p in sorted((REPO / "policies").rglob("*.yaml"))]
    sources += [("bad.yaml", b"a: [1\n"), ("binary.yaml", b"a: 1\x00"), ("twice.yaml", b"a: 1\na: 2\n")]
    pools = counted_pools(monkeypatch)
    monkeypatch.setattr(load, "PARSE_IN_WORKERS_FROM", 2)
    in_one = list(load.load_each(list(sources), jobs=1))  # a copy: loading empties the list
    assert pools == []
    in_workers = list(load.load_each(list(sources), jobs=2))
    assert len(pools) == 1
    assert in_workers == in_one
    assert [f.path for f in in_one] == [path for path, _ in sources]
    assert [f.findings[0].rule for f in in_one[-3:]] == ["E001", "E006", "E005"]


@pytest.mark.parametrize("tasks_per_worker", [16, 1])
def test_shards_evaluated_in_worker_processes_are_the_shards_evaluated_in_one(monkeypatch, tmp_path, tasks_per_worker):
    """The sample in forked workers (one pool for both packs), each building its shards' facts from
    the corpus it inherited, several consecutive shards a task: the same report, and the same index
    (each record's facts hash, each shard's matches, written by this process from what the workers
    hand back); no fact is built in this process."""
    built_here = []  # in this process: a forked worker appends to its own copy
    tasks = []  # (pass, shard numbers) of each task handed to a worker
    in_order = workers.in_order

    def counted_tasks(work, given, *args):
        kept = ((t if isinstance(t, workers.Done) else tasks.append(t[:2]) or t) for t in given)
        return in_order(work, kept, *args)

    monkeypatch.setattr(workers, "in_order", counted_tasks)
    monkeypatch.setattr(evaluate, "TASKS_PER_WORKER", tasks_per_worker)

    def record_facts(entry, ctx):
        built_here.append(entry.index)
        return facts.record_facts(entry, ctx)

    pools = counted_pools(monkeypatch)
    monkeypatch.setattr(shard_facts, "record_facts", record_facts)
    monkeypatch.setattr(evaluate, "WORKERS_FROM", 1)  # the sample has fewer records than make a pool worth it

    def run(jobs, index):
        return coherence_rules.lint(
            Settings(corpus=[REPO / "policies"], cwd=REPO, as_of=AS_OF, jobs=jobs, cache_dir=index)
        )

    in_one = run(1, tmp_path / "one")
    assert built_here
    built_here.clear()
    assert pools == []
    in_workers = run(2, tmp_path / "workers")
    assert built_here == []
    assert len(pools) == 1  # the pair pack's shards in the pool that evaluated the country pack's
    for p in (0, 1):  # each pass's shards, each once, in order: in about 2 x tasks_per_worker tasks
        numbers = [number for pass_number, batch in tasks if pass_number == p for number in batch]
        assert numbers == list(range(len(numbers))) and 4 < len(numbers) < 32
        handed = sum(pass_number == p for pass_number, _ in tasks)
        assert handed in ((len(numbers),) if tasks_per_worker == 16 else (2, 3))  # 16: the sample has too few to share
    assert in_workers.findings == in_one.findings and len(in_one.findings) > 40
    for table in ("facts", "matches"):
        rows = index_rows(tmp_path / "one", table)
        assert len(rows) > 20 and index_rows(tmp_path / "workers", table) == rows, table


def test_whether_a_pass_is_worth_workers_is_asked_of_no_more_records_than_decide_it(monkeypatch, tmp_path):
    """A pass goes to workers when the index knows the facts of too few of its records, and a cold
    run knows none: the first WORKERS_FROM records asked about decide it. The others' memo keys are
    worked out as their shards are planned, while workers evaluate the first ones, not before."""
    monkeypatch.setattr(evaluate, "WORKERS_FROM", 3)
    worked_out, before_pool = [], []
    new_memo_key = shard_facts.ShardFacts._new_memo_key

    def memo_key(self, entry):
        worked_out.append(entry.index)
        return new_memo_key(self, entry)

    def pool(*args):
        before_pool.append(len(worked_out))
        return in_order(*args)

    in_order = workers.in_order
    monkeypatch.setattr(shard_facts.ShardFacts, "_new_memo_key", memo_key)
    monkeypatch.setattr(workers, "in_order", pool)
    coherence_rules.lint(Settings(corpus=[REPO / "policies"], cwd=REPO, as_of=AS_OF, jobs=2, cache_dir=tmp_path))
    assert before_pool == [2 * 3]  # three records of each pass
    assert len(worked_out) > 40  # every record's, for each pass, once the pool was started


# --- atomic writes --------------------------------------------------------------------------------


def test_a_report_is_written_with_the_users_umask_and_no_temporary_file_stays(tmp_path):
    previous = os.umask(0o022)
    try:
        write_atomic(tmp_path / "report.json", "{}\n")
        os.umask(0o077)
        write_atomic(tmp_path / "private.json", "{}\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "report.json").stat().st_mode) == 0o644  # mkstemp alone gives 0600
    assert stat.S_IMODE((tmp_path / "private.json").stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["private.json", "report.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    (tmp_path / "baseline.json").write_text("old\n")

    with pytest.raises(UnicodeEncodeError):  # a lone surrogate cannot be encoded: the write fails midway
        write_atomic(tmp_path / "baseline.json", "new \udcff text")
    assert (tmp_path / "baseline.json").read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["baseline.json"]


def test_a_report_written_through_a_link_replaces_the_file_it_names_and_keeps_the_link(tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "latest.json").write_text("old\n")
    (tmp_path / "report.json").symlink_to(tmp_path / "reports" / "latest.json")
    write_atomic(tmp_path / "report.json", "new\n")
    assert (tmp_path / "report.json").is_symlink()
    assert (tmp_path / "reports" / "latest.json").read_text() == "new\n"
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["latest.json"]


def test_what_is_not_a_file_is_written_to_never_replaced(tmp_path):
    """A named pipe, directly and through a link as /dev/stdout is one, stands for every device: run
    as root, a rename replaced /dev/null with a file (this test does not risk the real one)."""
    pipe = tmp_path / "report.fifo"
    os.mkfifo(pipe)
    (tmp_path / "stdout").symlink_to(pipe)
    for target in (pipe, tmp_path / "stdout"):
        reader = subprocess.Popen(["cat", str(pipe)], stdout=subprocess.PIPE, text=True)
        try:
            write_atomic(target, "through the pipe\n")
            assert reader.communicate(timeout=10)[0] == "through the pipe\n"
        finally:  # a reader left waiting for a writer would hang the suite
            reader.kill()
            reader.communicate()
    assert stat.S_ISFIFO(pipe.stat().st_mode) and (tmp_path / "stdout").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.fifo", "stdout"]


@pytest.mark.skipif(not os.path.exists("/proc/self/fd/1"), reason="no /proc")
def test_a_report_written_to_a_link_to_stdout_reaches_a_pipe(tmp_path):
    """A link to /proc/self/fd/1, as /dev/stdout is (this test does not risk the real one): it names
    `pipe:[…]`, no path a file could be renamed to."""
    (tmp_path / "stdout").symlink_to("/proc/self/fd/1")
    command = [
        sys.executable,
        "-m",
        "coherence_rules",
        "lint",
        "policies/",
        "--as-of",
        "2026-11-23",
        "--format",
        "json",
    ]
    env = {**os.environ, "COHERENCE_CACHE_DIR": str(tmp_path / "index")}
    printed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env)
    written = subprocess.run(
        [*command, "-o", str(tmp_path / "stdout")], cwd=REPO, capture_output=True, text=True, env=env
    )
    assert (written.returncode, written.stderr) == (1, "") and written.stdout == printed.stdout
    assert '"findings"' in printed.stdout and (tmp_path / "stdout").is_symlink()


@pytest.mark.parametrize("serving", [False, True])
def test_a_run_freezes_what_it_loaded_and_hands_the_collector_back(corpus, monkeypatch, serving):
    """The loaded corpus and its records live until a run ends: the collector does not walk them
    while the run evaluates (its full collections over them took a quarter of a one-file run); the
    run hands the collector back as it found it (a caller lives on). A server freezes what it
    keeps between runs itself: a run there freezes nothing."""
    import gc

    from coherence_rules import pipeline, resident

    if serving:
        monkeypatch.setattr(resident, "CURRENT", resident.Resident())
    during = []
    original = pipeline.evaluate

    def evaluated(*args, **kwargs):
        during.append((gc.get_freeze_count(), gc.isenabled()))
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, "evaluate", evaluated)
    before = gc.get_freeze_count()
    report = corpus({"strategy.yaml": STRATEGY, "law.yaml": LAW})
    assert "HC001" in {f.rule for f in report.findings}
    frozen, enabled = during[0]
    assert enabled and (frozen == before if serving else frozen > before + 1000)
    assert gc.get_freeze_count() == before and gc.isenabled()
