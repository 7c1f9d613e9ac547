"""Rate limiting of sign-in attempts, in the database so it holds across web workers.

Each attempt is recorded *before* the password is checked, in the same transaction as the
check, so parallel guesses cannot all slip under the limit (on PostgreSQL transaction-scoped
advisory locks per address and per login serialise them; on SQLite the first write takes the
database's write lock). The limit is per login *and* address, with a growing wait: a stranger's guesses from
elsewhere never lock the real admin out, and the address that guesses waits 1, 2, 4… minutes
(15 at most) between tries once it failed five times. An address that fails with many logins
is stopped too.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from sidecar.storage.models import LoginAttempt

WINDOW = timedelta(minutes=15)
MAX_PER_LOGIN = 5  # failures of one login from one address before the waits start
MAX_PER_IP = 20  # failures from one address in the window, whatever the login
FIRST_WAIT = timedelta(minutes=1)


def wait_after(failures: int) -> timedelta:
    """How long one address waits before its next try of a login it failed ``failures`` times."""
    if failures < MAX_PER_LOGIN:
        return timedelta(0)
    wait: timedelta = FIRST_WAIT * 2 ** (failures - MAX_PER_LOGIN)
    return min(WINDOW, wait)


def attempt(session: Session, ip: str, login: str, *, now: datetime | None = None) -> bool:
    """Record an attempt of ``login`` from ``ip``; True when its password may be checked.

    The caller checks the password in the same transaction and calls :func:`succeeded` when
    it was right; a wrong one stays recorded as a failure.
    """
    now = now or datetime.now(UTC)
    ip, login = ip[:64], login[:200]
    _lock(session, ip, login)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - WINDOW))
    current = LoginAttempt(ip=ip, login=login, at=now)
    session.add(current)
    session.flush()  # recorded before anything is decided
    since = now - WINDOW
    earlier = list(
        session.scalars(
            select(LoginAttempt.at)
            .where(
                LoginAttempt.login == login,
                LoginAttempt.ip == ip,
                LoginAttempt.at >= since,
                LoginAttempt.id != current.id,
            )
            .order_by(LoginAttempt.at.desc())
        )
    )
    from_ip = session.scalar(
        select(func.count()).where(
            LoginAttempt.ip == ip, LoginAttempt.at >= since, LoginAttempt.id != current.id
        )
    )
    if (from_ip or 0) >= MAX_PER_IP:
        return False
    wait = wait_after(len(earlier))
    # (parallel requests may have stamped their attempts a moment out of order: no wait, no
    # comparison)
    return not wait or now - earlier[0] >= wait


def succeeded(session: Session, ip: str, login: str) -> None:
    """The password was right: this address's attempts at this login no longer count (other
    addresses' do: one good sign-in must not reset the counter of someone guessing)."""
    session.execute(
        delete(LoginAttempt).where(LoginAttempt.login == login[:200], LoginAttempt.ip == ip[:64])
    )


def _lock(session: Session, ip: str, login: str) -> None:
    """On PostgreSQL, one transaction at a time per address and per login (until commit or
    rollback): the address's lock holds its 20-failure limit when guesses try many logins, the
    login's its waits when they come from many addresses. Always the address first, then the
    login, so two attempts never wait for each other in a circle."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the flush of the attempt takes the database's write lock
    for key in (_key("ip", ip), _key("login", login)):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _key(kind: str, value: str) -> int:
    """A 64-bit advisory lock key; ``kind`` keeps an address and a login of the same text apart."""
    digest = hashlib.sha256(f"quorum-sign-in\0{kind}\0{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
