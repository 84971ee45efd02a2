#!/usr/bin/env python3
"""Benchmark of `coherence serve`: one-file runs (what a pre-commit hook runs) answered by a server
holding the corpus in memory, against the same runs without it, on the dense and the sparse
generated corpora of bench/index.py. Prints wall and CPU seconds (the client's and the server's)
and whether every answer is the report a run without server or index gives; asserts nothing.

    python bench/serve.py [--records 10000] [--seed 1] [--rounds 3]

Per corpus: the floor (libyaml composing the files); cold runs filling the indexes; the server's
priming (the stages of a whole run before it serves) and its first run; then, each round, one
file changed and `coherence lint THAT_FILE` run by a client of the server, the same run without a
server (warm index), and without the index (the reference); then the last round's file edited
again, as a developer does (its country's shards are the server's last); last, the whole corpus
through the server after a change, and the server's memory.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus_gen  # noqa: E402
from index import change_one_file  # noqa: E402
from run import CLI, Run, bare_parse, whole_run  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def memory(pid: int) -> str:
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return f"{int(status['VmRSS'].split()[0]) / 1024:.0f} MiB resident, {int(status['VmHWM'].split()[0]) / 1024:.0f} MiB peak"


class Server:
    def __init__(self, workdir: Path, cache: Path) -> None:
        self.log = workdir.parent / "server.log"
        env = {**os.environ, "COHERENCE_CACHE_DIR": str(cache)}
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([sys.executable, str(CLI), "serve"], cwd=workdir, env=env, stderr=log)
        while "serving" not in self.log.read_text():
            if self.process.poll() is not None:
                raise SystemExit(f"coherence serve failed: {self.log.read_text()}")
            time.sleep(0.05)

    def primed(self) -> str:
        """The server's line on what it read and validated before it served (api.prime)."""
        return next((line for line in self.log.read_text().splitlines() if "in memory" in line), "not primed")

    def answered(self) -> int:
        return sum(line.startswith("coherence lint") for line in self.log.read_text().splitlines())

    def run(self, workdir: Path, cache: Path, *extra: str) -> tuple[Run, float]:
        """A client's run, with the server's CPU seconds for it."""
        before, asked = cpu_seconds(self.process.pid), self.answered()
        run = whole_run(workdir, cache, *extra)
        if self.answered() != asked + 1:
            raise SystemExit("the server did not answer")
        return run, cpu_seconds(self.process.pid) - before

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(60)


def edit_again(path: Path) -> None:
    """Turn the file's first protecting objective into a restricting one, or the reverse."""
    text = path.read_text(encoding="utf-8")
    old, new = (
        ("stance: protect", "stance: restrict")
        if "stance: protect" in text
        else ("stance: restrict", "stance: protect")
    )
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def row(label: str, wall: float, cpu: float, server_cpu: float | None, floor: float) -> None:
    served = f"{server_cpu:7.2f}" if server_cpu is not None else " " * 7
    print(f"  {wall:7.2f} {cpu:7.2f} {served} {wall / floor:10.2f}  {label}")


def measure(name: str, corpus: corpus_gen.Corpus, tmp: Path, rounds: int) -> None:
    workdir, cache, alone = tmp / "repository", tmp / "cache", tmp / "alone"  # alone: no server there
    corpus_gen.write(corpus, workdir / "policies")
    # The server primes on the date its clients ask for, as a pre-commit hook's server does (both
    # today's): a client naming another date than the server's builds each shard's facts again once.
    (workdir / ".coherence.yaml").write_text(f"as_of: {corpus_gen.REFERENCE_DATE.isoformat()}\n", encoding="utf-8")
    floor = bare_parse(workdir / "policies")
    whole_run(workdir, cache)  # fills the index the server uses
    whole_run(workdir, alone)  # and the one of the runs without a server
    server = Server(workdir, cache)
    try:
        first, first_cpu = server.run(workdir, cache, "policies")
        print(f"\n{name}: {first.summary['records']} records in {first.summary['files']} files")
        print(f"  {'wall s':>7} {'CPU s':>7} {'server':>7} {'wall/floor':>10}   (CPU: the client's; server: its CPU)")
        print(f"  {floor:7.2f} {'':7} {'':7} {1:10.2f}  bare libyaml parse (the floor)")
        print(f"  before serving: {server.primed()}")
        row(
            "through the server, its first run (the whole corpus; from the index)",
            first.wall,
            first.cpu,
            first_cpu,
            floor,
        )
        same, served, local, unindexed, again = [], [], [], [], []
        for _ in range(rounds):
            changed = change_one_file(workdir / "policies").relative_to(workdir).as_posix()
            time.sleep(2.1)  # a file modified just before it is read is read again next time (resident.RACY)
            served.append(server.run(workdir, cache, changed))
            local.append(whole_run(workdir, alone, changed))  # another cache directory: no server there
            unindexed.append(whole_run(workdir, alone, changed, "--no-cache"))
            same.append(served[-1][0].output == unindexed[-1].output == local[-1].output)
        for _ in range(rounds):
            edit_again(workdir / changed)
            time.sleep(2.1)
            again.append(server.run(workdir, cache, changed))
            same.append(again[-1][0].output == whole_run(workdir, alone, changed, "--no-cache").output)
        for label, runs in (
            ("coherence lint ONE_CHANGED_FILE through the server", served),
            ("the same file edited again, through the server", again),
            ("coherence lint ONE_CHANGED_FILE, no server, warm index", [(r, None) for r in local]),
            ("coherence lint ONE_CHANGED_FILE, no server, no index", [(r, None) for r in unindexed]),
        ):
            n = len(runs)
            server_cpu = None if runs[0][1] is None else sum(c or 0.0 for _, c in runs) / n
            row(
                f"{label} (mean of {n})",
                sum(r.wall for r, _ in runs) / n,
                sum(r.cpu for r, _ in runs) / n,
                server_cpu,
                floor,
            )
        change_one_file(workdir / "policies")
        time.sleep(2.1)
        whole, whole_cpu = server.run(workdir, cache, "policies")
        row("the whole corpus through the server, one file changed", whole.wall, whole.cpu, whole_cpu, floor)
        reference = whole_run(workdir, alone, "policies", "--no-cache")
        print(f"  the server: {memory(server.process.pid)}")
        print(
            f"  same report as without server and index: one-file runs {'yes' if all(same) else 'NO'}, "
            f"whole corpus {'yes' if whole.output == reference.output else 'NO'}"
        )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--density", type=int, default=20, help="plants per rule and 1,000 records, dense corpus")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for name, density in ((f"dense (density {args.density})", args.density), ("sparse (density 1)", 1)):
        corpus = corpus_gen.generate(args.seed, args.records, density=density)
        with tempfile.TemporaryDirectory() as tmp:
            measure(name, corpus, Path(tmp), args.rounds)


if __name__ == "__main__":
    main()
