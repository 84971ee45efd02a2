#!/usr/bin/env python3
"""Benchmark of the corpus index: whole `coherence lint` runs on two generated corpora of the same
size, a dense one (thousands of findings) and a sparse one, each run next to the floor (libyaml
composing the same files) and to libyaml loading them (`load_all`, which also builds the Python
values, as every run must). Prints wall and CPU seconds, peak memory and the ratios to both,
what the index costs a cold run (against the run without it), and whether each indexed report is the
one a run without the index gives; asserts nothing.

    python bench/index.py [--records 10000] [--seed 1] [--density 20]

Runs, in order, on each corpus: cold (an empty index), warm with nothing changed, warm after one
file changed, `coherence lint THAT_FILE` warm (a pre-commit run), and the whole corpus without the
index (--no-cache, also the reference the warm runs are compared with).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus_gen  # noqa: E402
from run import CLI, Run, bare_load, bare_parse, whole_run  # noqa: E402


def change_one_file(root: Path) -> Path:
    """Turn the first restricting objective of the corpus (in file order) into a protecting one; when
    none is left (a small sparse corpus, after several rounds), the first protecting one into a
    restricting one."""
    files = sorted(root.rglob("*.yaml"))
    for old, new in (("stance: restrict", "stance: protect"), ("stance: protect", "stance: restrict")):
        for path in files:
            text = path.read_text(encoding="utf-8")
            if old in text:
                path.write_text(text.replace(old, new, 1), encoding="utf-8")
                return path
    raise SystemExit("no objective with a stance to change")


def measure(name: str, corpus: corpus_gen.Corpus, tmp: Path) -> list[tuple[str, Run]]:
    # The index outside the working directory: coherence uses none inside the repository.
    workdir, index = tmp / "repository", tmp / "index"
    root = workdir / "policies"
    corpus_gen.write(corpus, root)
    floor, loaded = bare_parse(root), bare_load(root)
    cold = whole_run(workdir, index)
    size = sum(path.stat().st_size for path in index.rglob("*") if path.is_file()) / 2**20
    warm = whole_run(workdir, index)
    changed_file = change_one_file(root).relative_to(workdir).as_posix()
    changed = whole_run(workdir, index)
    one_file = whole_run(workdir, index, changed_file)
    unindexed = whole_run(workdir, index, "--no-cache")
    unindexed_one = whole_run(workdir, index, changed_file, "--no-cache")
    same = {
        "warm": warm.output == cold.output,
        "after the change": changed.output == unindexed.output,
        "one file": one_file.output == unindexed_one.output,
    }
    rows = [
        ("cold: an empty index", cold),
        ("warm: nothing changed", warm),
        ("warm: one file changed", changed),
        (f"warm: coherence lint {changed_file}", one_file),
        ("no index (--no-cache)", unindexed),
        (f"no index: coherence lint {changed_file}", unindexed_one),
    ]
    summary = cold.summary
    found = sum(summary[k] for k in ("error", "warning", "info"))
    print(f"\n{name}: {summary['records']} records in {summary['files']} files, {found} findings (cold run)")
    print(f"  the index after the cold run: {size:.1f} MiB")
    print(f"  {'wall s':>7} {'CPU s':>7} {'peak MiB':>9} {'wall/floor':>10} {'CPU/floor':>9} {'wall/load':>9}")
    print(
        f"  {floor:7.2f} {'':7} {'':9} {1:10.1f} {'':9} {floor / loaded:9.1f}  the floor: libyaml composing the files"
    )
    print(f"  {loaded:7.2f} {'':7} {'':9} {loaded / floor:10.1f} {'':9} {1:9.1f}  libyaml loading them (load_all)")
    for label, run in rows:
        print(
            f"  {run.wall:7.2f} {run.cpu:7.2f} {run.peak:9.0f} {run.wall / floor:10.1f} {run.cpu / floor:9.1f}"
            f" {run.wall / loaded:9.1f}  {label}"
        )
    print(
        f"  what the index costs the cold run: {cold.wall / unindexed.wall:.2f}x wall, "
        f"{cold.cpu / unindexed.cpu:.2f}x CPU of a run without it (one run each)"
    )
    print("  same report as without the index: " + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in same.items()))
    return rows


def startup() -> None:
    for args in (["--version"], ["--help"]):
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run([sys.executable, str(CLI), *args], capture_output=True, check=True)
            runs.append(time.perf_counter() - start)
        print(f"coherence {args[0]}: {min(runs):.2f} s (best of 5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--density", type=int, default=20, help="plants per rule and 1,000 records, dense corpus")
    args = parser.parse_args()
    startup()
    for name, density in ((f"dense (density {args.density})", args.density), ("sparse (density 1)", 1)):
        corpus = corpus_gen.generate(args.seed, args.records, density=density)
        with tempfile.TemporaryDirectory() as tmp:
            measure(name, corpus, Path(tmp))


if __name__ == "__main__":
    main()
