#!/usr/bin/env python3
"""One large shard against planted truth: a corpus whose filler records all belong to one country
(bench/corpus_gen.py, `focus`), so that its shard holds ~30k records and hundreds of thousands of
facts. Before fact ids were made hash-distinct, durable-rules dropped colliding facts as "already
observed" in such a shard with P ≈ 1 − e^(−n²/2³³), and the run aborted after three retries.

Prints the shard's size, how many fact ids had to be salted, how many facts the engine dropped and
were asserted again, retries, time, peak memory, and the comparison with the planted findings
(missed, false alarms); exits 1 unless exactly the planted findings came back. Not run in CI.

    python bench/heavy_shard.py [--records 30000] [--countries 20] [--seed 11] [--jobs 1]
"""

from __future__ import annotations

import argparse
import collections
import math
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import corpus_gen  # noqa: E402

from coherence_rules import Settings, engine, lint  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--countries", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--jobs", type=int, default=1, help="1 keeps the per-shard statistics in this process")
    args = parser.parse_args()

    started = time.perf_counter()
    corpus = corpus_gen.generate(args.seed, args.records, countries=args.countries, focus=True)
    print(
        f"generated {len(corpus.files)} files, {len(corpus.expected)} planted findings "
        f"in {time.perf_counter() - started:.1f} s"
    )

    shards: list[dict] = []
    run, ids = engine.run, engine.distinct_ids

    def recording_ids(count, sid):
        made, used = ids(count, sid)
        shards[-1]["salted"] = sum("~" in i for i in made)
        return made, used

    def recording_run(pack, facts, match_limit=0):
        shards.append({"facts": len(facts)})
        result = run(pack, facts, match_limit)
        shards[-1].update(retries=result.retries, reasserted=len(result.reasserted), matches=len(result.matches))
        return result

    engine.run, engine.distinct_ids = recording_run, recording_ids
    with tempfile.TemporaryDirectory(prefix="coherence-heavy-") as tmp:
        root = Path(tmp)
        corpus_gen.write(corpus, root)
        started = time.perf_counter()
        report = lint(
            Settings(
                corpus=[root],
                cwd=root,
                as_of=corpus_gen.REFERENCE_DATE,
                select=list(corpus_gen.PLANTABLE_RULES),
                jobs=args.jobs,
            )
        )
        elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    found = collections.Counter((f.rule, tuple(f.records)) for f in report.findings)
    expected = collections.Counter((rule, tuple(ids)) for rule, ids in corpus.expected)
    missed, false = expected - found, found - expected
    print(f"lint: {report.records} records, {elapsed:.1f} s, peak RSS {peak:.0f} MiB (this process)")
    if shards:
        biggest = max(shards, key=lambda s: s["facts"])
        n = biggest["facts"]
        print(
            f"largest shard: {n} engine facts, {biggest.get('salted', 0)} ids salted, "
            f"{biggest['reasserted']} facts re-asserted, {biggest['retries']} retries, {biggest['matches']} matches"
        )
        print(f"  with content-derived ids, P(a fact dropped in this shard) = {1 - math.exp(-(n * n) / 2**33):.3f}")
        print(f"shards: {len(shards)}, retries in all: {sum(s['retries'] for s in shards)}")
    print(
        f"planted {sum(expected.values())}, found {sum(found.values())}: "
        f"missed {sum(missed.values())}, false alarms {sum(false.values())}"
    )
    for item in sorted(missed)[:10]:
        print("  missed", item)
    for item in sorted(false)[:10]:
        print("  false ", item)
    return 0 if not missed and not false else 1


if __name__ == "__main__":
    sys.exit(main())
