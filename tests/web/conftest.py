"""The playground's tests: a page's socket through Starlette's test client, the app served by
uvicorn on a free port for the browser (the headless Chromium is tests/conftest.py's)."""

from __future__ import annotations

import json
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from backprop_lab.web.app import create_app
from tests.browser import PageWatch

with warnings.catch_warnings():  # starlette asks for httpx2, which Debian does not package yet
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

RECEIVE_TIMEOUT_S = 20.0


class Socket:
    """A page's end of the WebSocket, as the page uses it: JSON messages, each frame acked once
    "drawn". Every wait has a deadline, so a server that stops answering fails the test instead
    of hanging it."""

    def __init__(self, ws):
        self.ws = ws
        self.frames: list[dict] = []
        self.errors: list[dict] = []

    def send(self, **message) -> None:
        self.ws.send_text(json.dumps(message))

    def send_text(self, text: str) -> None:
        self.ws.send_text(text)

    def receive(self, timeout: float = RECEIVE_TIMEOUT_S) -> dict:
        async def within() -> dict:
            with anyio.fail_after(timeout):
                return await self.ws._send_rx.receive()

        raw = self.ws.portal.call(within)
        assert raw["type"] == "websocket.send", f"the server closed the socket: {raw}"
        message = json.loads(raw["text"])
        if message["type"] == "frame":
            self.frames.append(message)
            self.send(type="ack")
        elif message["type"] == "error":
            self.errors.append(message)
        return message

    def until(self, kind: str, timeout: float = RECEIVE_TIMEOUT_S, **fields) -> dict:
        """The next message of type ``kind`` (with ``fields``), acking frames on the way."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no {kind} message {fields or ''} within {timeout} s"
            message = self.receive(left)
            if message["type"] == kind and all(message.get(k) == v for k, v in fields.items()):
                return message

    def frame_where(self, test, timeout: float = RECEIVE_TIMEOUT_S) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            frame = self.until("frame", max(0.01, deadline - time.monotonic()))
            if test(frame):
                return frame

    def opened(self) -> tuple[dict, dict, dict]:
        """hello, state and the first frame, which every connection starts with."""
        hello = self.until("hello")
        state = self.until("state")
        return hello, state, self.until("frame")


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    with TestClient(create_app(tmp_path / "runs")) as test_client:
        yield test_client


@pytest.fixture
def no_drawing(monkeypatch):
    """Saving without the figures, the animation and the report, for the tests of the socket's
    and the page's part of "save run": those are drawn by the functions tests/plots and
    tests/report check, and test_session saves one run with all of them."""
    for name in ("plots.draw_run", "plots.draw_figures", "plots.write_animation",
                 "report.write_report"):  # fmt: skip
        module, function = name.split(".")
        monkeypatch.setattr(
            f"backprop_lab.{module}.{function}", lambda *a, **k: None, raising=False
        )


def connect(client: TestClient):
    """``with connect(client) as page:`` a Socket on /ws."""

    class _Connected:
        def __enter__(self) -> Socket:
            self.context = client.websocket_connect("/ws")
            return Socket(self.context.__enter__())

        def __exit__(self, *exc):
            return self.context.__exit__(*exc)

    return _Connected()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """The app on uvicorn in a thread of this process, on a free port of 127.0.0.1."""

    def __init__(self, runs: Path):
        import uvicorn

        self.runs = runs
        self.port = free_port()
        config = uvicorn.Config(
            create_app(runs), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(tmp_path) -> Iterator[LiveServer]:
    with LiveServer(tmp_path / "runs") as server:
        yield server


__all__ = ["LiveServer", "PageWatch", "Socket", "connect", "free_port"]
