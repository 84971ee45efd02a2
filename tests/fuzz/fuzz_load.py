#!/usr/bin/env python3
"""An atheris (libFuzzer) target for the record column: bytes -> load -> validate -> facts.

Not run in CI (atheris is not a dependency: `pip install atheris`). It checks what the suite's
property test checks, coverage-guided: any bytes give located findings (E001-E006) and never an
exception, and no fact holds a number the engine cannot carry (non-finite, or beyond 64 bits).

    python tests/fuzz/fuzz_load.py -max_total_time=300 -rss_limit_mb=4096 [CORPUS_DIR ...]

Seed it with the sample corpus (a scratch copy: libFuzzer adds the inputs it finds there):
    mkdir -p /tmp/seeds && for f in policies/*/*.yaml; do cp "$f" /tmp/seeds/$(echo $f | tr / _); done
    python tests/fuzz/fuzz_load.py /tmp/seeds
"""

from __future__ import annotations

import datetime as dt
import math
import sys

import atheris

with atheris.instrument_imports():
    from coherence_rules.facts import context, record_facts
    from coherence_rules.load import load_bytes
    from coherence_rules.settings import Limits
    from coherence_rules.validate import validate

LOAD_RULES = {"E001", "E005", "E006"}
VALIDATE_RULES = {"E001", "E002", "E003", "E004", "E005", "E006"}
LIMITS = Limits(max_file_bytes=64 * 1024)  # libFuzzer inputs are small; keep each run fast
AS_OF = dt.date(2026, 11, 23)


def carriable(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**63) <= value < 2**63
    return isinstance(value, (str, bool))


def test_one_input(data: bytes) -> None:
    loaded = load_bytes(data, "fuzz.yaml", LIMITS)
    assert all(f.rule in LOAD_RULES and f.location.line >= 1 and f.location.column >= 1 for f in loaded.findings)
    corpus = validate([loaded])
    for finding in corpus.findings:
        assert finding.rule in VALIDATE_RULES, finding
        assert finding.location.path == "fuzz.yaml" and finding.location.line >= 1, finding
    for entry in corpus.records:
        for fact in record_facts(entry, context(corpus, AS_OF)):
            assert all(carriable(v) for v in fact.values()), fact


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
