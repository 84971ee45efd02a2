import contextlib
import datetime as dt
import shutil
import sqlite3
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from coherence_rules import Settings, lint
from coherence_rules.corpus_index import seal

AS_OF = dt.date(2026, 11, 23)

# Two national policies of XAA that oppose each other on labour migrants' entry (HC001).
STRATEGY = """\
coherence: 1
kind: policy
id: XAA-STRATEGY
type: strategy
status: in_force
jurisdiction: {country: XAA, level: national}
objectives:
  - {id: O1, stance: facilitate, groups: [labour_migrant], areas: [entry]}
"""
MINISTRY = """\
coherence: 1
kind: institution
id: XAA-MOL
name: Ministry of Labour (fictional)
jurisdiction: {country: XAA, level: national}
type: ministry
"""
LAW = """\
coherence: 1
kind: policy
id: XAA-LAW
type: law
status: in_force
jurisdiction: {country: XAA, level: national}
objectives:
  - {id: O1, stance: restrict, groups: [low_skilled_worker], areas: [entry]}
"""


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """The CLI fills the corpus index in the user's cache directory: keep tests out of it."""
    monkeypatch.setenv("COHERENCE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "coherence-cache"))


@pytest.fixture
def corpus(tmp_path):
    """Write files (name -> text, dedented) under a temporary root and lint them."""

    def write(files: dict, **settings):
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(textwrap.dedent(text), encoding="utf-8")
        settings.setdefault("as_of", AS_OF)
        return lint(Settings(corpus=[tmp_path], cwd=tmp_path, **settings))

    write.root = tmp_path
    return write


def summary(report):
    return [(f.rule, f.location.path, f.location.line) for f in report.findings]


# The HC001 pair again, with markup and script in a title and a statement (the HTML report must show
# them as text, in its page and in the file excerpts).
HOSTILE_TITLE = '<script>alert("title")</script>"><img src=x onerror=alert(2)>'
HOSTILE_STATEMENT = '</script><script>alert("statement")</script>'
HOSTILE_FILES = {
    "xaa/strategy.yaml": f"""\
coherence: 1
kind: policy
id: XAA-STRATEGY
type: strategy
status: in_force
title: '{HOSTILE_TITLE}'
jurisdiction: {{country: XAA, level: national}}
objectives:
  - {{id: O1, stance: facilitate, groups: [labour_migrant], areas: [entry], statement: '{HOSTILE_STATEMENT}'}}
""",
    "xaa/law.yaml": LAW.replace("type: law\n", "type: law\ntitle: \"<b onmouseover=alert(3)>Law</b> & 'quotes'\"\n"),
}


def index_rows(directory: Path, table: str = "files") -> dict[str, bytes]:
    """The entries of a corpus index (coherence_rules.corpus_index), by key."""
    with sqlite3.connect(directory / "index.sqlite3") as db:
        return dict(db.execute(f"SELECT key, CAST(entry AS BLOB) FROM {table}").fetchall())


def set_index_row(directory: Path, key: str, entry, table: str = "files", sealed: bool = False) -> None:
    """Replace an entry: as damage (its seal as it was) or, `sealed`, as a wrong entry stored whole."""
    with sqlite3.connect(directory / "index.sqlite3") as db:
        db.execute(f"UPDATE {table} SET entry = ? WHERE key = ?", (entry, key))
        if sealed:
            db.execute(
                f"UPDATE {table} SET seal = ? WHERE key = ?",
                (seal(entry if isinstance(entry, bytes) else entry.encode()), key),
            )


@contextlib.contextmanager
def serving(command: list, cwd: Path, env: dict, log: Path):
    """`coherence serve` (run as `command`) in cwd, once it says it serves; with a cache directory short
    enough for its socket (a test's tmp_path may not be). Yields the process and the environment its
    clients need; stops it (SIGTERM) on leaving."""
    cache = Path(tempfile.mkdtemp(prefix="coh-"))
    env = {**env, "COHERENCE_CACHE_DIR": str(cache)}
    with open(log, "wb") as stderr:
        process = subprocess.Popen(command, cwd=cwd, env=env, stderr=stderr)
    try:
        deadline = time.monotonic() + 60
        while "serving" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield process, env
    finally:
        process.terminate()
        process.wait(30)
        shutil.rmtree(cache, ignore_errors=True)
