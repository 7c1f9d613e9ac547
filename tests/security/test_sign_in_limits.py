"""The sign-in limit: recorded before the check (parallel guesses all count), per login and
address with a growing wait, so nobody elsewhere can lock the admin out (issue 12, item 5)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from sidecar.context import Services, resolve_association
from sidecar.security import throttle
from sidecar.services import accounts
from sidecar.storage.models import LoginAttempt
from sidecar.web import create_app

PASSWORD = "correct horse battery staple"


def _app(services: Services) -> Flask:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        accounts.create_local_admin(session, association, "root", PASSWORD)
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)


def _post(app: Flask, password: str, ip: str) -> int:
    client = app.test_client()
    answer = client.post(
        "/login",
        data={"login": "root", "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )
    return answer.status_code


def test_parallel_guesses_cannot_slip_under_the_limit(services: Services) -> None:
    app = _app(services)
    tries = 12
    statuses = _at_once(tries, lambda n: _post(app, f"guess {n}", "203.0.113.7"))
    checked = statuses.count(401)  # the password was really tried
    assert checked == throttle.MAX_PER_LOGIN, statuses
    assert statuses.count(429) == tries - checked


def test_guesses_from_elsewhere_never_lock_the_admin_out(services: Services) -> None:
    app = _app(services)
    for n in range(8):
        assert _post(app, f"guess {n}", "203.0.113.7") in (401, 429)
    assert _post(app, PASSWORD, "203.0.113.7") == 429, "the guessing address waits"
    assert _post(app, PASSWORD, "198.51.100.2") == 302, "the admin, elsewhere, gets in"


def test_the_wait_grows_and_ends() -> None:
    assert throttle.wait_after(4) == timedelta(0)
    assert throttle.wait_after(5) == timedelta(minutes=1)
    assert throttle.wait_after(6) == timedelta(minutes=2)
    assert throttle.wait_after(40) == throttle.WINDOW


def test_after_the_wait_one_more_try_is_allowed(services: Services) -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    with services.db.session() as session:
        for n in range(5):
            assert throttle.attempt(session, "203.0.113.7", "root", now=now + timedelta(seconds=n))
        assert not throttle.attempt(session, "203.0.113.7", "root", now=now + timedelta(seconds=30))
        later = now + timedelta(seconds=30) + timedelta(minutes=2, seconds=1)
        assert throttle.attempt(session, "203.0.113.7", "root", now=later)
        assert not throttle.attempt(
            session, "203.0.113.7", "root", now=later + timedelta(minutes=1)
        )
        assert throttle.attempt(session, "198.51.100.2", "root", now=later)
        throttle.succeeded(session, "198.51.100.2", "root")
        left = {row.ip for row in session.scalars(select(LoginAttempt))}
    assert left == {"203.0.113.7"}


def _post_as(app: Flask, login: str, password: str, ip: str) -> int:
    answer = app.test_client().post(
        "/login", data={"login": login, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )
    return answer.status_code


def test_twenty_failures_from_one_address_stop_it(services: Services) -> None:
    """A different login each time never reaches the per-login wait; the address limit stops
    it after :data:`~sidecar.security.throttle.MAX_PER_IP` failures, for every login, there
    only."""
    app = _app(services)
    assert throttle.MAX_PER_IP == 20
    for n in range(throttle.MAX_PER_IP):
        assert _post_as(app, f"guess{n}", "x", "203.0.113.7") == 401, n
    assert _post_as(app, "someone-else", "x", "203.0.113.7") == 429
    assert _post_as(app, "root", PASSWORD, "203.0.113.7") == 429, "even the right password"
    assert _post_as(app, "root", PASSWORD, "198.51.100.2") == 302, "other addresses get in"


def test_parallel_guesses_at_different_logins_cannot_pass_the_address_limit(
    services: Services,
) -> None:
    """Twelve guesses at twelve logins at once from an address that failed 15 times: 5 are
    checked, 7 refused (on PostgreSQL each attempt also locks its address)."""
    app = _app(services)
    before = throttle.MAX_PER_IP - throttle.MAX_PER_LOGIN
    now = datetime.now(UTC)
    with services.db.session() as session:
        for n in range(before):
            assert throttle.attempt(
                session, "203.0.113.7", f"old{n}", now=now - timedelta(seconds=60 - n)
            )
    tries = 12
    statuses = _at_once(tries, lambda n: _post_as(app, f"guess{n}", "x", "203.0.113.7"))
    assert statuses.count(401) == throttle.MAX_PER_IP - before, statuses
    assert statuses.count(429) == tries - (throttle.MAX_PER_IP - before)


def _at_once(tries: int, attempt: Callable[[int], int]) -> list[int]:
    """``attempt(0..tries-1)`` from as many threads released together: their statuses."""
    start = threading.Barrier(tries)
    statuses: list[int] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        start.wait(timeout=30)
        status = attempt(n)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(tries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == tries
    return statuses
