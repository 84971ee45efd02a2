"""A run never loses a finding silently: whatever durable-rules' dispatch, hashing or worker
processes do, every finding comes back or the run fails loudly (EngineError, exit 2)."""

import datetime as dt
import itertools
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from durable import engine as durable

from coherence_rules import Settings, engine, lint
from coherence_rules.errors import EngineError

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 23)


def sample(**settings):
    report = lint(Settings(corpus=[REPO / "policies"], cwd=REPO, as_of=AS_OF, **settings))
    return [f.to_dict() for f in report.findings]


@pytest.fixture(scope="module")
def reference():
    findings = sample()
    assert len(findings) > 30  # the sample corpus plants findings in several shards
    return findings


@pytest.fixture
def slow_clock(monkeypatch):
    """Every reading of durable-rules' clock is 11 s after the previous one: each action looks as
    if it ran past the library's 10-second cut-off (a GC pause, a starved worker, a busy runner)."""
    ticks = itertools.count(start=1_000_000, step=11)
    monkeypatch.setattr(durable, "_unix_now", lambda: next(ticks))


def test_a_pause_inside_an_action_loses_no_finding(reference, slow_clock):
    assert sample() == reference


def test_starved_worker_processes_lose_no_finding(reference, slow_clock):
    assert sample(jobs=2) == reference  # forked workers inherit the slow clock


def _cut_short(self, state, result_container, state_offset, complete):
    """What durable-rules' own loop does once an action's closure looks older than 10 seconds:
    it returns after that action, and the state's remaining actions never start."""
    pending = result_container.get("message")
    if pending:
        action_name, message = next(iter(pending.items()))
        self._actions[action_name]._func(engine.Fired(state["sid"], message))
    complete(None, state)


def test_a_run_cut_short_is_an_error_not_fewer_findings(monkeypatch):
    """A loop that stops handing out a state's actions early never reaches the end-of-run action,
    and the runner refuses to report what it got."""
    monkeypatch.setattr(engine._WalledRuleset, "_flush_actions", _cut_short)
    with pytest.raises(EngineError, match="did not finish"):
        sample()


def test_the_end_of_run_action_runs_after_every_match(monkeypatch):
    """Its running is the proof that a run completed: nothing may be dispatched after it."""
    from test_engine_wall import rule

    from coherence_rules.compiler import compile_rules

    order = []
    recorded, finished = engine._action, engine._end_of_run
    monkeypatch.setattr(engine, "_action", lambda r, q: lambda c: (order.append(r.id), recorded(r, q)(c)))
    monkeypatch.setattr(engine, "_end_of_run", lambda c: (order.append("end"), finished(c)))
    rules = [
        rule(id=f"XT{n:03d}", name=f"order-{n}", message=f"{{a}} ordering {n}", match=match, report={"primary": "a"})
        for n, match in enumerate(
            [[{"a": "measure"}], [{"a": "measure"}, {"absent": "objective", "same": {"country": "a"}}]], 901
        )
    ]
    pack = engine.register(compile_rules(rules))  # a pack of its own: registered with the traced actions
    result = engine.run(pack, [_measure(f"X{n:02d}") for n in range(60)])
    assert result.completed and len(result.matches) == 120
    assert order[-1] == "end" and order.count("end") == 1


def test_fact_ids_hash_apart_from_each_other_and_from_the_state():
    ids, used = engine.distinct_ids(1_000_000, "4242-7")
    hashes = [engine.fnv1_32(i) for i in ids]
    assert len(set(ids)) == len(set(hashes)) == 1_000_000
    assert any("~" in i for i in ids)  # plain numbers first collide at 797,186: those few are salted
    assert engine.fnv1_32("sid-4242-7") not in hashes
    assert set(hashes) | {engine.fnv1_32("sid-4242-7")} == used


# Two ids with the same 32-bit FNV-1 hash (found by brute force): durable-rules keeps only the first.
COLLIDING = ("q562789", "q779192")


def test_the_hash_model_is_the_engines(monkeypatch):
    assert engine.fnv1_32(COLLIDING[0]) == engine.fnv1_32(COLLIDING[1])
    pack = _pack()
    sid = "model-1"
    engine._HOST.assert_facts(pack.name, [{**_measure("XAA"), "sid": sid, "id": COLLIDING[0]}])
    with pytest.raises(durable.MessageObservedException):
        engine._HOST.assert_facts(pack.name, [{**_measure("XAB"), "sid": sid, "id": COLLIDING[1]}])
    held = engine._HOST.get_facts(pack.name, sid)
    engine._HOST.assert_fact(pack.name, {"t": engine.TRIGGER, "sid": sid, "id": "t"})
    engine._HOST.delete_state(pack.name, sid)
    assert [f["id"] for f in held] == [COLLIDING[0]]


def test_a_dropped_fact_is_identified_and_asserted_again(monkeypatch):
    """Force a real collision: the engine drops the second measure; the runner finds exactly that
    fact missing from the engine's state and asserts it again under a fresh id."""
    original = engine.distinct_ids

    def colliding(count, sid):
        ids, used = original(count, sid)
        ids[0], ids[1] = COLLIDING
        return ids, used | {engine.fnv1_32(i) for i in COLLIDING}

    monkeypatch.setattr(engine, "distinct_ids", colliding)
    facts = [_measure("XAA"), _measure("XAB"), _measure("XAC")]
    result = engine.run(_pack(), facts)
    assert result.reasserted == [1]
    assert sorted(facts[m["a"]]["country"] for _, _, m in result.matches) == ["XAA", "XAB", "XAC"]


def _measure(country):
    return {"t": "statement", "ri": 0, "yp": "", "record": "", "kind": "measure", "country": country}


def _pack():
    from test_engine_wall import rule

    from coherence_rules.compiler import compile_rules

    return engine.register(compile_rules([rule(match=[{"a": "measure"}], report={"primary": "a"})]))


def test_a_non_finite_number_never_reaches_the_engine():
    """The engine would discard the rest of the batch after it: the wall refuses it instead (in a
    field the engine is sent: the pattern tests `kind`)."""
    with pytest.raises(EngineError, match="non-finite"):
        engine.run(_pack(), [_measure("XAA"), {**_measure("XAB"), "kind": float("inf")}])


KILLER = textwrap.dedent(
    """
    import datetime as dt, os, signal, sys
    from pathlib import Path
    from coherence_rules import Settings, engine, evaluate, lint, load
    from coherence_rules.errors import CoherenceError

    parent, stage = os.getpid(), engine.run if sys.argv[2] == "engine" else load._parse

    def dying(*args):  # module-level: the parse workers are handed it by name
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return stage(*args)

    if sys.argv[2] == "engine":
        engine.run, evaluate.WORKERS_FROM = dying, 1
    else:
        load._parse, load.PARSE_IN_WORKERS_FROM = dying, 1
    try:
        lint(Settings(corpus=[Path(sys.argv[1])], cwd=Path(sys.argv[1]), as_of=dt.date(2026, 11, 23), jobs=2))
    except CoherenceError as exc:
        print(exc)
        sys.exit(2)
    """
)


@pytest.mark.parametrize("stage", ["engine", "load"])
def test_a_killed_worker_is_an_error_within_seconds_not_a_hang(stage):
    result = subprocess.run(
        [sys.executable, "-c", KILLER, str(REPO / "policies"), stage], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert "worker process died" in result.stdout


UNCARRIABLE = """\
coherence: 1
kind: policy
id: XAA-TARGETS-{n}
type: strategy
status: in_force
jurisdiction: {{country: XAA, level: national}}
objectives:
  - id: O1
    stance: protect
    groups: [refugee]
    areas: [education]
    indicators:
      - name: enrolment_rate
        {field}: {value}
"""


@pytest.mark.parametrize(
    "field, value, why",
    [
        ("target", ".inf", "finite number"),
        ("target", "-.inf", "finite number"),
        ("target", ".nan", "finite number"),
        ("target", "1e999", "finite number"),  # a string YAML-wise; the schema would make it infinite
        ("target", "'-Infinity'", "finite number"),
        ("year", str(2**64), "beyond 64 bits"),
        ("year", "'-99999999999999999999'", "beyond 64 bits"),
    ],
)
def test_a_number_the_engine_cannot_carry_is_a_located_finding_and_no_other_finding_is_lost(
    tmp_path, field, value, why
):
    import shutil

    shutil.copytree(REPO / "policies", tmp_path / "policies")

    def run():
        report = lint(Settings(corpus=[tmp_path / "policies"], cwd=tmp_path, as_of=AS_OF))
        return [f.to_dict() for f in report.findings]

    reference = run()
    (tmp_path / "policies" / "xaa" / "targets.yaml").write_text(UNCARRIABLE.format(n=1, field=field, value=value))
    found = run()
    planted = [f for f in found if f["location"]["path"].endswith("targets.yaml")]
    assert [(f["rule"], f["location"]["line"]) for f in planted] == [("E002", 14)]
    assert why in planted[0]["message"] and "indicators.0." + field in planted[0]["message"]
    assert [f for f in found if f not in planted] == reference
