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
from dataclasses import dataclass
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


def bare_load(root: Path) -> float:
    """The other floor: libyaml loading every file into Python values (`load_all`), which composing
    omits and every run must do."""
    start = time.perf_counter()
    for path in sorted(root.rglob("*.yaml")):
        for _ in yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader):
            pass
    return time.perf_counter() - start


# Runs the CLI as its child and reports that process tree's own peak RSS and CPU time (getrusage of a
# fresh parent: its children are the CLI and the CLI's worker processes).
MEASURE = """
import resource, subprocess, sys
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stdout.write(result.stdout)
sys.stderr.write(result.stderr + "\\nMEASURED %d %f\\n" % (usage.ru_maxrss, usage.ru_utime + usage.ru_stime))
sys.exit(result.returncode)
"""


@dataclass
class Run:
    wall: float  # seconds
    cpu: float  # seconds of CPU, the CLI's and its workers'
    peak: float  # MiB, the largest process
    output: str  # the JSON report

    @property
    def summary(self) -> dict:
        return json.loads(self.output)["summary"]


def measured_lint(root: Path, cache: Path, as_of: str, *extra: str) -> tuple[Run, subprocess.CompletedProcess]:
    """`coherence lint --format json` in its own process, with its wall and CPU time and peak memory
    (the stderr it returns is the CLI's own)."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, sys.executable, str(CLI), "lint", "--format", "json", "--as-of", as_of, *extra],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "COHERENCE_CACHE_DIR": str(cache)},
    )
    elapsed = time.perf_counter() - start
    stderr, measured = result.stderr.rsplit("MEASURED", 1)
    peak, cpu = measured.split()
    result.stderr = stderr.rstrip("\n")
    return Run(elapsed, float(cpu), int(peak) / 1024, result.stdout), result


def whole_run(root: Path, cache: Path, *extra: str) -> Run:
    """A real CLI run in its own process (JSON report, the generator's reference date)."""
    run, result = measured_lint(root, cache, corpus_gen.REFERENCE_DATE.isoformat(), *extra)
    if result.returncode not in (0, 1):
        raise SystemExit(f"lint failed: {result.stderr}")
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    corpus = corpus_gen.generate(args.seed, args.records)
    with tempfile.TemporaryDirectory() as tmp:
        # The index outside the working directory: coherence uses none inside the repository.
        workdir, cache = Path(tmp) / "repository", Path(tmp) / "cache"  # the cache starts empty: cold
        root = workdir / "policies"
        corpus_gen.write(corpus, root)
        floor = bare_parse(root)
        one_file = str(sorted(root.rglob("*.yaml"))[0].relative_to(workdir))
        rows = [("bare YAML parse (libyaml compose), the floor", floor, None, None)]
        for label, extra in (
            ("coherence lint, all rules, cold cache", ()),
            ("coherence lint, all rules, warm cache", ()),
            ("coherence lint, all rules, warm cache, --jobs 1", ("--jobs", "1")),
            (f"coherence lint {one_file}, warm cache (pre-commit)", (one_file,)),
            (f"coherence lint {one_file}, --no-cache", (one_file, "--no-cache")),
        ):
            run = whole_run(workdir, cache, *extra)
            rows.append((label, run.wall, run.peak, run.summary))
    print(f"corpus: seed {args.seed}, {args.records} records, {len(corpus.files)} files")
    for label, seconds, peak, summary in rows:
        memory = f"{peak:7.0f} MiB peak" if peak else " " * 16
        ratio = f"{seconds / floor:6.1f}x floor"
        found = f"  {sum(summary[k] for k in ('error', 'warning', 'info'))} findings" if summary else ""
        print(f"{seconds:8.2f} s {memory} {ratio}  {label}{found}")


if __name__ == "__main__":
    main()
