"""``backprop-lab serve``: run the playground app on uvicorn until Ctrl-C."""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
import time
import webbrowser
from pathlib import Path


class ServeError(Exception):
    """The server cannot start; one sentence."""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_port(host: str, port: int) -> None:
    """Fail with one sentence if ``host``:``port`` cannot be listened on (taken, or not an
    address of this machine), before uvicorn would say it in a log line."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise ServeError(f"--host {host} is not an address this machine knows") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            why = "is in use" if error.errno == 98 else f"cannot be used ({error.strerror})"
            raise ServeError(f"port {port} on {host} {why}; choose another with --port") from None


def _open_when_up(server, url: str) -> None:
    def wait_and_open() -> None:
        for _ in range(200):
            if server.started:
                webbrowser.open(url)
                return
            time.sleep(0.05)

    threading.Thread(target=wait_and_open, daemon=True).start()


def serve(host: str, port: int, runs_dir: Path, open_browser: bool = True) -> None:
    """Serve the playground at http://host:port/ until interrupted."""
    import uvicorn

    from .app import create_app

    if runs_dir.exists() and not runs_dir.is_dir():
        raise ServeError(f"--runs {runs_dir} is a file, not a folder for the saved runs")
    _check_port(host, port)
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{port}/"
    print(f"backprop-lab playground: {url} (Ctrl-C stops it)", file=sys.stderr)
    print(f"saved runs go into {runs_dir}/", file=sys.stderr)
    if not _loopback(host):
        print(
            f"warning: listening on {host}, so anyone who can reach this machine can use the "
            f"playground and save runs into {runs_dir}/",
            file=sys.stderr,
        )
    config = uvicorn.Config(
        create_app(runs_dir),
        host=host,
        port=port,
        log_level="warning",
        ws_max_size=65_536 * 2,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    if open_browser:
        _open_when_up(server, url)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    print("playground stopped", file=sys.stderr)
