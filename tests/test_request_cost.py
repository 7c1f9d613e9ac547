"""What one request costs the database: the SQL statements of the pages and API endpoints that
every reader opens, counted on the synced demo data (SQLite and PostgreSQL).

With 20 clients on 2 cores the latency is the queue, and each statement costs a few tenths of
a millisecond in SQLAlchemy (and, on PostgreSQL, a round trip and the server's CPU on the same
cores): ``bench/pages.py`` measured it. These budgets pin what was cut; a change that needs
more statements must say why here. No time is measured.
"""

from __future__ import annotations

import re

from sidecar.context import Services
from tests.access_helpers import LoginAs
from tests.sql_statements import statements

# (path, most statements one request may run once warm)
BUDGETS = (
    ("/", 4),
    ("/meetings", 2),
    ("/api/v1/meetings", 2),
    ("/alerts/", 4),
    ("/documents", 3),
    ("/grants", 2),
    ("/bodies", 2),
    ("/api/v1/alerts", 2),
    ("/api/v1/documents", 3),
    ("/api/v1/grants", 2),
    ("/api/v1/obligations", 2),
    ("/api/v1/bodies", 2),
)
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def test_pages_and_api_stay_within_their_statement_budgets(
    synced: Services, login_as: LoginAs
) -> None:
    client = login_as("admin")
    over = []
    for path, budget in BUDGETS:
        assert client.get(path).status_code == 200, path  # warm: what a worker keeps is built
        with statements(synced) as seen:
            answer = client.get(path)
        assert answer.status_code == 200, path
        if len(seen) > budget:
            over.append(f"{path}: {len(seen)} statements > {budget}:\n  " + "\n  ".join(seen))
    assert not over, "\n".join(over)


def test_a_signed_in_read_writes_nothing(synced: Services, login_as: LoginAs) -> None:
    """Reads by a session or a token record when they were last used at most every few
    minutes, not on every request (a write per read serialises readers on SQLite)."""
    client = login_as("officer")
    for path in ("/alerts/", "/api/v1/alerts"):
        client.get(path)
        with statements(synced) as seen:
            assert client.get(path).status_code == 200
        assert [s for s in seen if WRITES.match(s)] == [], path


def test_a_signed_in_read_sends_no_new_cookie(synced: Services, login_as: LoginAs) -> None:
    """The session record ends at a fixed time after sign-in (``sessions.LIFETIME``), and so
    does the cookie: signing it again on every answer (Flask's default) pushed the browser's
    expiry forward for nothing, at a few tenths of a millisecond per request."""
    client = login_as("member")
    client.get("/meetings")
    answer = client.get("/meetings")
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    assert client.get("/").status_code == 200  # still signed in
