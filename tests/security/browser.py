"""A real browser for the security tests: Debian's Chromium driven by Playwright, and the app
served on 127.0.0.1 by werkzeug in a thread.

The browser is the system one (``/usr/bin/chromium``, from Debian's packages): nothing is
downloaded. Without it the tests skip, unless ``QUORUM_TEST_BROWSER_REQUIRED=1`` (CI), where a
missing browser fails the run instead of hiding the test.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = Path(os.environ.get("QUORUM_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_or_skip() -> Any:
    """Playwright's sync API, or a skip (a failure under QUORUM_TEST_BROWSER_REQUIRED=1)."""
    reason = ""
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM}: apt-get install chromium to run the browser tests"
    try:
        from playwright import sync_api
    except ImportError:
        reason = reason or "playwright is not installed: pip install -e '.[dev]'"
    if reason:
        if os.environ.get("QUORUM_TEST_BROWSER_REQUIRED") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return sync_api


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 for the duration of the block."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="quorum-test-web", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def chromium_page(browser: Any) -> Iterator[Any]:
    """A fresh page, in a fresh context, of the session's headless Chromium (see the ``browser``
    fixture in tests/conftest.py: one Playwright driver per process, since a second one cannot
    start while the first runs)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield page
    finally:
        context.close()
