#!/usr/bin/env python3
"""The README's screenshots of the HTML report of the sample corpus policies/: docs/report-overview.png
(the top of the report at 1280×900) and docs/report-mobile.png (390 px wide). Needs /usr/bin/chromium.

    python bench/screenshots.py
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from coherence_rules import Settings, lint
from coherence_rules.formats import render

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import headless  # noqa: E402

AS_OF = dt.date(2026, 11, 23)  # the sample corpus's reference date
SHOTS = {"report-overview.png": headless.DESKTOP, "report-mobile.png": headless.MOBILE}


def main() -> None:
    report = lint(Settings(corpus=[REPO / "policies"], cwd=REPO, as_of=AS_OF, record_views=True))
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "report.html"
        page_path.write_text(render("html", report), encoding="utf-8")
        with sync_playwright() as playwright:
            browser = headless.launch(playwright)
            for name, viewport in SHOTS.items():
                page = browser.new_page(viewport=viewport)
                page.goto(page_path.as_uri(), wait_until="load")
                page.wait_for_selector("body[data-filters-ready]", state="attached")
                target = REPO / "docs" / name
                page.screenshot(path=target)
                print(f"{target.relative_to(REPO)}: {target.stat().st_size / 1024:.0f} KiB")
            browser.close()


if __name__ == "__main__":
    main()
