"""The corpus index (coherence_rules/corpus_index.py): a warm run parses nothing and takes positions
from the index; a wrong, corrupt or foreign entry is a miss, a damaged or foreign database is made
again, a locked one is gone without, never a traceback and never a different finding; runs share it."""

import base64
import dataclasses
import datetime as dt
import functools
import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from array import array
from pathlib import Path

import hypothesis
import pytest
import yaml
from conftest import AS_OF, LAW, STRATEGY, index_rows, set_index_row
from hypothesis import strategies as st

from coherence_rules import corpus_index, load, validate
from coherence_rules.placing import placing

REPO = Path(__file__).resolve().parents[1]
FILES = {
    "strategy.yaml": STRATEGY,
    "law.yaml": LAW.replace("id: XAA-LAW", "id: XAA-LAW\nperiod: {from: 2020-01-01}"),
}


def findings(report):
    return [f.to_dict() for f in report.findings]


@pytest.fixture
def per_stage(monkeypatch):
    """Runs that never take a whole report from the index: what the stages below it keep is tested."""
    monkeypatch.setattr(corpus_index.CorpusIndex, "report", lambda self, key, corpus: None)


@pytest.fixture
def parsed(monkeypatch):
    """The corpus files libyaml composes in a run (the rule pack's own files are not counted)."""
    texts = []
    original = yaml.compose_all

    def compose_all(stream, *args, **kwargs):
        if isinstance(stream, str) and stream.startswith("coherence: 1"):
            texts.append(stream)
        return original(stream, *args, **kwargs)

    monkeypatch.setattr(load.yaml, "compose_all", compose_all)
    return texts


def test_a_warm_run_parses_nothing_and_takes_every_position_from_the_index(corpus, tmp_path_factory, parsed, per_stage):
    index = tmp_path_factory.mktemp("index")
    cold = findings(corpus(FILES, cache_dir=index))
    assert len(parsed) == 2 and any(f["rule"] == "HC001" for f in cold)
    parsed.clear()
    assert findings(corpus(FILES, cache_dir=index)) == cold
    assert parsed == []  # values, load findings and positions all came from the index
    assert findings(corpus(FILES)) == cold  # and are those of a run without it


def test_a_whole_run_takes_each_file_as_its_window_of_the_index_is_read(tmp_path, monkeypatch, parsed, per_stage):
    """A warm whole run reads the index's file entries a window at a time, in path order, and takes
    each file's records as it comes: when the first record is taken (from its summary), only the
    first window has been read (every file's values at once were a fifth of a large run's memory)."""
    sys.path.insert(0, str(REPO / "bench"))
    import corpus_gen

    from coherence_rules import Settings, lint, summaries

    corpus_gen.write(corpus_gen.generate(5, 60, density=10), tmp_path / "policies")
    settings = Settings(
        cwd=tmp_path, as_of=AS_OF, targets=[], cache_dir=tmp_path.parent / f"{tmp_path.name}-index", jobs=1
    )
    cold = findings(lint(settings))
    windows, read_when_taken = [], []
    files, summarised = corpus_index.CorpusIndex.files, summaries.summarised
    monkeypatch.setattr(load, "WINDOW", 4)
    monkeypatch.setattr(
        corpus_index.CorpusIndex, "files", lambda self, wanted: windows.append(len(wanted)) or files(self, wanted)
    )
    monkeypatch.setattr(summaries, "summarised", lambda d: read_when_taken.append(len(windows)) or summarised(d))
    parsed.clear()
    assert findings(lint(settings)) == cold and parsed == []
    assert len(windows) > 3 and max(windows) <= 4 and read_when_taken[0] == 1


def test_a_warm_run_validates_only_the_records_of_changed_files_and_those_whose_facts_it_builds(
    corpus, tmp_path_factory, monkeypatch, per_stage
):
    """The index keeps each valid record's summary (summaries.py): a warm run takes the records of
    unchanged files from it, without validating them; after an edit, it validates the edited
    file's records and those whose facts it builds for the engine (the edited shard's), and its
    report is the one a run without the index gives."""

    index = tmp_path_factory.mktemp("index")
    files = {**FILES, "xab.yaml": LAW.replace("XAA", "XAB"), "institution.yaml": GOOD_INSTITUTION.format(n=1)}
    cold = findings(corpus(files, cache_dir=index))
    validated = []
    check = validate.validate_document
    monkeypatch.setattr(validate, "validate_document", lambda d: validated.append(d.path) or check(d))
    assert findings(corpus(files, cache_dir=index)) == cold and validated == []
    files["strategy.yaml"] = files["strategy.yaml"].replace("stance: facilitate", "stance: protect")
    edited = findings(corpus(files, cache_dir=index))
    assert sorted(validated) == ["law.yaml", "strategy.yaml"]  # XAA's shard missed: its law's facts were built
    assert edited == findings(corpus(files)) != cold


def test_a_records_summary_comes_back_from_the_index_as_every_run_reads_it():
    """Every record of the sample and of a generated corpus: its summary, through the index's JSON,
    is what each function that reads it gives from the model (context part, leads, coordination,
    parties, fact bound, name, owner, agreement title); a record that answers from it is read the same."""
    import pydantic_core

    from coherence_rules import summaries
    from coherence_rules.corpus_index import StoredSummary
    from coherence_rules.facts import context, context_reads

    valid = _dated_records()
    ctx = context(valid, AS_OF)
    for entry in valid.records:
        made = summaries.summary(entry)
        stored = StoredSummary.model_validate_json(pydantic_core.to_json(summaries.encoded(made)))
        told = summaries.decoded(stored, entry.document)
        assert told == made, entry.id
        assert made["placing"] == placing(entry.document)
        reads = context_reads(entry, ctx)
        answering = dataclasses.replace(entry, document=dataclasses.replace(entry.document, told=told), held=None)
        assert context_reads(answering, ctx) == reads and answering.held is None, entry.id
        assert validate._header(answering.document) == validate._header(entry.document), entry.id
    kinds = {entry.kind for entry in valid.records}
    assert kinds == {"policy", "agreement", "institution", "commitments"}


@pytest.mark.parametrize(
    "wrong",
    [
        {"name": 3},
        {"context_part": ["X", "in_force", [["not a date", "in_force"]], None, [], [], None, None]},
        {"fact_bound": -1},
        {"leads": "XAA-MOL"},
        {"agreement_title": ["only the key"]},
    ],
    ids=["a name as a number", "a history without its date", "a negative bound", "leads as text", "a title cut"],
)
def test_a_summary_the_index_holds_wrong_is_no_summary(corpus, tmp_path_factory, monkeypatch, per_stage, wrong):
    """A summary of another shape (stored whole, sealed) is none: the record is validated again."""

    index = tmp_path_factory.mktemp("index")
    cold = findings(corpus(FILES, cache_dir=index))
    for key, row in index_rows(index, "summaries").items():
        entry = json.loads(row)
        entry["summaries"] = {place: {**told, **wrong} for place, told in entry["summaries"].items()}
        set_index_row(index, key, json.dumps(entry), "summaries", sealed=True)
    validated = []
    check = validate.validate_document
    monkeypatch.setattr(validate, "validate_document", lambda d: validated.append(d.path) or check(d))
    assert findings(corpus(FILES, cache_dir=index)) == cold
    assert sorted(validated) == ["law.yaml", "strategy.yaml"]


def test_files_with_any_line_break_are_served_from_the_index(corpus, tmp_path_factory, parsed, per_stage):
    index = tmp_path_factory.mktemp("index")
    files = {name: text.replace("\n", "\r") for name, text in FILES.items()}  # YAML counts a lone CR as a break
    cold = findings(corpus(files, cache_dir=index))
    assert any(f["rule"] == "HC001" and f["location"]["line"] == 8 for f in cold)
    parsed.clear()
    assert findings(corpus(files, cache_dir=index)) == cold and parsed == []


def test_a_position_past_what_16_bits_hold_is_kept_exactly_parsed_and_from_the_index(
    corpus, tmp_path_factory, parsed, per_stage
):
    """Positions are packed in 16 bits when a document's lines and columns fit, else in 32."""
    objective = "{id: O1, stance: restrict, groups: [low_skilled_worker], areas: [entry]}"
    before, _ = FILES["law.yaml"].split("objectives:")
    wide_line = "objectives:" + " " * 70_000 + f"[{objective}]"
    files = {**FILES, "law.yaml": f"{before}{wide_line}\n"}
    line, column = before.count("\n") + 1, wide_line.index(objective) + 1
    assert column > 1 << 16
    index = tmp_path_factory.mktemp("index")
    cold = findings(corpus(files, cache_dir=index))
    located = {(loc["path"], loc["line"], loc["column"]) for f in cold for loc in [f["location"], *f["related"]]}
    assert ("law.yaml", line, column) in located
    parsed.clear()
    assert findings(corpus(files, cache_dir=index)) == cold and parsed == []


# --- entries ---------------------------------------------------------------------------------------


def _positions(entry: dict, change) -> dict:
    """The entry with its first document's packed positions changed."""
    document = entry["documents"][0]
    packed = array(load.POSITION_TYPE, base64.b64decode(document["positions"]))
    change(packed)
    return {**entry, "documents": [{**document, "positions": base64.b64encode(packed.tobytes()).decode()}]}


def _set(packed, at, *values):
    packed[at : at + len(values)] = array(load.POSITION_TYPE, values)


def _drop_last(packed):
    del packed[-4:]


def wrong_entries(original: bytes) -> dict:
    entry = json.loads(original)
    documents = entry["documents"]
    wrong = {
        "empty": b"",
        "not JSON": b"{not json",
        "truncated JSON": original[: len(original) // 2],
        "not an entry": b"[]",
        "not UTF-8": b"\xff\xfe",
        "an SQL integer": 42,
        "for other bytes": {**entry, "content": "0" * 64},
        "copied from another key": {**entry, "key": "0" * 64},
        "another format": {**entry, "format": 2},
        "a position of one number": {**entry, "findings": [{"rule": "E001", "message": "x", "where": [[1]]}]},
        "not a load finding": {**entry, "findings": [{"rule": "HC001", "message": "x", "where": [[1, 1]]}]},
        "a date where there is none": {
            **entry,
            "documents": [{**documents[0], "dates": [{"path": ["nope", 3], "kind": "date"}]}],
        },
        "a negative document index": {**entry, "documents": [{**documents[0], "index": -1}]},
        "a document index as text": {**entry, "documents": [{**documents[0], "index": "0"}]},
        "the JSON-file format's document": {**entry, "documents": [[0, {}, []]]},
        "positions that are not base64": {**entry, "documents": [{**documents[0], "positions": "%%%"}]},
        "positions pointing past the file": _positions(entry, lambda p: _set(p, 4, 900, 1, 900, 5)),
        "a position without its column": _positions(entry, lambda p: _set(p, 4, 3, 0)),
        "a position ending before it starts": _positions(entry, lambda p: _set(p, 4, 5, 1, 2, 1)),
        "no position for the document": _positions(entry, lambda p: _set(p, 0, 0, 0, 0, 0)),
        "a node without positions": _positions(entry, _drop_last),
        "deep nesting": b'{"format": 4, "documents": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "a huge number": ("{" + '"x": ' * 10 + "9" * 5000 + "}").encode(),
        "a value changed in place": original.replace(b"in_force", b"repealed"),
    }
    return {name: value if isinstance(value, (bytes, int)) else json.dumps(value) for name, value in wrong.items()}


# Wrong entries that only their seal tells from right ones: no writer of this format stores them.
CAUGHT_BY_THE_SEAL_ALONE = {"a position without its column", "a node without positions", "a value changed in place"}


def _as_stored(wrong: dict) -> list[tuple[str, object, bool]]:
    """Each wrong entry as damage (its seal the right entry's) and, but for those only the seal
    catches, stored whole with its own seal (shapes no writer of this format stores)."""
    return [(name, value, False) for name, value in wrong.items()] + [
        (f"{name}, sealed", value, True)
        for name, value in wrong.items()
        if name not in CAUGHT_BY_THE_SEAL_ALONE and not isinstance(value, int)
    ]


def test_a_wrong_or_corrupt_file_entry_is_a_miss(corpus, tmp_path_factory, parsed, per_stage):
    index = tmp_path_factory.mktemp("index")
    reference = findings(corpus(FILES, cache_dir=index))
    rows = index_rows(index)
    (law,) = [key for key, entry in rows.items() if b"XAA-LAW" in entry]
    assert b"in_force" in rows[law]
    for name, wrong, sealed in _as_stored(wrong_entries(rows[law])):
        set_index_row(index, law, wrong, sealed=sealed)
        parsed.clear()
        assert findings(corpus(FILES, cache_dir=index)) == reference, name
        assert len(parsed) == 1 and "XAA-LAW" in parsed[0], name  # a miss: the law was parsed again
        assert index_rows(index)[law] == rows[law], name  # and its entry written again


# --- the database ---------------------------------------------------------------------------------


def _garbage(path):
    path.write_bytes(b"this is not a database\n" * 500)


def _truncated(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _foreign(path):
    path.unlink()
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (text TEXT)")


def _other_format(path):
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {corpus_index.FORMAT - 1}")


def _emptied(path):
    path.write_bytes(b"")


@pytest.mark.parametrize("damage", [_garbage, _truncated, _foreign, _other_format, _emptied])
def test_a_damaged_or_foreign_database_is_made_again(corpus, tmp_path_factory, damage):
    index = tmp_path_factory.mktemp("index")
    files = {**FILES, **{f"more/institution-{n}.yaml": GOOD_INSTITUTION.format(n=n) for n in range(40)}}
    reference = findings(corpus(files, cache_dir=index))
    damage(index / corpus_index.DATABASE)
    for _ in range(2):  # the run that finds the damage, and the one after it
        assert findings(corpus(files, cache_dir=index)) == reference
    with sqlite3.connect(index / corpus_index.DATABASE) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA user_version").fetchone() == (corpus_index.FORMAT,)
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")]
    assert tables == sorted(corpus_index.SCHEMA) and len(index_rows(index)) == len(files)


GOOD_INSTITUTION = """\
coherence: 1
kind: institution
id: XAA-I{n}
name: Institution {n} (fictional)
jurisdiction: {{country: XAA, level: national}}
type: agency
"""


def test_a_locked_database_is_gone_without_and_a_busy_one_is_read_not_written(corpus, tmp_path_factory, monkeypatch):
    index = tmp_path_factory.mktemp("index")
    reference = findings(corpus(FILES, cache_dir=index))
    monkeypatch.setattr(corpus_index, "BUSY_TIMEOUT", 0.2)
    changed = {**FILES, "strategy.yaml": FILES["strategy.yaml"] + "title: Changed\n"}
    expected = findings(corpus(changed))
    holder = sqlite3.connect(index / corpus_index.DATABASE, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another run writing: this one reads, and cannot write
        assert findings(corpus(changed, cache_dir=index)) == expected
        holder.execute("ROLLBACK")
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")  # nobody else may even read: this run goes without
        started = time.monotonic()
        assert findings(corpus(changed, cache_dir=index)) == expected
        assert time.monotonic() - started < 30
    finally:
        holder.close()
    assert len(index_rows(index)) == 2  # neither run wrote the changed strategy
    assert findings(corpus(FILES, cache_dir=index)) == reference


def test_a_run_writes_what_it_learns_as_it_goes_and_never_waits_for_another_to_do_so(
    corpus, tmp_path_factory, parsed, monkeypatch
):
    """Past WRITE_AT bytes pending, a run writes them in a transaction of its own, unless
    another run is writing: then it keeps them, does not wait, goes on reading the index and
    writes them as it ends."""
    monkeypatch.setattr(corpus_index, "WRITE_AT", 1)  # every entry as soon as it is learnt
    index = tmp_path_factory.mktemp("index")
    written_before_the_end, others = [], []
    close = corpus_index.CorpusIndex.close

    def spied_close(self):
        written_before_the_end.append(len(index_rows(index)) + len(index_rows(index, "facts")))
        for other in others:
            other.execute("ROLLBACK")  # the other run is done as this one ends
        close(self)

    monkeypatch.setattr(corpus_index.CorpusIndex, "close", spied_close)
    cold = findings(corpus(FILES, cache_dir=index))
    assert written_before_the_end[0] > 2 and cold == findings(corpus(FILES))
    parsed.clear()
    assert findings(corpus(FILES, cache_dir=index)) == cold and parsed == []

    changed = {**FILES, "strategy.yaml": FILES["strategy.yaml"] + "title: Changed\n"}
    expected = findings(corpus(changed))
    holder = sqlite3.connect(index / corpus_index.DATABASE, isolation_level=None, timeout=0)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another run writing
        others.append(holder)
        parsed.clear()
        started = time.monotonic()
        assert findings(corpus(changed, cache_dir=index)) == expected
        assert written_before_the_end[-1] == written_before_the_end[0]  # nothing written meanwhile
        assert len(parsed) == 1  # the changed file: the other came from the index
        assert time.monotonic() - started < corpus_index.BUSY_TIMEOUT  # it never waited
    finally:
        holder.close()
    others.clear()
    parsed.clear()
    assert findings(corpus(changed, cache_dir=index)) == expected and parsed == []  # written as it ended


def test_the_database_and_its_journal_take_the_users_umask(corpus, tmp_path_factory):
    for mask, mode in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        index = tmp_path_factory.mktemp("index")
        previous = os.umask(mask)
        try:
            corpus(FILES, cache_dir=index)
            reader = sqlite3.connect(index / corpus_index.DATABASE)  # keeps the journal after the next run
            reader.execute("SELECT count(*) FROM files").fetchone()
            corpus({**FILES, "law.yaml": LAW}, cache_dir=index)
            reader.close()
        finally:
            os.umask(previous)
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in index.iterdir()}
        assert modes[corpus_index.DATABASE] == mode and set(modes.values()) == {mode}, modes


def test_entries_no_run_used_for_a_month_are_deleted(corpus, tmp_path_factory):
    index = tmp_path_factory.mktemp("index")
    corpus({**FILES, "old.yaml": GOOD_INSTITUTION.format(n=9)}, cache_dir=index)
    (corpus.root / "old.yaml").unlink()
    with sqlite3.connect(index / corpus_index.DATABASE) as db:
        db.execute(f"UPDATE files SET used = used - {corpus_index.KEEP_DAYS + 1}")  # a month without a run
    corpus({}, cache_dir=index)
    kept = index_rows(index).values()
    assert len(kept) == 2 and not any(b"XAA-I9" in entry for entry in kept)  # the files this run read stay


@pytest.mark.slow
def test_runs_at_once_share_the_index(tmp_path, tmp_path_factory):
    (tmp_path / "policies").mkdir()
    for name, text in FILES.items():
        (tmp_path / "policies" / name).write_text(text)
    for n in range(60):
        (tmp_path / "policies" / f"institution-{n}.yaml").write_text(GOOD_INSTITUTION.format(n=n))
    index = tmp_path_factory.mktemp("index")  # outside the working directory: there, it would not be used
    env = {**os.environ, "COHERENCE_CACHE_DIR": str(index)}
    command = [sys.executable, str(REPO / "cli.py"), "lint", "--format", "json", "--as-of", "2026-11-23"]
    runs = [
        subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [run.communicate() for run in runs]
    assert [run.returncode for run in runs] == [1] * 4, [err for _, err in outputs]
    assert len({out for out, _ in outputs}) == 1 and all(err == "" for _, err in outputs)
    with sqlite3.connect(index / corpus_index.DATABASE) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert len(index_rows(index)) == 62
    warm = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert warm.stdout == outputs[0][0]


# --- shard matches --------------------------------------------------------------------------------


def _in(country, text):
    return text.replace("XAA", country)


# Two countries, each with a strategy and a law in conflict (HC001), an agreement between them (both
# parties' records: pair shards), and an institution each.
TWO_COUNTRIES = {
    **{f"{c.lower()}/strategy.yaml": _in(c, STRATEGY) for c in ("XAA", "XAB")},
    **{f"{c.lower()}/law.yaml": _in(c, LAW) for c in ("XAA", "XAB")},
    **{f"{c.lower()}/ministry.yaml": _in(c, GOOD_INSTITUTION.format(n=1)) for c in ("XAA", "XAB")},
    **{
        f"{c.lower()}/agreement.yaml": f"""\
coherence: 1
kind: agreement
id: XAA-XAB-LABOUR@{c}
agreement: XAA-XAB-LABOUR
recorded_by: {c}
title: Labour agreement (fictional)
type: labour
status: in_force
parties: [XAA, XAB]
"""
        for c in ("XAA", "XAB")
    },
}


@pytest.fixture
def engine_runs(monkeypatch):
    """The shards the engine is asked about in a run (serial runs), by key."""
    from coherence_rules.shard_facts import ShardFacts

    asked = []
    original = ShardFacts.found

    def found(self, run, result):
        if result is not None:  # the engine ran (None: the index held every group's matches)
            asked.append(run.shard.key)
        return original(self, run, result)

    monkeypatch.setattr(ShardFacts, "found", found)
    return asked


def test_a_warm_run_asks_the_engine_only_about_shards_whose_facts_changed(corpus, tmp_path_factory, engine_runs):
    from coherence_rules.formats import render

    index = tmp_path_factory.mktemp("index")

    def indexed(files):
        """The report of a serial run with the index, the shards the engine ran, and whether the
        report is byte for byte that of a run without it."""
        engine_runs.clear()
        report = corpus(files, jobs=1, cache_dir=index)
        ran = sorted(engine_runs)
        return report, ran, render("json", report) == render("json", corpus(files, jobs=1))

    cold, ran, same = indexed(TWO_COUNTRIES)
    assert ran == ["XAA", "XAA|XAB", "XAB"] and same and any(f.rule == "HC001" for f in cold.findings)
    assert indexed(TWO_COUNTRIES)[1:] == ([], True)  # nothing changed: no shard for the engine
    # One changed file: only the shards whose facts it changed (the pair rules read nothing of a law
    # without a corridor: the pair shard's facts are the same).
    changed = {**TWO_COUNTRIES, "xab/law.yaml": _in("XAB", LAW).replace("restrict", "protect")}
    assert indexed(changed)[1:] == (["XAB"], True)
    changed["xab/agreement.yaml"] = TWO_COUNTRIES["xab/agreement.yaml"].replace("in_force", "suspended")
    assert indexed(changed)[1:] == (["XAA", "XAB"], True)  # an agreement is in both its parties' shards
    # A record added before every other (a file sorted first) shifts their corpus indices; in a
    # shard, records are numbered by their place in it, so only the new record's shard runs.
    added = {**changed, "aaa/plan.yaml": _in("XAB", STRATEGY).replace("XAB-STRATEGY", "XAB-PLAN")}
    assert indexed(added)[1:] == (["XAB"], True)
    # An institution no rule reads anything of gives no fact: no shard changes.
    assert indexed({**added, "aaa/office.yaml": _in("XAA", GOOD_INSTITUTION.format(n=2))})[1:] == ([], True)


TARGETS = """\
coherence: 1
kind: policy
id: XAA-{name}
type: strategy
status: in_force
period: {{from: 2025-01-01, to: 2029-12-31}}
jurisdiction: {{country: XAA, level: national}}
objectives:
  - id: O1
    stance: facilitate
    groups: [emigrant]
    areas: [exit]
    corridor: {{origin: XAA, destination: XAB}}
    indicators:
      - {{name: deployments_per_year, target: {target}, unit: persons, year: 2027}}
"""


def test_an_edited_target_runs_only_the_rules_that_read_targets(corpus, tmp_path_factory, monkeypatch):
    """A shard's matches are kept per group of rules reading the same fact types: after an edit
    that changes only an indicator's target, the engine runs only the rules that read indicator
    facts, in the edited country's shard, and the report is the one a run without the index gives."""
    from coherence_rules.shard_facts import ShardFacts

    ran = []  # (shard, the rules the engine ran there)
    original = ShardFacts.found

    def found(self, run, result):
        if result is not None:
            ran.append((run.shard.key, sorted(run.pack.by_id)))
        return original(self, run, result)

    monkeypatch.setattr(ShardFacts, "found", found)
    # An overseas employment strategy and an employment policy of XAA set different 2027 targets (TG001).
    files = {
        **TWO_COUNTRIES,
        "xaa/overseas.yaml": TARGETS.format(name="OVERSEAS-STRATEGY", target=20000),
        "xaa/employment.yaml": TARGETS.format(name="EMPLOYMENT-POLICY", target=35000),
    }
    index = tmp_path_factory.mktemp("index")
    cold = corpus(files, cache_dir=index, jobs=1)
    assert {"HC001", "TG001"} <= {f.rule for f in cold.findings}
    every_rule = {rule for _, rules in ran for rule in rules}
    ran.clear()
    agreed = {**files, "xaa/employment.yaml": TARGETS.format(name="EMPLOYMENT-POLICY", target=20000)}
    warm = corpus(agreed, cache_dir=index, jobs=1)
    assert [key for key, _ in ran] == ["XAA"]
    rerun = set(ran[0][1])
    assert {"TG001", "TG004"} <= rerun and not rerun & {"HC001", "RI001", "BA001"}  # no rule that reads no target
    assert len(rerun) < len(every_rule) / 3
    assert "TG001" not in {f.rule for f in warm.findings} and "HC001" in {f.rule for f in warm.findings}
    from coherence_rules.formats import render

    assert render("json", warm) == render("json", corpus(agreed, jobs=1))


def test_a_one_file_run_after_a_whole_run_asks_the_engine_nothing(corpus, tmp_path_factory, engine_runs):
    index = tmp_path_factory.mktemp("index")
    corpus(TWO_COUNTRIES, cache_dir=index, jobs=1)
    engine_runs.clear()
    law = corpus.root / "xaa" / "law.yaml"
    report = corpus({}, cache_dir=index, jobs=1, targets=[law])
    assert engine_runs == [] and "HC001" in {f.rule for f in report.findings}
    assert findings(report) == findings(corpus({}, jobs=1, targets=[law]))


def test_worker_processes_take_only_the_shards_the_index_does_not_know(corpus, tmp_path_factory, monkeypatch):
    from coherence_rules import evaluate
    from coherence_rules.shard_facts import ShardFacts

    sent = []  # the shards whose matches the index does not hold: a worker evaluates them
    original = ShardFacts.known

    def known(self, shard):
        found = original(self, shard)
        if found is None:
            sent.append(shard.key)
        return found

    monkeypatch.setattr(ShardFacts, "known", known)
    monkeypatch.setattr(evaluate, "WORKERS_FROM", 1)
    index = tmp_path_factory.mktemp("index")
    corpus(TWO_COUNTRIES, cache_dir=index, jobs=2)
    assert sent == ["XAA", "XAB"]  # (the one pair shard is evaluated here)
    sent.clear()
    changed = {**TWO_COUNTRIES, "xab/law.yaml": _in("XAB", LAW).replace("restrict", "protect")}
    report = corpus(changed, cache_dir=index, jobs=2)
    assert sent == ["XAB"]  # XAA's matches are known
    assert findings(report) == findings(corpus(changed, jobs=1))


def test_after_a_few_edits_shards_are_planned_here_and_unchanged_facts_take_their_matches(
    corpus, tmp_path_factory, monkeypatch
):
    """A worker cannot ask the index whether facts built again are facts it knows: with fewer
    records to build than make workers worth it, shards are planned in this process, and a comment
    added to a file (its records' facts built again, the same) asks the engine nothing."""
    from coherence_rules import engine, evaluate

    runs = tmp_path_factory.mktemp("runs") / "engine"  # a line per engine run, in any process
    original = engine.run

    def run(*args):
        with runs.open("a") as log:
            log.write("run\n")
        return original(*args)

    monkeypatch.setattr(engine, "run", run)
    monkeypatch.setattr(evaluate, "WORKERS_FROM", 3)  # the law file's one record is below it
    index = tmp_path_factory.mktemp("index")
    before = corpus(TWO_COUNTRIES, cache_dir=index, jobs=2)
    assert runs.read_text().count("run") == 3  # two countries, one pair
    runs.unlink()
    commented = {**TWO_COUNTRIES, "xab/law.yaml": "# reviewed\n" + _in("XAB", LAW)}
    report = corpus(commented, cache_dir=index, jobs=2)
    said = [[(f["rule"], f["message"], f["records"]) for f in findings(r)] for r in (before, report)]
    assert not runs.exists() and said[0] == said[1] and len(said[0]) > 5  # on lines one further down


def wrong_matches(entry: dict) -> dict:
    (rule_id, q, positions), *rest = entry["matches"]
    binding = sorted(positions)[0]
    fact, *other_facts = entry["facts"]
    wrong = {
        "empty": b"",
        "not JSON": b"[{",
        "not UTF-8": b"\xff",
        "copied from another key": {**entry, "key": "0" * 64},
        "another format": {**entry, "format": 4},
        "without its facts": {k: v for k, v in entry.items() if k != "facts"},
        "a rule of no pack": {**entry, "matches": [["ZZ999", q, positions], *rest]},
        "a query the rule has not": {**entry, "matches": [[rule_id, 99, positions], *rest]},
        "a binding missing": {**entry, "matches": [[rule_id, q, {}], *rest]},
        "a binding too many": {**entry, "matches": [[rule_id, q, {**positions, "zz": 0}], *rest]},
        "a fact past the stored ones": {**entry, "matches": [[rule_id, q, {**positions, binding: 10**6}], *rest]},
        "a negative position": {**entry, "matches": [[rule_id, q, {**positions, binding: -1}], *rest]},
        "a position as text": {**entry, "matches": [[rule_id, q, {**positions, binding: "0"}], *rest]},
        "a match as an object": {**entry, "matches": [{"rule": rule_id}, *rest]},
        "a fact of a record past the shard's": {**entry, "facts": [{**fact, "ri": 10**6}, *other_facts]},
        "a fact of no type": {**entry, "facts": [{k: v for k, v in fact.items() if k != "t"}, *other_facts]},
        "a fact of another type": {**entry, "facts": [{**fact, "t": "zz"}, *other_facts]},
        "a fact as a list": {**entry, "facts": [list(fact.values()), *other_facts]},
    }
    return {name: value if isinstance(value, bytes) else json.dumps(value) for name, value in wrong.items()}


def test_a_wrong_or_corrupt_matches_entry_is_a_miss(corpus, tmp_path_factory, engine_runs, per_stage):
    index = tmp_path_factory.mktemp("index")
    reference = findings(corpus(TWO_COUNTRIES, cache_dir=index, jobs=1))
    rows = index_rows(index, "matches")
    key = next(k for k, entry in rows.items() if b"HC001" in entry)
    for name, wrong, sealed in _as_stored(wrong_matches(json.loads(rows[key]))):
        set_index_row(index, key, wrong, "matches", sealed)
        engine_runs.clear()
        assert findings(corpus(TWO_COUNTRIES, cache_dir=index, jobs=1)) == reference, name
        assert len(engine_runs) == 1, name  # that shard, and only it, was run again
        assert index_rows(index, "matches")[key] == rows[key], name


def test_stored_matches_name_facts_of_the_types_their_bindings_take(corpus):
    """A shard's matches are stored group by group of rules (those reading the same fact types); a
    stored match that names a fact of another type than its pattern's (or past the stored facts)
    makes its group a miss, and the engine then runs that group's rules alone, on the facts of the
    types they read; matches the engine made come back as the engine's."""
    from coherence_rules import pipeline
    from coherence_rules.engine import register, run
    from coherence_rules.facts import context
    from coherence_rules.settings import Settings
    from coherence_rules.shard_facts import ShardFacts
    from coherence_rules.shards import shards
    from coherence_rules.validate import validate

    corpus(TWO_COUNTRIES, select=["LC"])
    root = corpus.root
    rules = [r for r in pipeline.compiled(pipeline.load_rules(Settings(cwd=root))[0]) if r.scope == "country"]
    loaded = [load.load_file(p, p.relative_to(root).as_posix()) for p in sorted(root.rglob("*.yaml"))]
    valid = validate(loaded)
    ctx, pack = context(valid, AS_OF), register(rules)
    shard = shards(valid)[0]

    class Stored:  # an index holding matches by key, and no record's facts
        def __init__(self):
            self.stored = {}

        def matches(self, keys):
            return {key: self.stored[key] for key in keys if key in self.stored}

        def put_matches(self, key, stored):
            self.stored[key] = stored

        def facts(self, keys):
            return {}

        def put_facts(self, key, digest, count, dated):
            pass

    def planned():
        return ShardFacts(pack, ctx, [], index, 0).plan(shard)

    engine_facts = ShardFacts(pack, ctx, [], None, 0).plan(shard).facts  # without an index: for the engine
    result = run(pack, engine_facts)
    assert [m for m in result.matches if m[0] == "HC001"]
    index = Stored()
    missed = planned()
    assert missed.facts == engine_facts and missed.pack is pack  # nothing stored: every group a miss
    found = ShardFacts(pack, ctx, [], index, 0).found(missed, result)  # ... and the engine's matches kept
    assert sorted(index.stored) == sorted(missed.keys) and len(set(missed.keys)) == len(pack.groups)
    for kept in index.stored.values():  # only the facts the matches name
        assert sorted({p for _, _, ps in kept.matches for p in ps.values()}) == list(range(len(kept.facts)))
    hit = planned()
    assert hit.missed == [] and hit.facts == []  # the engine's matches, stored: a hit
    assert ShardFacts(pack, ctx, [], index, 0).found(hit, None) == found
    group = next(g for g, (_, grouped) in enumerate(pack.groups) if "HC001" in {r.id for r in grouped})
    key = missed.keys[group]
    kept = index.stored[key]
    rule_id, q, positions = next(m for m in kept.matches if m[0] == "HC001")
    binding = sorted(positions)[0]
    other = next(i for i, f in enumerate(kept.facts) if f["t"] != kept.facts[positions[binding]]["t"])
    types, grouped = pack.groups[group]
    for wrong in (other, len(kept.facts)):
        index.stored[key] = dataclasses.replace(kept, matches=[(rule_id, q, {**positions, binding: wrong})])
        again = planned()
        assert again.missed == [group]  # that group alone is a miss: its rules run, on their facts
        assert sorted(again.pack.by_id) == sorted(r.id for r in grouped)
        assert again.facts == [f for f in engine_facts if f["t"] in types and again.pack.relevant(f)]
        assert 0 < len(again.facts) < len(engine_facts)
        assert ShardFacts(pack, ctx, [], index, 0).found(again, run(again.pack, again.facts)) == found


def test_a_records_facts_are_built_once_a_run_and_kept_only_until_its_last_shard(monkeypatch):
    """A record belongs to several shards (its country's, its agreements' parties'): its facts are
    built once and kept between them, and each shard gets exactly the facts built afresh."""
    import collections

    from coherence_rules import pipeline, shard_facts
    from coherence_rules.engine import register
    from coherence_rules.facts import context
    from coherence_rules.settings import Settings
    from coherence_rules.shards import shards
    from coherence_rules.validate import validate

    sample = REPO / "policies"
    valid = validate([load.load_file(p, p.as_posix()) for p in sorted(sample.rglob("*.yaml"))])
    pack = register([r for r in pipeline.compiled(pipeline.load_rules(Settings(cwd=REPO))[0]) if r.scope == "country"])
    ctx, planned = context(valid, AS_OF), shards(valid)
    built = collections.Counter()
    original = shard_facts.record_facts
    monkeypatch.setattr(shard_facts, "record_facts", lambda e, c: built.update([e.index]) or original(e, c))
    keeping = shard_facts.ShardFacts(pack, ctx, [], None, 0, planned)
    kept = [keeping.plan(shard).facts for shard in planned]
    assert built and max(built.values()) == 1 and not keeping._kept  # nothing left once the last is planned
    assert max(collections.Counter(e.index for s in planned for e in s.records).values()) > 1
    fresh = shard_facts.ShardFacts(pack, ctx, [], None, 0)  # told no shards: keeps nothing
    assert kept == [fresh.plan(shard).facts for shard in planned]


# --- what a record's facts read beyond the record -----------------------------------------------


def fixture_files(rule_file: str, case: str) -> dict[str, str]:
    spec = yaml.safe_load((REPO / "rules" / rule_file).read_text())
    (files,) = [c["files"] for c in spec["tests"] if c["name"] == case]
    return files


FLIPS = {
    "a lead's parent goes (its line of authority)": (
        "IN/IN003-competing-leads.yaml",
        "a bureau and the ministry it belongs to are one line of authority",
        "institutions.yaml",
        ("parent: XAA-MOL\n", ""),
    ),
    "a coordination body loses its power": (
        "IN/IN002-lead-without-decision-power.yaml",
        "a deciding lead, an unknown lead, a deciding committee, an inactive policy",
        "institutions.yaml",
        ("type: committee\ndecision_power: true", "type: committee\ndecision_power: false"),
    ),
    "a party stops refunding contributions": (
        "SS/SS001-labour-agreement-without-social-security.yaml",
        "a unilateral lump-sum refund is all the workers get",
        "pension-act.yaml",
        ("effect: refund", "effect: grant"),
    ),
}


@pytest.mark.parametrize("flip", FLIPS)
def test_a_change_in_another_record_reaches_the_facts_the_index_remembers(corpus, tmp_path_factory, flip):
    """The index remembers each record's facts by the record and what else they read (other records'
    parents and powers, the refunding countries): a change in another file that changes them is
    never served from memory, and a warm run then reports what a run without the index does."""
    rule_file, case, changed, (old, new) = FLIPS[flip]
    files = fixture_files(rule_file, case)
    assert old in files[changed]
    index = tmp_path_factory.mktemp("index")
    before = findings(corpus(files, cache_dir=index))
    assert findings(corpus(files, cache_dir=index)) == before
    files[changed] = files[changed].replace(old, new)
    after = findings(corpus(files, cache_dir=index))
    assert after != before
    assert after == findings(corpus(files))


def test_a_warm_run_builds_no_record_facts(corpus, tmp_path_factory, monkeypatch, per_stage):
    """Stored matches come with the facts they name: a warm run renders its findings from them."""
    from coherence_rules import shard_facts

    index = tmp_path_factory.mktemp("index")
    files = {**FILES, "institution.yaml": GOOD_INSTITUTION.format(n=1)}
    cold = corpus(files, cache_dir=index)
    built = []
    original = shard_facts.record_facts
    monkeypatch.setattr(
        shard_facts, "record_facts", lambda entry, ctx: built.append(entry.model.id) or original(entry, ctx)
    )
    warm = corpus(files, cache_dir=index)
    assert findings(warm) == findings(cold) and warm.records == 3
    assert {r for f in warm.findings for r in f.records} == {"XAA-LAW", "XAA-STRATEGY"} and built == []


def test_facts_read_the_rest_of_the_corpus_only_where_context_reads_says():
    """context_reads names what a record's facts read beyond the record; a new read of `ctx.corpus`,
    `ctx.authority` or `ctx.refunds` elsewhere in facts.py would let the index (and a server's
    memory of facts keys, shard_facts.py) serve stale facts."""
    import ast

    tree = ast.parse((REPO / "coherence_rules" / "facts.py").read_text())
    readers = set()
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef):
            for node in ast.walk(function):
                read = isinstance(node, ast.Attribute) and node.attr in ("corpus", "authority", "refunds")
                if read and isinstance(node.value, ast.Name) and node.value.id == "ctx":
                    readers.add(function.name)
    # context_reads calls these three for every lead, coordination body and party a record may have.
    assert readers == {"_coordination_powers", "_refunding", "_lead_line"}


@functools.cache
def _dated_records():
    """The sample (EU agreements: a bloc's members by date) and a generated corpus (agreements
    signed, institutions ended, periods ending, ratifications dated) validated once."""
    sys.path.insert(0, str(REPO / "bench"))
    import tempfile

    import corpus_gen

    from coherence_rules.validate import validate

    generated = Path(tempfile.mkdtemp(prefix="dated-"))
    corpus_gen.write(corpus_gen.generate(3, 300, density=10), generated)
    # Blocs whose members shape facts (the sample's EU agreements admit no group): a corridor to
    # the EU, a labour agreement with the EEA.
    (generated / "blocs.yaml").write_text(
        STRATEGY.replace("coherence: 1", "coherence: 2").replace(
            "areas: [entry]}", "areas: [entry], corridor: {origin: XAA, destination: EU}}"
        )
        + "---\n"
        + "coherence: 2\nkind: agreement\nid: XAA-EEA:XAA\nagreement: XAA-EEA\nrecorded_by: XAA\n"
        "type: labour\nparties: [XAA, EEA]\nstatus: in_force\ngroups: [labour_migrant]\n",
        encoding="utf-8",
    )
    files = [load.load_file(p, p.relative_to(REPO).as_posix()) for p in sorted((REPO / "policies").rglob("*.yaml"))]
    files += [
        load.load_file(p, "gen/" + p.relative_to(generated).as_posix()) for p in sorted(generated.rglob("*.yaml"))
    ]
    return validate(files)


def _facts_and_reads(valid, day):
    from coherence_rules.facts import context, record_facts

    ctx = context(valid, day)
    built = []
    for entry in valid.records:
        with ctx.clock.logging() as reads:
            built.append((record_facts(entry, ctx), reads))
    return ctx, built


DAYS = st.dates(dt.date(1995, 1, 1), dt.date(2040, 12, 31))


@hypothesis.settings(max_examples=30, deadline=None)
@hypothesis.given(DAYS, DAYS)
def test_a_records_facts_stand_on_any_date_where_what_they_read_of_it_answers_the_same(first, second):
    """The index takes a record's facts built on one date for another where the record's standing
    is the same and every read of the date they logged answers the same (facts.Clock): those facts
    are the ones built on that date, for every record of the sample and of a generated corpus."""
    valid = _dated_records()
    before, built_before = _facts_and_reads(valid, first)
    after, built_after = _facts_and_reads(valid, second)
    for entry, (facts, reads), (facts_after, _) in zip(valid.records, built_before, built_after, strict=True):
        if before.standing[entry.index] == after.standing[entry.index] and after.clock.answers(reads):
            assert facts_after == facts, entry.id


def test_the_reads_of_the_date_tell_apart_the_facts_of_two_dates():
    """Ten years apart, records whose reads answer otherwise have other facts (a bloc's members, an
    end passed, a ratification not yet made); records whose reads answer the same, reads included,
    are taken as they were."""
    valid = _dated_records()
    before, built_before = _facts_and_reads(valid, dt.date(2008, 6, 1))
    after, built_after = _facts_and_reads(valid, dt.date(2018, 6, 1))
    kept, differ = 0, 0
    for entry, (facts, reads), (facts_after, _) in zip(valid.records, built_before, built_after, strict=True):
        if before.standing[entry.index] != after.standing[entry.index] or not reads:
            continue
        if after.clock.answers(reads):
            kept += 1
        else:
            differ += facts_after != facts
    names = {read.split(" ")[0] for _, reads in built_before for read in reads}
    assert names == {"reached", "passed", "years_passed", "members"} and kept and differ


def test_the_facts_read_the_reference_date_only_through_the_clock():
    """A read of the date the Clock does not log would let the index serve a record's facts built on
    another date: facts.py reads `_day` in the Clock alone, and no function reads an `as_of` of the
    context (the standing, in the facts key, reads it before the Clock is made)."""
    import ast

    tree = ast.parse((REPO / "coherence_rules" / "facts.py").read_text())
    clock = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Clock")
    inside = {id(node) for node in ast.walk(clock)}
    outside = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "_day" and id(n) not in inside]
    as_of = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "as_of"]
    assert outside == [] and as_of == []


def test_a_run_on_another_date_builds_again_only_the_facts_whose_reads_of_it_answer_otherwise(
    corpus, tmp_path_factory, monkeypatch, per_stage
):
    """The next day's run takes every record's facts from the index; past a law's end, only that
    law's facts are hashed anew (the others' stand; its shard's are built again for the engine);
    each report is the one a run without the index gives."""
    from coherence_rules import shard_facts

    index = tmp_path_factory.mktemp("index")
    ending = LAW.replace("id: XAA-LAW", "id: XAA-LAW\nperiod: {from: 2020-01-01, to: 2027-02-28}")
    files = {**FILES, "law.yaml": ending}
    corpus(files, cache_dir=index)
    built, keyed, hashed = [], {}, []
    build, key, put = shard_facts.record_facts, shard_facts.ShardFacts._new_memo_key, corpus_index.CorpusIndex.put_facts
    monkeypatch.setattr(
        shard_facts, "record_facts", lambda entry, ctx: built.append(entry.model.id) or build(entry, ctx)
    )

    def memo_key(self, entry):
        made = key(self, entry)
        keyed[made] = entry.model.id
        return made

    monkeypatch.setattr(shard_facts.ShardFacts, "_new_memo_key", memo_key)
    monkeypatch.setattr(
        corpus_index.CorpusIndex, "put_facts", lambda self, k, *rest: hashed.append(keyed[k]) or put(self, k, *rest)
    )
    for day, anew in ((AS_OF + dt.timedelta(days=1), set()), (dt.date(2027, 3, 1), {"XAA-LAW"})):
        built.clear(), hashed.clear()
        warm = findings(corpus(files, cache_dir=index, as_of=day))
        assert set(hashed) == anew and set(built) >= anew, day
        assert warm == findings(corpus(files, as_of=day))


# --- a whole run's report ------------------------------------------------------------------------


@pytest.fixture
def evaluated(monkeypatch):
    """How many runs went past the index's reports to the stages."""
    from coherence_rules import pipeline

    count = []
    original = pipeline.run_stages
    monkeypatch.setattr(pipeline, "run_stages", lambda *args: count.append(1) or original(*args))
    return count


def test_a_run_over_the_same_bytes_takes_its_report_from_the_index_and_any_change_is_a_miss(
    corpus, tmp_path_factory, evaluated
):
    """Every kind of input flipped in turn (a file edited, added, renamed, deleted; the reference
    date, the selection, the configuration, a rule file, the baseline, the files named): each first
    run after it reports what a run without the index does, and a repeat takes that report."""
    from coherence_rules.baseline import baseline_text
    from coherence_rules.formats import render

    index, pack = tmp_path_factory.mktemp("index"), tmp_path_factory.mktemp("pack")
    rule = (REPO / "rules" / "HC" / "HC001-opposing-objectives.yaml").read_text()
    rule = rule.replace("HC001", "XT901").replace("name: opposing-objectives", "name: goals-apart")
    (pack / "XT901-goals-apart.yaml").write_text(rule)
    baseline = tmp_path_factory.mktemp("baseline") / "baseline.json"
    files = dict(FILES)
    settings: dict = {"rule_dirs": [pack], "select": ["HC", "LC", "XT"]}

    def same_as_without() -> None:
        evaluated.clear()
        warm = render("json", corpus(files, cache_dir=index, **settings))
        assert evaluated == [1]  # a change: the stages ran
        assert warm == render("json", corpus(files, **settings))
        evaluated.clear()
        assert render("json", corpus(files, cache_dir=index, **settings)) == warm and evaluated == []

    same_as_without()
    files["law.yaml"] += "title: Border Act (fictional)\n"
    same_as_without()
    files["plan.yaml"] = STRATEGY.replace("XAA-STRATEGY", "XAA-PLAN")
    same_as_without()
    (corpus.root / "plan.yaml").rename(corpus.root / "plan2.yaml")
    files["plan2.yaml"] = files.pop("plan.yaml")
    same_as_without()
    (corpus.root / "plan2.yaml").unlink()
    del files["plan2.yaml"]
    same_as_without()
    settings["as_of"] = dt.date(2027, 1, 1)
    same_as_without()
    settings["select"] = ["XT"]
    same_as_without()
    (pack / "XT901-goals-apart.yaml").write_text(rule.replace("severity: error", "severity: warning"))
    same_as_without()
    settings["severity"] = {"XT901": "info"}
    same_as_without()
    hidden = corpus(files, **settings).findings
    assert hidden
    baseline.write_text(baseline_text(hidden))
    settings["baseline"] = baseline
    same_as_without()
    baseline.write_text(baseline_text([]))
    same_as_without()
    settings["targets"] = [corpus.root / "law.yaml"]
    same_as_without()


def test_a_report_of_another_corpus_is_not_decoded(corpus, tmp_path_factory, monkeypatch):
    """The first run after a change finds the report of the corpus before: a miss known by the
    entry's head, while a repeat decodes (and takes) the report of its own corpus."""
    index = tmp_path_factory.mktemp("index")
    corpus(FILES, cache_dir=index)
    decoded = []
    original = corpus_index._RunEntry.model_validate_json
    monkeypatch.setattr(
        corpus_index._RunEntry, "model_validate_json", lambda stored: decoded.append(1) or original(stored)
    )
    changed = {**FILES, "law.yaml": FILES["law.yaml"] + "title: Border Act (fictional)\n"}
    first = corpus(changed, cache_dir=index)
    assert decoded == []
    assert findings(corpus(changed, cache_dir=index)) == findings(first) and decoded == [1]


def test_a_wrong_or_corrupt_report_entry_is_a_miss(corpus, tmp_path_factory, evaluated):
    index = tmp_path_factory.mktemp("index")
    reference = findings(corpus(FILES, cache_dir=index))
    ((key, entry),) = index_rows(index, "runs").items()
    stored = json.loads(entry)
    wrong = {
        "empty": b"",
        "not JSON": b"[{",
        "another format": {**stored, "format": 4},
        "copied from another key": {**stored, "key": "0" * 64},
        "for another corpus": {**stored, "corpus": "0" * 64},
        "a report without its findings": {
            **stored,
            "report": {k: v for k, v in stored["report"].items() if k != "findings"},
        },
        "a finding without its rule": {
            **stored,
            "report": {
                **stored["report"],
                "findings": [{k: v for k, v in stored["report"]["findings"][0].items() if k != "rule"}],
            },
        },
    }
    stored_wrong = {name: value if isinstance(value, bytes) else json.dumps(value) for name, value in wrong.items()}
    for name, value, sealed in _as_stored(stored_wrong):
        set_index_row(index, key, value, "runs", sealed)
        evaluated.clear()
        assert findings(corpus(FILES, cache_dir=index)) == reference and evaluated == [1], name
        assert index_rows(index, "runs")[key] == entry, name  # written again


@pytest.mark.parametrize(
    "value",
    [
        {"id": "X", "period": {"from": dt.date(2020, 1, 1)}, "n": 3, "share": 0.5, "on": True, "none": None},
        {"history": [{"date": dt.date(2021, 5, 1), "status": "adopted"}, {"at": dt.datetime(2022, 1, 2, 3, 4)}]},
        {"nested": [[dt.date(2020, 2, 29)], {"deep": {"deeper": [1, "two", dt.date(1999, 12, 31)]}}]},
        dt.date(2020, 1, 1),
        ["a", 1, None],
    ],
)
def test_a_file_entry_gives_back_its_values_with_their_types(value):
    """Values JSON keeps are given back as they were: dates and datetimes where they were, at any depth."""
    stored = corpus_index.CorpusIndex.file_entry("key", "content", [(0, value, b"")], [])
    assert stored is not None
    entry = corpus_index.CorpusIndex._file("key", "content", stored)
    assert entry is not None
    ((_, back, _),) = entry.documents
    assert back == value and repr(back) == repr(value)


@pytest.mark.parametrize(
    "value", [{1: "one"}, {"a": [{"b": {2.5: "x"}}]}, {"a": ("tuple",)}, {"a": {None: 1}}, [b"bytes"], {"s": {1, 2}}]
)
def test_a_file_whose_values_json_cannot_keep_has_no_entry(value):
    """A key that is not a string, or a value JSON would change or cannot write: the file is parsed every time."""
    assert corpus_index.CorpusIndex.file_entry("key", "content", [(0, value, b"")], []) is None
