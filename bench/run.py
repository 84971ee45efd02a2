#!/usr/bin/env python3
"""Benchmark: whole `coherence lint` runs on a seeded synthetic corpus, next to the floor (bare
libyaml parsing of the same files). Prints times, peak memory and the ratios; asserts nothing.

    python bench/run.py [--records 10000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus_gen  # noqa: E402

CLI = HERE.parent / "cli.py"


def bare_parse(root: Path) -> float:
    """The floor: libyaml composing every file, nothing else."""
    start = time.perf_counter()
    for path in sorted(root.rglob("*.yaml")):
        for _ in yaml.compose_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader):
            pass
    return time.perf_counter() - start


# Runs the CLI as its child and reports that process tree's own peak RSS (getrusage of a fresh parent).
MEASURE = """
import resource, subprocess, sys
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stdout.write(result.stdout)
sys.stderr.write(result.stderr + "\\nMAXRSS %d\\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(result.returncode)
"""


def whole_run(root: Path, cache: Path, *extra: str) -> tuple[float, float, dict]:
    """A real CLI run in its own process: wall time, peak RSS (MiB, the largest process) and the summary."""
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            MEASURE,
            sys.executable,
            str(CLI),
            "lint",
            "--format",
            "json",
            "--as-of",
            corpus_gen.REFERENCE_DATE.isoformat(),
            *extra,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "COHERENCE_CACHE_DIR": str(cache)},
    )
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"lint failed: {result.stderr}")
    peak = int(result.stderr.rsplit("MAXRSS", 1)[1]) / 1024
    return elapsed, peak, json.loads(result.stdout)["summary"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    corpus = corpus_gen.generate(args.seed, args.records)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "policies"
        corpus_gen.write(corpus, root)
        floor = bare_parse(root)
        cache = Path(tmp) / "cache"  # starts empty: the first run is cold
        one_file = str(sorted(root.rglob("*.yaml"))[0].relative_to(tmp))
        rows = [("bare YAML parse (libyaml compose), the floor", floor, None, None)]
        for label, extra in (
            ("coherence lint, all rules, cold cache", ()),
            ("coherence lint, all rules, warm cache", ()),
            ("coherence lint, all rules, warm cache, --jobs 1", ("--jobs", "1")),
            (f"coherence lint {one_file}, warm cache (pre-commit)", (one_file,)),
            (f"coherence lint {one_file}, --no-cache", (one_file, "--no-cache")),
        ):
            elapsed, peak, summary = whole_run(Path(tmp), cache, *extra)
            rows.append((label, elapsed, peak, summary))
    print(f"corpus: seed {args.seed}, {args.records} records, {len(corpus.files)} files")
    for label, seconds, peak, summary in rows:
        memory = f"{peak:7.0f} MiB peak" if peak else " " * 16
        ratio = f"{seconds / floor:6.1f}x floor"
        found = f"  {sum(summary[k] for k in ('error', 'warning', 'info'))} findings" if summary else ""
        print(f"{seconds:8.2f} s {memory} {ratio}  {label}{found}")


if __name__ == "__main__":
    main()
