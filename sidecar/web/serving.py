"""Serve the WSGI app with cheroot (a production-grade, pure-Python server)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

from cheroot import wsgi
from flask import Flask


def make_server(app: Flask, host: str, port: int) -> wsgi.Server:
    server = wsgi.Server((host, port), app, numthreads=8, server_name="quorum")
    server.prepare()
    return server


def serve_app(app: Flask, host: str, port: int, *, banner: str | None = None) -> None:
    """Serve until SIGINT/SIGTERM; requests in flight finish before the process exits."""
    server = make_server(app, host, port)
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()
        server.stop()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    print(banner or f"Quorum is serving on http://{host}:{server.bind_addr[1]}/", flush=True)
    try:
        server.serve()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
