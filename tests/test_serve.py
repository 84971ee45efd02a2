"""`coherence serve` keeps the corpus in memory (resident.py) and answers `coherence lint` runs: what
it answers must be, byte for byte, what a run without it prints, through any sequence of edits,
renames, deletions, broken files and files rewritten to the same size and time. The ground truth is
always a run with neither the server's memory nor the corpus index."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from conftest import AS_OF, serving
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coherence_rules import client, engine, load, resident, serve, shard_facts, shards, toolfile, validate
from coherence_rules.api import lint
from coherence_rules.corpus_index import CorpusIndex
from coherence_rules.formats import render
from coherence_rules.settings import Settings

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import corpus_gen  # noqa: E402

PAST = time.time_ns() - 3600 * 10**9  # an hour ago: a stat the resident corpus may trust


def _swap(text: str, pairs: list[tuple[str, str]]) -> str | None:
    for old, new in pairs:
        for a, b in ((old, new), (new, old)):
            if a in text:
                return text.replace(a, b, 1)
    return None


def apply(edit: str, root: Path, choice: int) -> Path:
    """Change the corpus under root; the file changed (or the one a rename made)."""
    files = sorted(root.rglob("*.yaml"))
    path = files[choice % len(files)]
    text = path.read_text(encoding="utf-8")
    if edit == "stance":
        path.write_text(_swap(text, [("stance: restrict", "stance: facilitate")]) or text + "# a note\n")
    elif edit == "comment":
        path.write_text(text + "# a note\n")
    elif edit == "break":
        path.write_text(text + "objectives: [unclosed\n")
    elif edit == "delete":
        path.unlink()
    elif edit == "rename":
        path = path.rename(path.with_name(f"renamed-{choice}-{path.name}"))
    elif edit == "copy":  # the copy's ids are already used: E003
        path = Path(shutil.copy(path, path.with_name(f"copy-{choice}-{path.name}")))
    elif edit in ("move", "refer"):  # another country's record, or another lead: other shards, other needs
        own = root / path.relative_to(root).parts[0]
        other = [d for d in sorted(p for p in root.iterdir() if p.is_dir()) if d != own][-1]
        if edit == "move":
            changed = re.sub(r"country: \w+", f"country: {other.name.upper()}", text, count=1)
        else:
            agency = next(
                m[1] for f in sorted(other.rglob("*.yaml")) for m in re.finditer(r"^id: (\S+)", f.read_text(), re.M)
            )
            changed = re.sub(r"lead_agency: \S+", f"lead_agency: {agency}", text, count=1)
        path.write_text(changed if changed != text else text + "# a note\n")
    elif edit == "authority":  # a body that records name decides, or no longer does: their facts change
        holders = [f for f in files if "decision_power: " in f.read_text(encoding="utf-8")]
        path = holders[choice % len(holders)]
        text = path.read_text(encoding="utf-8")
        path.write_text(_swap(text, [("decision_power: true", "decision_power: false")]) or text)
    elif edit == "same size and time":  # only the change time tells: the bytes must be read again
        before = path.stat()
        swapped = _swap(text, [("in_force", "repealed"), ("restrict", "facilitat")])
        if swapped is not None:
            path.write_text(swapped)
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        return path
    _settled(root)
    return path


def _settled(root: Path) -> None:
    """Every file and directory last modified an hour ago: a server trusts their stats (and keeps
    their listings) from now on, until an edit changes them."""
    for entry in [root, *root.rglob("*")]:
        os.utime(entry, ns=(PAST, PAST))


EDITS = ["stance", "comment", "break", "delete", "rename", "copy", "move", "refer", "authority", "same size and time"]


def as_json(report) -> str:
    return render("json", report)


RUNS = ["corpus", "edited", "last"]  # what a run after an edit names


def lint_json(root: Path, targets: list[Path], memory: resident.Resident | None, cache: Path | None) -> str:
    """A run as a server with `memory` answers it (None: a fresh run), its report as JSON."""
    resident.CURRENT = memory
    try:
        return as_json(lint(Settings(cwd=root, as_of=AS_OF, targets=targets, cache_dir=cache, jobs=1)))
    finally:
        resident.CURRENT = None


def check_steps(root: Path, cache: Path, steps: list[tuple[str, int, str]]) -> None:
    """After each edit, a run with the resident corpus (and the index) prints what a fresh run does.
    A run names the corpus, the edited file, or the corpus's last file: the same file through edits
    elsewhere, which change what it needs (a record moved into its country)."""
    kept = resident.Resident()
    lint_json(root, [root / "policies"], kept, cache)  # the server's first run
    for edit, choice, named in steps:
        path = apply(edit, root / "policies", choice)
        if named == "last":
            path = sorted((root / "policies").rglob("*.yaml"))[-1]
        targets = [path] if named != "corpus" and path.exists() else [root / "policies"]
        assert lint_json(root, targets, kept, cache) == lint_json(root, targets, None, None), (edit, path.name, named)


@pytest.fixture
def generated(tmp_path):
    corpus_gen.write(corpus_gen.generate(3, 40, density=10), tmp_path / "repository" / "policies")
    _settled(tmp_path / "repository")
    return tmp_path / "repository", tmp_path / "cache"


def test_each_kind_of_edit_gives_what_a_fresh_run_gives(generated):
    root, cache = generated
    check_steps(root, cache, [(edit, 5 * n + 1, RUNS[n % 3]) for n, edit in enumerate(EDITS * 2)])


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(EDITS), st.integers(0, 10**6), st.sampled_from(RUNS)), min_size=1, max_size=6
    )
)
def test_any_sequence_of_edits_gives_what_a_fresh_run_gives(steps):
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "repository"
        corpus_gen.write(corpus_gen.generate(5, 30, density=10), root / "policies")
        _settled(root)
        check_steps(root, Path(directory) / "cache", steps)


def test_a_report_that_shows_texts_gets_them_from_a_server_that_loaded_the_files_for_another(generated):
    """A one-shot run keeps only the texts it shows or searches for suppressions; a server keeps
    every file's, for the HTML report that asks for them later."""
    root, cache = generated

    def texts(memory: resident.Resident | None) -> dict[str, str]:
        resident.CURRENT = memory
        try:
            settings = Settings(cwd=root, as_of=AS_OF, jobs=1, record_views=True)  # no index: no report kept
            return lint(settings).texts
        finally:
            resident.CURRENT = None

    kept = resident.Resident()
    lint_json(root, [root / "policies"], kept, cache)  # a report that shows no text
    fresh = texts(None)
    assert fresh and all(fresh.values()) and texts(kept) == fresh


def test_what_a_one_file_run_needs_is_kept_only_while_no_record_changes_shards(tmp_path, monkeypatch):
    """A server gives back the documents a one-file run needs while no document's placing changed
    (shards.needed_documents): records moved into the named file's country, or agencies named from
    elsewhere, change what it needs, and the kept answer must follow."""
    root = tmp_path / "policies"
    corpus_gen.write(corpus_gen.generate(3, 40, countries=8), root)
    monkeypatch.setattr(resident, "CURRENT", resident.Resident())
    files = sorted(root.rglob("*.yaml"))
    target = files[len(files) // 2]
    country = target.relative_to(root).parts[0].upper()

    def needs() -> tuple[shards.Needs, shards.Needs]:
        loaded = list(load.load_each([(str(f), f.read_bytes()) for f in sorted(root.rglob("*.yaml"))]))
        kept = shards.needed_documents(loaded, {str(target)})
        with monkeypatch.context() as fresh_run:
            fresh_run.setattr(resident, "CURRENT", None)
            return kept, shards.needed_documents(loaded, {str(target)})

    answers = [needs()[1].validated]
    for number, file in enumerate(files[::9]):
        text = file.read_text(encoding="utf-8")
        field, value = ("lead_agency", f"{country}-MOI") if number % 3 == 2 else ("country", country)
        file.write_text(re.sub(rf"{field}: \S+", f"{field}: {value}", text, count=1))
        kept, fresh = needs()
        assert kept == fresh, file.name
        answers.append(fresh.validated)
    assert len({frozenset(a) for a in answers}) > 2  # the edits did change what the run needs


POLICIES = """\
coherence: 1
kind: policy
id: XAA-RETURN-PLAN
type: action_plan
status: in_force
jurisdiction: {country: XAA, level: national}
lead_agency: XAA-NSO
objectives:
  - {id: O1, stance: facilitate, groups: [returnee], areas: [reintegration]}
---
coherence: 1
kind: policy
id: XAA-ENTERPRISE-PROGRAMME
type: programme
status: in_force
jurisdiction: {country: XAA, level: national}
lead_agency: XAA-EDA
objectives:
  - {id: O1, stance: facilitate, groups: [returnee], areas: [reintegration]}
"""
INSTITUTIONS = """\
coherence: 1
kind: institution
id: XAA-NSO
name: National Statistics Office (fictional)
jurisdiction: {country: XAA, level: national}
type: agency
decision_power: %s
---
coherence: 1
kind: institution
id: XAA-EDA
name: Enterprise Development Agency (fictional)
jurisdiction: {country: XAA, level: national}
type: agency
%s"""


def test_a_records_facts_follow_the_bodies_it_names_in_other_files(tmp_path):
    """A record's facts read the institutions it names (whether they decide: IN002; the line of
    authority above them: IN003). An edit of those in another file changes them: a server that
    kept the record's facts key must compute it again."""
    root = tmp_path / "repository"
    (root / "policies").mkdir(parents=True)
    policies = root / "policies" / "policies.yaml"
    policies.write_text(POLICIES, encoding="utf-8")
    kept, answers = resident.Resident(), set()
    for power, parent in [("false", ""), ("true", ""), ("true", "parent: XAA-NSO\n"), ("false", "")]:
        (root / "policies" / "institutions.yaml").write_text(INSTITUTIONS % (power, parent), encoding="utf-8")
        for file in (root / "policies").iterdir():
            os.utime(file, ns=(PAST, PAST))
        answer = lint_json(root, [policies], kept, tmp_path / "cache")
        assert answer == lint_json(root, [policies], None, None), (power, parent)
        answers.add(answer)
    assert len(answers) == 3  # IN002 and IN003, IN003 alone, neither


PLAN = """\
coherence: 1
kind: policy
id: XAA-RETURN-PLAN-2026
type: action_plan
status: adopted
period: {from: 2026-01-01, to: 2028-12-31}
jurisdiction: {country: XAA, level: national}
implements: [XAA-RETURN-LAW-2015]
"""
LAWS = """\
coherence: 1
kind: policy
id: XAA-RETURN-LAW-2015
type: law
status: in_force
jurisdiction: {country: XAA, level: national}
---
coherence: 2
kind: policy
id: XAA-RETURN-LAW-2025
type: law
jurisdiction: {country: XAA, level: national}
%s"""


def test_a_records_standing_follows_the_records_that_supersede_it_in_other_files(tmp_path):
    """Whether a law has been superseded on the reference date (VC003: a plan implements it) is read
    from its successor in another file: its link, its status, the dates of its history. A server that
    kept the standings of the last run must work them out again when any of those changes."""
    root = tmp_path / "repository"
    (root / "policies").mkdir(parents=True)
    plan = root / "policies" / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    kept, answers = resident.Resident(), []
    for successor in [
        "status: in_force\n",
        "status: in_force\nsupersedes: [XAA-RETURN-LAW-2015]\n",
        "status: draft\nsupersedes: [XAA-RETURN-LAW-2015]\n",
        "status: in_force\nhistory: [{date: 2027-01-01, status: in_force}]\nsupersedes: [XAA-RETURN-LAW-2015]\n",
        "status: in_force\nhistory: [{date: 2025-01-01, status: in_force}]\nsupersedes: [XAA-RETURN-LAW-2015]\n",
        "status: in_force\nhistory: [{date: 2025-01-01, status: in_force}]\nrepeals: [XAA-RETURN-LAW-2015]\n",
    ]:
        (root / "policies" / "laws.yaml").write_text(LAWS % successor, encoding="utf-8")
        _settled(root)
        answer = lint_json(root, [plan], kept, tmp_path / "cache")
        assert answer == lint_json(root, [plan], None, None), successor
        answers.append("VC003" in answer)
    assert answers == [False, True, False, False, True, True]


def test_after_an_edit_only_the_edited_file_is_loaded_and_validated_again(generated, monkeypatch):
    """What the server is for: a run after an edit takes every other file, as loaded and validated,
    from memory, also when the runs before it were answered whole by the index."""
    root, cache = generated
    loaded, validated = [], []  # the corpus files parsed or read from the index; the documents validated
    files, parse = CorpusIndex.files, load._parse
    monkeypatch.setattr(CorpusIndex, "files", lambda self, wanted: loaded.extend(wanted) or files(self, wanted))

    def parsed(data, display, *rest):
        if display.startswith("policies/"):  # not a rule file (named by its absolute path)
            loaded.append(display)
        return parse(data, display, *rest)

    monkeypatch.setattr(load, "_parse", parsed)
    check = validate.validate_document
    monkeypatch.setattr(validate, "validate_document", lambda d: validated.append(d.path) or check(d))
    monkeypatch.setattr(resident, "CURRENT", resident.Resident())
    policies = root / "policies"
    for _ in range(2):  # the second run's report is the index's: it loads nothing
        lint(Settings(cwd=root, as_of=AS_OF, targets=[policies], cache_dir=cache, jobs=1))
    assert len(loaded) == len(list(policies.rglob("*.yaml"))) and validated
    loaded.clear(), validated.clear()
    edited = apply("stance", policies, 3)
    lint(Settings(cwd=root, as_of=AS_OF, targets=[edited], cache_dir=cache, jobs=1))
    shown = edited.relative_to(root).as_posix()
    assert loaded == [shown] and validated and set(validated) == {shown}


def test_a_server_builds_again_only_the_facts_of_the_records_that_changed(generated, monkeypatch):
    """A shard whose facts changed goes to the engine whole; a server keeps each record's facts on
    its document (shard_facts.py), so only the edited file's records have theirs built again."""
    root, cache = generated
    monkeypatch.setattr(resident, "CURRENT", resident.Resident())
    lint(Settings(cwd=root, as_of=AS_OF, targets=[root / "policies"], cache_dir=cache, jobs=1))
    built = []
    record_facts = shard_facts.record_facts
    monkeypatch.setattr(shard_facts, "record_facts", lambda e, ctx: built.append(e.path) or record_facts(e, ctx))
    edited = next(f for f in sorted(root.rglob("*.yaml")) if "stance: restrict" in f.read_text(encoding="utf-8"))
    edited.write_text(edited.read_text(encoding="utf-8").replace("stance: restrict", "stance: facilitate", 1))
    os.utime(edited, ns=(PAST, PAST))
    engine_runs = []
    run = engine.run
    monkeypatch.setattr(
        engine, "run", lambda pack, facts, limit: engine_runs.append(len(facts)) or run(pack, facts, limit)
    )
    first = lint(Settings(cwd=root, as_of=AS_OF, targets=[edited], cache_dir=cache, jobs=1))
    assert engine_runs and set(built) == {edited.relative_to(root).as_posix()}
    assert as_json(first) == lint_json(root, [edited], None, None)


def test_a_server_primes_its_memory_so_its_first_run_does_only_what_changed(generated, monkeypatch):
    """Before it answers, a server runs the stages of a whole run (api.prime), though the index holds
    the hashes of every record's facts and every shard's matches (a run without server filled it): a
    first one-file run validates and builds the facts of only the edited file's records, and gives
    what a fresh run gives. A broken configuration is left for the runs to report."""
    root, cache = generated
    monkeypatch.chdir(root)
    monkeypatch.setenv("COHERENCE_CACHE_DIR", str(cache))
    lint(Settings(cwd=root, targets=[root / "policies"], cache_dir=cache, jobs=1))
    monkeypatch.setattr(resident, "CURRENT", resident.Resident())
    said: list[str] = []
    serve._prime(said.append)
    assert said == [said[0]] and "records in memory" in said[0]
    validated, built = [], []
    check, record_facts = validate.validate_document, shard_facts.record_facts
    monkeypatch.setattr(validate, "validate_document", lambda d: validated.append(d.path) or check(d))
    monkeypatch.setattr(shard_facts, "record_facts", lambda e, ctx: built.append(e.path) or record_facts(e, ctx))
    edited = next(f for f in sorted(root.rglob("*.yaml")) if "stance: restrict" in f.read_text(encoding="utf-8"))
    edited.write_text(edited.read_text(encoding="utf-8").replace("stance: restrict", "stance: facilitate", 1))
    os.utime(edited, ns=(PAST, PAST))
    first = lint(Settings(cwd=root, targets=[edited], cache_dir=cache, jobs=1))  # today, as the server primed
    assert validated and set(validated) == set(built) == {edited.relative_to(root).as_posix()}
    monkeypatch.setattr(resident, "CURRENT", None)
    assert as_json(first) == as_json(lint(Settings(cwd=root, targets=[edited], jobs=1)))
    (root / ".coherence.yaml").write_text("select: [\n")
    serve._prime(said.append)
    assert said[1].startswith("coherence serve: not primed: ") and ".coherence.yaml" in said[1]


def test_a_file_modified_just_before_it_was_read_is_read_again(tmp_path, monkeypatch):
    """A stat is trusted only for a file last modified well before it was read: a second write in
    the same tick of a coarse clock would leave size, times and inode as they were."""
    reads = []
    monkeypatch.setattr(load, "read_file", lambda path, *args: reads.append(path.name) or path.read_bytes())
    for name in ("old.yaml", "new.yaml"):
        (tmp_path / name).write_bytes(b"a: 1\n")
    os.utime(tmp_path / "old.yaml", ns=(PAST, PAST))
    kept = resident.Resident()
    for _ in range(3):
        for name in ("old.yaml", "new.yaml"):
            assert kept.read(tmp_path / name, name, Settings().limits) == b"a: 1\n"
        kept.end_run()
    assert reads == ["old.yaml", "new.yaml", "new.yaml", "new.yaml"]


def test_a_server_ends_a_run_once_its_answer_is_sent(generated, monkeypatch):
    """The index's commit and the end of the run's bookkeeping wait until the client has its answer
    (resident.later); a run that is not a server's answer ends them before it returns."""
    root, cache = generated
    ended: list[str] = []
    close, end_run = CorpusIndex.close, resident.Resident.end_run
    monkeypatch.setattr(CorpusIndex, "close", lambda self: (ended.append("index"), close(self))[1])
    monkeypatch.setattr(resident.Resident, "end_run", lambda self: (ended.append("run"), end_run(self))[1])
    kept = resident.Resident()
    kept.answering()
    answer = lint_json(root, [root / "policies"], kept, cache)
    assert ended == []
    kept.answered()
    assert ended == ["index", "run"]
    assert answer == lint_json(root, [root / "policies"], None, None)
    ended.clear()
    lint_json(root, [root / "policies"], kept, cache)
    assert ended == ["index", "run"]


def test_a_server_loads_a_tool_file_again_only_when_its_bytes_change(tmp_path, monkeypatch):
    """Rule files and the obligations table: loaded once per content in a server, every time in a run."""
    path, loads = tmp_path / "obligations.yaml", []

    def load(file: Path) -> str:
        loads.append(file)
        return file.read_text()

    path.write_text("a: 1\n")
    assert [toolfile.once_per_content(path, load) for _ in range(2)] == ["a: 1\n"] * 2 and len(loads) == 2
    monkeypatch.setattr(resident, "CURRENT", resident.Resident())
    assert [toolfile.once_per_content(path, load) for _ in range(2)] == ["a: 1\n"] * 2 and len(loads) == 3
    path.write_text("a: 2\n")
    assert toolfile.once_per_content(path, load) == "a: 2\n" and len(loads) == 4


def test_a_run_that_reads_nothing_forgets_nothing_and_one_that_reads_forgets_the_rest(tmp_path):
    limits = Settings().limits
    (tmp_path / "a.yaml").write_bytes(b"a: 1\n")
    (tmp_path / "b.yaml").write_bytes(b"b: 1\n")
    for name in ("a.yaml", "b.yaml"):
        os.utime(tmp_path / name, ns=(PAST, PAST))
    kept = resident.Resident()
    for name in ("a.yaml", "b.yaml"):
        kept.read(tmp_path / name, name, limits)
    kept.end_run()
    kept.end_run()  # read nothing
    assert kept._read.keys() == {str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")}
    kept.read(tmp_path / "a.yaml", "a.yaml", limits)
    kept.end_run()
    assert kept._read.keys() == {str(tmp_path / "a.yaml")}


def test_a_value_stays_while_one_of_the_last_eight_runs_that_read_files_used_it(tmp_path):
    """The rules as loaded (a value the stages compute) must outlive runs the index answers whole,
    which use none of them; what no run among the last eight used is forgotten."""
    (tmp_path / "a.yaml").write_bytes(b"a: 1\n")
    os.utime(tmp_path / "a.yaml", ns=(PAST, PAST))
    kept, computed = resident.Resident(), []

    def run(uses: bool) -> None:
        kept.read(tmp_path / "a.yaml", "a.yaml", Settings().limits)
        if uses:
            kept.value("rules", lambda: computed.append(len(computed)))
        kept.end_run()

    for uses in [True, *[False] * 7, True]:
        run(uses)
    assert computed == [0]
    for uses in [*[False] * 8, True]:
        run(uses)
    assert computed == [0, 1]


# --- the server and its client, as processes --------------------------------------------------------


@pytest.fixture
def short_cache(monkeypatch):
    """A cache directory whose socket path fits AF_UNIX's limit (a test's tmp_path may not)."""
    directory = Path(tempfile.mkdtemp(prefix="coh-"))
    monkeypatch.setenv("COHERENCE_CACHE_DIR", str(directory))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def test_only_lint_runs_that_read_no_stdin_ask_no_help_and_use_the_index_go_to_a_server():
    assert client.servable(["lint"]) and client.servable(["lint", "policies/a.yaml", "--format", "json"])
    for argv in (["rules"], ["lint", "-"], ["lint", "--no-cache"], ["lint", "--help"], ["lint", "-h"], []):
        assert not client.servable(argv), argv


@contextlib.contextmanager
def fake_server(path: Path, reply: bytes):
    """A socket at `path` that answers its first request with `reply`; yields the requests it got."""
    got: list[bytes] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(path))
        listener.listen(1)
        listener.settimeout(10)

        def answer_once():
            with contextlib.suppress(OSError):
                connection, _ = listener.accept()
                with connection:
                    got.append(connection.recv(1 << 16))
                    connection.sendall(reply)

        fake = threading.Thread(target=answer_once, daemon=True)
        fake.start()
        yield got


GOOD = b"8\n1 2\nhiho"  # exit 1, "hi" on stdout, "ho" on stderr


def test_a_client_asks_only_a_server_whose_directory_no_one_else_may_write(short_cache, monkeypatch, capfd):
    monkeypatch.chdir(short_cache)
    path = Path(client.socket_path(str(short_cache)))
    path.parent.mkdir()
    os.chmod(path.parent, 0o755)
    with fake_server(path, GOOD) as got:
        assert client.ask(["lint"]) is None and not got
    path.unlink()
    os.chmod(path.parent, 0o700)
    with fake_server(path, GOOD) as got:
        assert client.ask(["lint", "x.yaml"]) == 1
    assert client.parse_request(got[0].partition(b"\n")[2])[0] == ["lint", "x.yaml"]
    assert capfd.readouterr() == ("hi", "ho")


@pytest.mark.parametrize(
    "reply",
    [
        b"",  # died before answering
        b"8\n1 2\nhi",  # died while answering
        b"[1]\n",  # not a frame
        b"9" * 30 + b"\n",  # a length no answer has
        client.frame(b"1 9\nhiho"),  # stdout longer than the answer
        client.frame(b"x 2\nhiho"),  # no exit code
        client.frame(b"1 2"),  # no line of numbers
    ],
)
def test_a_client_whose_server_dies_or_answers_nonsense_runs_the_command_itself(short_cache, monkeypatch, capfd, reply):
    monkeypatch.chdir(short_cache)
    path = Path(client.socket_path(str(short_cache)))
    path.parent.mkdir(mode=0o700)
    with fake_server(path, reply) as got:
        assert client.ask(["lint"]) is None
    assert got and capfd.readouterr() == ("", "")


@given(
    st.lists(
        st.text(st.characters(blacklist_characters="\0", blacklist_categories=["Cs"])) | st.just("\udcff"), max_size=5
    ),
    st.tuples(st.booleans(), st.booleans()),
    st.binary(),
    st.binary(),
    st.integers(-(2**31), 2**31),
)
def test_requests_and_answers_come_through_whole_and_anything_else_is_none(argv, tty, out, err, code):
    """What a client sends is what a server reads, and back; no bytes make either raise."""
    encoding = ("utf-8", "strict", "cp1252", "backslashreplace")
    assert client.parse_request(client.request(argv, tty, encoding)) == (argv, tty, encoding)
    assert client.parse_answer(client.answer(code, out, err)) == (code, out, err)
    for body in (out, err, out[:7] + b"\n" + err):
        client.parse_request(body), client.parse_answer(body)  # None or a value, never an error
    whole = client.frame(out)
    for sent, received in ((whole, out), (whole[: len(whole) // 2], None), (whole + b"?", None)):
        a, b = socket.socketpair()  # one frame a connection: the sender may die or say more
        with a, b:
            a.sendall(sent)
            a.shutdown(socket.SHUT_WR)
            assert client.receive(b) == received


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "coherence_rules", *args]


@pytest.fixture
def server(tmp_path):
    """A copy of the sample corpus and a server for it; a cache directory short enough for a socket."""
    root = tmp_path / "repository"
    shutil.copytree(REPO / "policies", root / "policies")
    for file in root.rglob("*.yaml"):
        os.utime(file, ns=(PAST, PAST))
    log = tmp_path / "server.log"
    with serving(_command("serve"), root, dict(os.environ), log) as (process, env):
        yield root, env, log, process


def _run(root: Path, env: dict, *args: str) -> tuple[int, bytes, bytes]:
    done = subprocess.run(_command(*args), cwd=root, env=env, capture_output=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


def _answered(log: Path) -> int:
    return sum(line.startswith("coherence lint") for line in log.read_text().splitlines())


@pytest.mark.slow
def test_a_server_prints_what_a_local_run_prints_and_stops_cleanly(server, tmp_path):
    root, env, log, process = server
    alone = {**env, "COHERENCE_CACHE_DIR": str(tmp_path / "no-server")}  # another socket: a local run
    commands = [
        ["lint", "--as-of", AS_OF.isoformat()],
        ["lint", "policies/xaa/overseas-employment-strategy-2025.yaml", "--as-of", AS_OF.isoformat()],
        ["lint", "--format", "json", "--select", "HC,BA", "--as-of", AS_OF.isoformat()],
        ["lint", "--format", "sarif", "--fail-on", "error", "--as-of", AS_OF.isoformat()],
        ["lint", "no/such/file.yaml"],
    ]
    for args in [*commands, *commands]:  # the second time from memory
        assert _run(root, env, *args) == _run(root, alone, *args), args
    assert _answered(log) == 2 * len(commands)
    strategy = root / "policies/xaa/overseas-employment-strategy-2025.yaml"
    strategy.write_text(strategy.read_text().replace("stance: facilitate", "stance: restrict", 1))
    (root / "policies/xaa/broken.yaml").write_text("kind: [unclosed\n")
    for args in commands:
        assert _run(root, env, *args) == _run(root, alone, *args), args
    assert _answered(log) == 3 * len(commands)

    second = subprocess.run(_command("serve"), cwd=root, env=env, capture_output=True, timeout=60)
    assert second.returncode == 2 and b"a server already answers" in second.stderr
    assert second.stderr.count(b"\n") == 1  # one line

    socket_file = serve_socket(root, env)
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    assert not socket_file.exists()
    assert _run(root, env, *commands[0]) == _run(root, alone, *commands[0])  # no server: a local run


def serve_socket(root: Path, env: dict) -> Path:
    code = "import os, sys; from coherence_rules import client; sys.stdout.write(client.socket_path(os.getcwd()))"
    return Path(subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True).stdout)


@pytest.mark.slow
def test_a_malformed_request_gets_no_answer_and_the_server_goes_on(server, tmp_path):
    root, env, log, _ = server
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(str(serve_socket(root, env)))
        connection.sendall(client.frame(client.request(["rules"], (False, False), ("utf-8",) * 4)))
        assert connection.recv(100) == b""  # closed without an answer: the client runs it itself
    alone = {**env, "COHERENCE_CACHE_DIR": str(tmp_path / "no-server")}
    args = ["lint", "--as-of", AS_OF.isoformat()]
    assert _run(root, env, *args) == _run(root, alone, *args)
    assert _answered(log) == 1
