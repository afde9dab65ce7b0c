"""Shared helpers for the tests: quiet NumPy, closed figures, the ``browser`` marker, and the
expensive run folders built once per session (``built``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from tests.browser import CHROMIUM_ARGS, PageWatch, chromium_path
from tests.built import ORDER, Built, builds, read_build, write_csv_files

BUILD_TIMEOUT_S = 900


@pytest.fixture(autouse=True)
def _no_numpy_warnings_as_noise():
    """Tests that drive a network to divergence expect overflow; keep NumPy quiet there."""
    with np.errstate(over="ignore", invalid="ignore"):
        yield


def _build_name(item: pytest.Item) -> str | None:
    """The build a test reads (the parameter of its ``built`` fixture), or None."""
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("built") if callspec is not None else None


def _fixtures(item: pytest.Item) -> list[str]:
    """The fixtures a test uses, also through other fixtures (only test functions have any)."""
    return item.fixturenames if isinstance(item, pytest.Function) else []


@pytest.hookimpl(tryfirst=True)  # before -m deselects, so that -m "not browser" sees the marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that opens a page in Chromium ``browser``, and run the tests that read a
    built run last, in the order the runs are built (tests/built.py's ORDER), so that the
    builder has built each one while the other tests ran."""
    for item in items:
        if "browser" in _fixtures(item):  # also through the watch fixture
            item.add_marker(pytest.mark.browser)
    readers = [item for item in items if _build_name(item) is not None]
    others = [item for item in items if _build_name(item) is None]
    for item in readers:
        if _build_name(item) not in ORDER:
            raise pytest.UsageError(f"{item.nodeid} reads a build that tests/built.py lacks")
    readers.sort(key=lambda item: ORDER.index(_build_name(item) or ""))  # stable: in order
    items[:] = others + readers


class Builder:
    """Builder processes (tests/built.py) that build the runs the tests read while the other
    tests run in this process.

    The first starts with the session, before collection, on every build in ORDER; once the
    tests are collected the plan keeps only the builds they read. The tests that read builds
    run last; when the first of them has to wait, this process has nothing else to do, and the
    second builder, started with the first but idle until then, builds what nobody has claimed
    yet, from the last build backwards."""

    def __init__(self, root: Path):
        self.root = root
        self.csv_files = write_csv_files(root / "data")
        self.steps = builds(self.csv_files)
        self.processes: list[subprocess.Popen] = []
        self.plan(list(ORDER))

    def plan(self, needed: list[str]) -> None:
        """Build only ``needed`` (the builders read the plan before each build). A builder busy
        with a build no test reads is stopped, and a new one started on the rest."""
        self.needed = needed
        plan = [{"name": n, "folder": str(self.root / n), "steps": self.steps[n]} for n in needed]
        (self.root / "plan.json.tmp").write_text(json.dumps(plan, indent=1))
        os.replace(self.root / "plan.json.tmp", self.root / "plan.json")
        unread = [n for n in ORDER if n not in needed and (self.root / n).exists()]
        busy = any(not (self.root / n / "build.json").exists() for n in unread)
        if not needed or busy:
            self.stop()
            self.processes = []
        if needed and not self.processes:
            (self.root / "go").unlink(missing_ok=True)
            self._start("first")
            self._start("last", go="go")  # loads the libraries, then waits until wait() says go

    def _start(self, order: str, go: str | None = None) -> None:
        script = str(Path(__file__).with_name("built.py"))
        log = self.root / f"builder-{order}.log"
        with open(log, "wb") as output:
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, script, "plan.json", order, *([go] if go else [])],
                    cwd=self.root,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # a group of its own, with the animations it forks
                )
            )

    def _logs(self) -> str:
        return "\n".join(
            log.read_text(errors="replace")[-3000:] for log in self.root.glob("builder-*.log")
        )

    def wait(self, name: str) -> Built:
        if name not in self.needed:
            raise LookupError(f"build {name} was not planned: read it through the built fixture")
        done = self.root / name / "build.json"
        if not done.exists():
            (self.root / "go").touch()  # this process waits: the second builder may start
        deadline = time.monotonic() + BUILD_TIMEOUT_S
        while not done.exists():
            if all(process.poll() is not None for process in self.processes):
                if done.exists():
                    break
                raise RuntimeError(f"the builders stopped before building {name}:\n{self._logs()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"build {name} took over {BUILD_TIMEOUT_S} s")
            time.sleep(0.05)
        return read_build(self.root / name, name)

    def stop(self) -> None:
        """End the builders still running, and the animation processes they forked."""
        for process in self.processes:
            if process.poll() is None:
                if hasattr(os, "killpg"):
                    os.killpg(process.pid, signal.SIGKILL)
                else:
                    process.kill()
                process.wait()


BUILDER = pytest.StashKey[Builder]()


def _root(config: pytest.Config) -> Path:
    """A new folder for the builds, in pytest's temporary folder for this session (pytest keeps
    the last few sessions' and removes older ones) when there is one."""
    factory = getattr(config, "_tmp_path_factory", None)  # what the tmp_path_factory fixture is
    if isinstance(factory, pytest.TempPathFactory):
        return factory.mktemp("built")
    return Path(tempfile.mkdtemp(prefix="backprop-lab-built-"))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Start building before the tests are even collected: the builds take longer than the
    rest of the suite."""
    session.config.stash[BUILDER] = Builder(_root(session.config))


def _read(session: pytest.Session) -> list[str]:
    """The builds the selected tests read (none when they are only listed: --collect-only)."""
    if session.config.getoption("collectonly"):
        return []
    read = {_build_name(item) for item in session.items}
    return [name for name in ORDER if name in read]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep to the builds the selected tests read (after -k, -m and the like)."""
    if BUILDER in session.config.stash:
        session.config.stash[BUILDER].plan(_read(session))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    builder = session.config.stash.get(BUILDER, None)
    if builder is not None:
        builder.stop()
        if exitstatus != 0:  # the builders' printout is in each build's build.json
            session.config.get_terminal_writer().line(f"built runs: {builder.root}")


@pytest.fixture(scope="session")
def _builder(request: pytest.FixtureRequest) -> Builder:
    """The session's builder; started here if pytest did not call this file's session hooks
    (they run when pytest finds this conftest.py before collecting, as it does from the
    project's folder)."""
    if BUILDER not in request.config.stash:
        builder = Builder(_root(request.config))
        builder.plan(_read(request.session))
        request.config.stash[BUILDER] = builder
    return request.config.stash[BUILDER]


@pytest.fixture
def built(request: pytest.FixtureRequest, _builder: Builder) -> Built:
    """A run folder built once per session (tests/built.py), named by indirect
    parametrization: ``@pytest.mark.parametrize("built", ["xor"], indirect=True)``.
    Read it only; a test that changes files copies the folder first."""
    return _builder.wait(request.param)


@pytest.fixture(scope="session")
def csv_files(_builder: Builder) -> dict[str, tuple[str, dict]]:
    """The CSV files of tests/built.py's CSV_RUNS: name -> (path, options)."""
    return _builder.csv_files


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
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
