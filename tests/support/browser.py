"""Headless Chromium (Debian's ``chromium``) driven by Playwright, for tests that open planner's HTML output.

Playwright's own browser download cannot work here, so it drives ``/usr/bin/chromium``. A missing browser or
Playwright fails the test under ``CI=true`` and skips it elsewhere, like every other real component.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.support.components import require

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def chromium_path() -> str:
    """The browser binary, or the test stops (fails in CI) naming what to install."""
    path = CHROMIUM if shutil.which(CHROMIUM) else shutil.which("chromium")
    if path is None:
        require("chromium", "no chromium binary (apt-get install chromium)")
    return path


@contextmanager
def launched_browser() -> Iterator[Any]:
    """A Playwright ``Browser`` on headless Chromium, closed afterwards."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("chromium", "Playwright is not installed (pip install playwright; it is in the dev extras)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
