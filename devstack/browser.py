"""Chromium for the browser tests and the widget benchmark, launched the way this machine allows.

Debian's ``/usr/bin/chromium`` when it is installed (Playwright cannot download its own browser
here), otherwise Playwright's own Chromium (as on GitHub's runners).
"""

from __future__ import annotations

import os

DEBIAN_CHROMIUM = "/usr/bin/chromium"
# The machine's network is closed: without these flags Chromium keeps dialling out.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch_chromium(playwright):
    """A headless Chromium from a started ``sync_playwright()``."""
    options = {"args": CHROMIUM_ARGS}
    if os.path.exists(DEBIAN_CHROMIUM):
        options["executable_path"] = DEBIAN_CHROMIUM
    return playwright.chromium.launch(**options)
