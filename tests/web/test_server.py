"""``backprop-lab serve``: what it refuses before starting, and a real server that answers and
stops cleanly on Ctrl-C."""

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from backprop_lab.cli import main
from tests.web.conftest import free_port


def one_sentence(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert captured.err.count("\n") == 1
    return captured.err


def test_a_port_in_use_is_refused_with_one_sentence(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["serve", "--no-browser", "--port", str(port), "--runs", str(tmp_path)]
        assert main(args) == 2
    err = one_sentence(capsys)
    assert f"port {port} on 127.0.0.1 is in use; choose another with --port" in err


@pytest.mark.parametrize("port", ["0", "70000", "-1", "http"])
def test_a_port_that_is_not_one_is_refused(tmp_path, capsys, port):
    assert main(["serve", "--no-browser", "--port", port, "--runs", str(tmp_path)]) == 2
    err = one_sentence(capsys)
    assert "--port" in err or "port" in err
    if port in ("0", "70000"):
        assert f"{port!r} is not a port (1 to 65535)" in err


def test_a_runs_folder_that_is_a_file_is_refused(tmp_path, capsys):
    runs = tmp_path / "runs"
    runs.write_text("not a folder")
    port = str(free_port())
    assert main(["serve", "--no-browser", "--port", port, "--runs", str(runs)]) == 2
    assert f"--runs {runs} is a file, not a folder for the saved runs" in one_sentence(capsys)


def test_an_address_of_another_machine_is_refused(tmp_path, capsys):
    port = str(free_port())
    args = ["serve", "--no-browser", "--host", "192.0.2.1", "--port", port, "--runs", str(tmp_path)]
    assert main(args) == 2
    assert f"port {port} on 192.0.2.1 cannot be used" in one_sentence(capsys)


def test_the_server_answers_and_stops_cleanly_on_ctrl_c(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "backprop_lab.cli", "serve", "--no-browser",
               "--port", str(port), "--runs", str(tmp_path / "runs")]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        options = None
        deadline = time.monotonic() + 30
        while options is None:
            assert server.poll() is None, server.communicate()[1]
            assert time.monotonic() < deadline, "the server did not answer within 30 s"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/options", timeout=2) as r:
                    options = json.load(r)
            except OSError:
                time.sleep(0.1)
        assert options["type"] == "hello" and "lr" in options["options"]
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=20)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, err
    assert "Traceback" not in err
    assert f"backprop-lab playground: http://127.0.0.1:{port}/ (Ctrl-C stops it)" in err
    assert err.rstrip().endswith("playground stopped")
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
