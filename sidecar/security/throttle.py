"""Rate limiting of sign-in attempts, in the database so it holds across web workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sidecar.storage.models import LoginAttempt

WINDOW = timedelta(minutes=15)
MAX_PER_LOGIN = 5  # failures for one login in the window
MAX_PER_IP = 20  # failures from one address in the window, whatever the login


def blocked(session: Session, ip: str, login: str, *, now: datetime | None = None) -> bool:
    """True when this address or this login failed too often recently."""
    since = (now or datetime.now(UTC)) - WINDOW
    per_login = session.scalar(
        select(func.count()).where(LoginAttempt.login == login, LoginAttempt.at >= since)
    )
    per_ip = session.scalar(
        select(func.count()).where(LoginAttempt.ip == ip, LoginAttempt.at >= since)
    )
    return (per_login or 0) >= MAX_PER_LOGIN or (per_ip or 0) >= MAX_PER_IP


def record_failure(session: Session, ip: str, login: str, *, now: datetime | None = None) -> None:
    """Remember one failure, and forget those older than the window."""
    now = now or datetime.now(UTC)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - WINDOW))
    session.add(LoginAttempt(ip=ip[:64], login=login[:200], at=now))


def clear(session: Session, login: str) -> None:
    """After a successful sign-in, that login's failures no longer count (the address's do:
    one good account must not reset the counter of someone guessing others)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.login == login))
