"""The corpus index (coherence_rules/corpus_index.py): a warm run parses nothing and takes positions
from the index; a wrong, corrupt or foreign entry is a miss, a damaged or foreign database is made
again, a locked one is gone without, never a traceback and never a different finding; runs share it."""

import base64
import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from array import array
from pathlib import Path

import pytest
import yaml
from conftest import LAW, STRATEGY, index_rows, set_index_row

from coherence_rules import corpus_index, load

REPO = Path(__file__).resolve().parents[1]
FILES = {
    "strategy.yaml": STRATEGY,
    "law.yaml": LAW.replace("id: XAA-LAW", "id: XAA-LAW\nperiod: {from: 2020-01-01}"),
}


def findings(report):
    return [f.to_dict() for f in report.findings]


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


def test_a_warm_run_parses_nothing_and_takes_every_position_from_the_index(corpus, tmp_path_factory, parsed):
    index = tmp_path_factory.mktemp("index")
    cold = findings(corpus(FILES, cache_dir=index))
    assert len(parsed) == 2 and any(f["rule"] == "HC001" for f in cold)
    parsed.clear()
    assert findings(corpus(FILES, cache_dir=index)) == cold
    assert parsed == []  # values, load findings and positions all came from the index
    assert findings(corpus(FILES)) == cold  # and are those of a run without it


def test_files_with_any_line_break_are_served_from_the_index(corpus, tmp_path_factory, parsed):
    index = tmp_path_factory.mktemp("index")
    files = {name: text.replace("\n", "\r") for name, text in FILES.items()}  # YAML counts a lone CR as a break
    cold = findings(corpus(files, cache_dir=index))
    assert any(f["rule"] == "HC001" and f["location"]["line"] == 8 for f in cold)
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
        "deep nesting": b'{"format": 3, "documents": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "a huge number": ("{" + '"x": ' * 10 + "9" * 5000 + "}").encode(),
    }
    return {name: value if isinstance(value, (bytes, int)) else json.dumps(value) for name, value in wrong.items()}


def test_a_wrong_or_corrupt_file_entry_is_a_miss(corpus, tmp_path_factory, parsed):
    index = tmp_path_factory.mktemp("index")
    reference = findings(corpus(FILES, cache_dir=index))
    rows = index_rows(index)
    (law,) = [key for key, entry in rows.items() if b"XAA-LAW" in entry]
    for name, wrong in wrong_entries(rows[law]).items():
        set_index_row(index, law, wrong)
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
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master ORDER BY name")]
    assert tables == ["files", "matches"] and len(index_rows(index)) == len(files)


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
