#!/usr/bin/env python3
"""Benchmark: the HTML report of a seeded synthetic corpus. Prints the corpus (records, findings),
the time to render the HTML in Python, its size, and the time headless Chromium takes to load it
(the `load` event) and until the findings list is interactive (the filter script has run); then the
time one severity filter takes. Asserts nothing.

    python bench/html_report.py [--records 10000] [--seed 1] [--copies N] [--keep report.html]

--copies N renders the findings N times over (synthetic copies, each its own fingerprint) to see how
the page scales with thousands of findings; the generated corpus itself has a few hundred.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from coherence_rules import Settings, lint
from coherence_rules.findings import finalise
from coherence_rules.formats import render
from coherence_rules.report import Report

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus_gen  # noqa: E402
import headless  # noqa: E402


def browser_times(page_path: Path) -> tuple[float, float, float, int]:
    """(seconds to the load event, seconds until the filters work, seconds for one filter, findings shown)."""
    with sync_playwright() as playwright:
        browser = headless.launch(playwright)
        page = browser.new_page(viewport=headless.DESKTOP)
        start = time.perf_counter()
        page.goto(page_path.as_uri(), wait_until="load", timeout=120_000)
        loaded = time.perf_counter() - start
        page.wait_for_selector("body[data-filters-ready]", state="attached", timeout=120_000)
        ready = time.perf_counter() - start
        shown = page.locator("article.finding:visible").count()
        start = time.perf_counter()
        page.locator("#filters input[name=severity][value=error]").uncheck()
        page.wait_for_function("shown => document.getElementById('shown-count').textContent !== shown", arg=str(shown))
        filtered = time.perf_counter() - start
        browser.close()
    return loaded, ready, filtered, shown


def copied(report: Report, copies: int) -> Report:
    """The report with each finding `copies` times, the copies told apart by their message."""
    findings = [
        dataclasses.replace(f, message=f"{f.message} (copy {n})", identity=f"{f.identity} {n}", fingerprint="")
        if n
        else f
        for f in report.findings
        for n in range(copies)
    ]
    return dataclasses.replace(report, findings=finalise(findings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--copies", type=int, default=1, help="render each finding this many times")
    parser.add_argument("--keep", type=Path, help="also copy the report here")
    args = parser.parse_args()
    corpus = corpus_gen.generate(args.seed, args.records)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "policies"
        corpus_gen.write(corpus, root)
        start = time.perf_counter()
        report = lint(Settings(corpus=[root], cwd=Path(tmp), as_of=corpus_gen.REFERENCE_DATE, record_views=True))
        linted = time.perf_counter() - start
        if args.copies > 1:
            report = copied(report, args.copies)
        start = time.perf_counter()
        page = render("html", report)
        rendered = time.perf_counter() - start
        page_path = Path(tmp) / "report.html"
        page_path.write_text(page, encoding="utf-8")
        if args.keep:
            shutil.copyfile(page_path, args.keep)
        loaded, ready, filtered, shown = browser_times(page_path)
    size = len(page.encode("utf-8"))
    copies = f" ({args.copies} copies of each)" if args.copies > 1 else ""
    print(
        f"corpus: seed {args.seed}, {report.records:,} records in {report.files:,} files, "
        f"{len(report.findings):,} findings{copies}"
    )
    print(f"{linted:8.2f} s  lint (with record views), for reference")
    print(f"{rendered:8.2f} s  render the HTML report ({size / 1e6:.2f} MB)")
    print(f"{loaded:8.2f} s  headless Chromium: page.goto to the load event")
    print(f"{ready:8.2f} s  headless Chromium: until the findings list is interactive ({shown:,} findings shown)")
    print(f"{filtered:8.2f} s  headless Chromium: one severity filter applied")


if __name__ == "__main__":
    main()
