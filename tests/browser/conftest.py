"""Browser tests: planner's HTML pages opened from file:// in headless Chromium (tests/support/browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import launched_browser

WATCH_CSP = ("window.__violations = []; document.addEventListener('securitypolicyviolation', "
             "e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with launched_browser() as launched:
        yield launched


@dataclass
class OpenedPage:
    """A page opened from a file, with every request it made and every script error it raised."""

    page: Any
    url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def violations(self) -> list[str]:
        return list(self.page.evaluate("window.__violations"))


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """``open_page(path)``: the page at file://path, loaded and its table drawn; network requests are recorded and
    refused (a page that tried one fails its test)."""
    contexts = []

    def opener(path: Path, *, width: int = 1280, height: int = 900) -> OpenedPage:
        context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=True)
        contexts.append(context)
        url = path.resolve().as_uri()

        def only_the_document(route: Any) -> None:
            route.continue_() if route.request.url == url else route.abort()

        context.route("**/*", only_the_document)  # anything else, file:// or http(s), is refused (and recorded)
        page = context.new_page()
        opened = OpenedPage(page, url)
        page.on("request", lambda request: opened.requests.append(request.url))
        page.on("pageerror", lambda error: opened.errors.append(str(error)))
        page.add_init_script(WATCH_CSP)
        page.goto(opened.url)
        page.wait_for_selector("body[data-ready=true]", timeout=120_000)
        return opened

    yield opener
    for context in contexts:
        context.close()
