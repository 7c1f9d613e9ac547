"""The sign-in limit: recorded before the check (parallel guesses all count), per login and
address with a growing wait, so nobody elsewhere can lock the admin out (issue 12, item 5)."""

from __future__ import annotations

import threading
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
    start = threading.Barrier(tries)
    statuses: list[int] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        start.wait(timeout=30)
        status = _post(app, f"guess {n}", "203.0.113.7")
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(tries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == tries
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
