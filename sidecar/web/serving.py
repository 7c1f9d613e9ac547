"""Serve the WSGI app with cheroot (a production-grade, pure-Python server)."""

from __future__ import annotations

import logging
import signal
from types import FrameType

from cheroot import wsgi
from flask import Flask


def configure_logging(level: str) -> int:
    """Log at ``level`` (``QUORUM_LOG_LEVEL``: DEBUG, INFO, WARNING…) on stderr; the level set.

    An unknown name falls back to INFO rather than stopping the server.
    """
    found = logging.getLevelName(level.strip().upper())
    number = found if isinstance(found, int) else logging.INFO
    logging.basicConfig(level=number)
    logging.getLogger().setLevel(number)  # basicConfig does nothing once a handler exists
    return number


def make_server(app: Flask, host: str, port: int) -> wsgi.Server:
    server = wsgi.Server((host, port), app, numthreads=8, server_name="quorum")
    server.prepare()
    return server


def serve_app(app: Flask, host: str, port: int, *, banner: str | None = None) -> None:
    """Serve until Ctrl-C or SIGTERM, then stop cleanly: requests in flight finish.

    The signal only interrupts the serving loop; the server is stopped afterwards, outside the
    signal handler (stopping it from inside the handler, on the thread that runs the loop,
    never returns).
    """
    server = make_server(app, host, port)

    def _interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # SIGINT too: a process started in the background of a script inherits it ignored.
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    print(banner or f"Quorum is serving on http://{host}:{server.bind_addr[1]}/", flush=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
