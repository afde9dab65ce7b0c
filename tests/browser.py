"""A headless Chromium for the browser tests: Debian's, driven by Playwright, never downloaded.

The ``browser`` and ``watch`` fixtures (tests/conftest.py) use these. Without Chromium the
browser tests skip with the reason; under CI (CI=true) they fail instead, because CI installs
Chromium and a skip there would hide a broken page. One Chromium serves the whole session:
Playwright's sync API runs one Playwright per thread.
"""

import os
import shutil

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str | None:
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


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
