"""Headless Chromium for the HTML report's browser test, screenshots and benchmark: Debian's
/usr/bin/chromium driven by Playwright (no `playwright install`: nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Offline and quiet: no first-run pages, no background fetches, no component or sync traffic.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}


def launch(playwright):
    """The browser; the caller closes it."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
