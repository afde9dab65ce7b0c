"""A headless Chromium for the browser tests: Debian's, driven by Playwright, never downloaded.

Without Chromium the browser tests skip with the reason; under CI (CI=true) they fail instead,
because CI installs Chromium and a skip there would hide a broken page.
"""

import os
import shutil

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _chromium_path() -> str | None:
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    path = _chromium_path()
    reason = None
    if path is None:
        reason = "Chromium is not installed (apt-get install chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "the playwright package is not installed (pip install '.[test]')"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageWatch:
    """A page with every request and every console error it made recorded."""

    def __init__(self, browser, width=1300, height=1000):
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", self._request)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _request(self, request):
        if not request.url.startswith(("file:", "data:", "blob:", "about:")):
            self.outside.append(request.url)

    def open(self, path):
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(500)
        return self.page


@pytest.fixture
def watch(browser):
    watches = []

    def make(**kwargs):
        w = PageWatch(browser, **kwargs)
        watches.append(w)
        return w

    yield make
    for w in watches:
        w.page.close()
