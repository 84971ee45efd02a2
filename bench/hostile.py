#!/usr/bin/env python3
"""The hostile-input classes of issue 12, each beside the sample corpus, measured as whole CLI runs:
input size, wall time, peak memory, exit code and the finding (or error line) it gives. Prints a
Markdown table (README.md, "Limits", keeps a copy). Asserts nothing; not run in CI.

    python bench/hostile.py
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from run import measured_lint  # noqa: E402

POLICY = """\
coherence: 1
kind: policy
id: {id}
type: strategy
status: in_force
jurisdiction: {{country: XAA, level: national}}
"""


def write(root: Path, name: str, text: str | bytes) -> int:
    path = root / "policies" / "hostile" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    path.write_bytes(data)
    return len(data)


def inf_target(root):
    text = POLICY.format(id="XAA-INF") + (
        "objectives:\n  - {id: O1, stance: protect, groups: [refugee], areas: [education],\n"
        "     indicators: [{name: enrolment_rate, target: .inf, year: 2028}]}\n"
    )
    return write(root, "inf.yaml", text)


def alias_free_records(root):
    one = "coherence: 1\nkind: institution\nid: XAA-I{n}\nname: Institution {n} (fictional)\n"
    one += "jurisdiction: {{country: XAA, level: national}}\ntype: agency\nmandate: [work, entry]\n---\n"
    return write(root, "many.yaml", "".join(one.format(n=n) for n in range(3000)))


def fact_explosion(root, objectives_count=40):
    areas = "[entry, exit, stay, work, recruitment, border, asylum, return, readmission, reintegration, integration,"
    areas += " naturalisation, health, education, housing, social_security, skills_recognition, remittances,"
    areas += " diaspora_engagement, anti_trafficking, labour_rights, data]"
    objectives = "".join(
        f"  - {{id: O{n}, stance: facilitate, groups: [all_migrants, emigrant, idp], areas: {areas}}}\n"
        for n in range(objectives_count)
    )
    return write(root, "explosion.yaml", POLICY.format(id="XAA-EXPLOSION") + "objectives:\n" + objectives)


def comment_line(root):
    return write(root, "comment.yaml", POLICY.format(id="XAA-C") + "#" + " # coherence: ignore[" * 80_000 + "\n")


def base60(root):
    return write(root, "base60.yaml", "coherence: 1\nnotes: 1" + ":59" * 650_000 + "\n")


def hex_integer(root):
    return write(root, "hex.yaml", "coherence: 1\nnotes: 0x" + "f" * 100_000 + "\n")


def alias_bytes(root):
    return write(root, "alias-bytes.yaml", "a: &a " + "x" * 90_000 + "\nb: [" + ", ".join(["*a"] * 900) + "]\n")


def alias_bomb(root):
    lines = ["a: &a [x,x,x,x,x,x,x,x,x,x]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=False):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    return write(root, "bomb.yaml", "\n".join(lines) + "\n")


def instruments(root):
    return write(
        root,
        "instruments.yaml",
        POLICY.format(id="XAA-INS") + "instruments: [" + ", ".join(["ILO-C097"] * 180_000) + "]\n",
    )


def many_findings(root):
    doc = "coherence: 1\n" + "k: 1\n" * 999 + "---\n"
    return write(root, "duplicates.yaml", doc * 400)


def many_unknown_fields(root):
    doc = "coherence: 1\nkind: institution\n" + "".join(f"f{n}: 1\n" for n in range(990)) + "---\n"
    return write(root, "unknown.yaml", doc * 220)


def many_documents(root):
    return write(root, "documents.yaml", "a: 1\n---\n" * 200_000)


def deep(root):
    return write(root, "deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n")


def symlink_out(root):
    target = root.parent / "outside.yaml"
    target.write_text("coherence: 1\nkind: policy\nid: SECRET\n")
    link = root / "policies" / "hostile" / "leak.yaml"
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)
    return target.stat().st_size


def _rule_pack(root: Path, name: str, summary: str, condition: str, message: str, match: list) -> int:
    """A rule pack of one hostile rule, complete in every other respect (its refusal is the point)."""
    rule = {
        "id": "XT001", "name": name, "family": "XT", "severity": "info", "summary": summary,
        "condition": condition, "rationale": "a hostile rule pack for the benchmark", "sources": ["bench"],
        "action": "none: a benchmark", "message": message, "match": match, "report": {"primary": "a"},
        "examples": {"bad": "x", "good": "y"},
    }  # fmt: skip
    pack = root / "pack" / "XT"
    pack.mkdir(parents=True)
    (pack / f"XT001-{name}.yaml").write_text(json.dumps(rule))
    return len(json.dumps(rule))


def cross_join_pack(root):
    match = [{"a": "objective"}, {"b": "objective"}, {"c": "objective"}, {"d": "objective"}]
    message = "{a} and {b} and {c} and {d} matched"
    return _rule_pack(root, "cross", "a four-way cross join", "four objectives, joined to nothing", message, match)


def in_list_pack(root):
    # Inside a negation `in:` lists are expanded (one engine pattern per combination): 900 x 2 x 4.
    where = {"code": {"in": [f"C{n}" for n in range(900)]}, "role": {"in": ["admits", "recognises"]}}
    where["type"] = {"in": ["labour", "recruitment", "readmission", "social_security"]}
    match = [{"a": "occupation"}, {"absent": "occupation", "where": where, "same": {"pair": "a"}}]
    condition = "an occupation without another of 900 codes, two roles and four agreement types"
    return _rule_pack(root, "in-lists", "in lists inside a negation", condition, "{a} matched here", match)


CASES: list[tuple[str, Callable[[Path], int], list[str]]] = [
    ("`target: .inf` beside real findings", inf_target, []),
    ("3,000 small alias-free records in one file", alias_free_records, []),
    ("fact explosion within the budget: 40 objectives x every group and area (42,202 facts)", fact_explosion, []),
    (
        "fact explosion over the budget: 60 objectives x every group and area",
        lambda root: fact_explosion(root, 60),
        [],
    ),
    ("one 1.68 MB suppression-comment line", comment_line, []),
    ("a 1.95 MB base-60 integer", base60, []),
    ("a 100,000-digit hex integer", hex_integer, []),
    ("alias expansion by bytes (a 90 KB string x 900)", alias_bytes, []),
    ("billion laughs (10 levels x 10)", alias_bomb, []),
    ("180,000 `instruments` entries", instruments, []),
    ("400 documents x 999 duplicate keys", many_findings, []),
    ("220 records x 990 unknown fields", many_unknown_fields, []),
    ("200,000 YAML documents", many_documents, []),
    ("nesting 5,000 deep", deep, []),
    ("symbolic link to a file outside the corpus", symlink_out, []),
    ("rule pack: a four-way cross join", cross_join_pack, ["--rules", "pack"]),
    ("rule pack: `in:` lists inside a negation expanding to 7,200 engine patterns", in_list_pack, ["--rules", "pack"]),
]


def run(root: Path, extra: list[str]) -> tuple[float, float, int, str]:
    measured, result = measured_lint(root, root.parent / "cache", "2026-11-23", *extra)
    elapsed, peak = measured.wall, measured.peak
    if result.returncode == 2:
        return elapsed, peak, 2, result.stderr.strip().splitlines()[-1][:140]
    findings = json.loads(result.stdout)["findings"]
    hostile = [f for f in findings if "hostile/" in f["location"]["path"] or f["rule"] in ("E006", "E007")]
    hostile.sort(key=lambda f: (f["rule"] not in ("E006", "E007"), f["rule"] not in ("E001", "E002"), f["rule"]))
    shown = "; ".join(dict.fromkeys(f"{f['rule']} {f['message'][:90]}" for f in hostile[:2])) or "no finding"
    summary = json.loads(result.stdout)["summary"]
    return elapsed, peak, result.returncode, f"{shown} ({len(findings)} findings, {summary['records']} records)"


def main() -> None:
    rows = ["| class | input | time | peak memory | exit | finding |", "|---|---|---|---|---|---|"]
    for name, build, extra in CASES:
        with tempfile.TemporaryDirectory(prefix="coherence-hostile-") as tmp:
            root = Path(tmp) / "repo"
            shutil.copytree(REPO / "policies", root / "policies")
            size = build(root)
            elapsed, peak, code, finding = run(root, extra)
        shown = f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.2f} MB"
        rows.append(f"| {name} | {shown} | {elapsed:.1f} s | {peak:.0f} MiB | {code} | {finding} |")
        print(rows[-1], file=sys.stderr)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
