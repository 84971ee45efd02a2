#!/usr/bin/env python3
"""Cost against size: whole `coherence lint` runs, cold (an empty corpus index) and warm with one file
changed, on generated corpora of growing size (the same seed and density), each next to its floor
(libyaml composing the same files). Prints wall and CPU seconds, peak memory (the largest process),
and per record: CPU milliseconds and peak KiB; a cost linear in the corpus keeps those per-record
figures flat. Asserts nothing.

    python bench/scale.py [--sizes 1000,10000,30000,100000] [--seed 1] [--density 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus_gen  # noqa: E402
from index import change_one_file  # noqa: E402
from run import Run, bare_parse, whole_run  # noqa: E402


def row(label: str, records: int, run: Run, floor: float) -> str:
    return (
        f"{records:>8} {run.wall:8.1f} {run.cpu:8.1f} {run.peak:9.0f} {run.wall / floor:8.1f}"
        f" {1000 * run.cpu / records:9.2f} {1024 * run.peak / records:9.1f}  {label}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,30000,100000", help="records, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--density", type=int, default=20, help="plants per rule and 1,000 records")
    args = parser.parse_args()
    print(f"seed {args.seed}, density {args.density}; the floor: libyaml composing the same files")
    print(f"{'records':>8} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9} {'x floor':>8} {'CPU ms/r':>9} {'KiB/r':>9}")
    for size in (int(s) for s in args.sizes.split(",")):
        corpus = corpus_gen.generate(args.seed, size, density=args.density)
        with tempfile.TemporaryDirectory() as tmp:
            # The index outside the working directory: coherence uses none inside the repository.
            workdir, index = Path(tmp) / "repository", Path(tmp) / "index"
            root = workdir / "policies"
            corpus_gen.write(corpus, root)
            floor = bare_parse(root)
            cold = whole_run(workdir, index)
            records = cold.summary["records"]
            print(f"{records:>8} {floor:8.1f} {'':8} {'':9} {1:8.1f} {'':9} {'':9}  the floor", flush=True)
            print(row("cold: an empty index", records, cold, floor), flush=True)
            change_one_file(root)
            print(row("warm: one file changed", records, whole_run(workdir, index), floor), flush=True)


if __name__ == "__main__":
    main()
