"""Fixtures of the browser suite: headless Chromium (Debian's, never downloaded), and the web
app served on 127.0.0.1 in a thread, on a database synced from the demo Nextcloud, with one
signed-in browser context per role.

Before the crawl the data set gets what the demo alone leaves empty, so the pages are seen
with data in them: amounts on dossiers (the chart), the sharing audit run against the demo's
shares (share alerts), an approved PV in the register, a handover, and audit log entries.

Without /usr/bin/chromium the suite is skipped with the reason, unless
``QUORUM_TEST_BROWSER_REQUIRED=1`` (CI sets it: a silent skip would hide the whole suite).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask import Flask

from sidecar.context import Services

# Each role, and the roster member a "member" account is linked to (a CA administrateur).
PERSONAS = {"admin": None, "officer": None, "member": "etienne"}


@dataclass(frozen=True)
class LiveApp:
    """The served app: its address, the Flask app (for url_map) and each role's cookie."""

    url: str
    app: Flask
    services: Services
    cookies: dict[str, dict[str, str]]


def _session_cookie(app: Flask, services: Services, user_id: int) -> dict[str, str]:
    """The cookie of a server-side session of ``user_id``, as signing in would set it."""
    from sidecar.services import sessions as user_sessions
    from sidecar.storage.models import User

    with services.db.session() as db:
        user = db.get(User, user_id)
        assert user is not None
        token = user_sessions.start(db, user)
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    value = serializer.dumps({"sid": token, "_permanent": True})
    return {"name": app.config["SESSION_COOKIE_NAME"], "value": value}


def _record_amounts(services: Services, now: datetime) -> None:
    """Amounts on the first dossiers, so pages show euros (and the chart its figures)."""
    from sidecar.context import resolve_association
    from sidecar.services import dossiers as grants

    with services.db.session() as session:
        association = resolve_association(session, None)
        found = grants.dossiers(session, association, now.date())
        for dossier, (requested, awarded) in zip(
            found, ((1250050, 1000000), (800000, None)), strict=False
        ):
            values = grants.draft_values(dossier) | {
                "amount_requested_cents": requested,
                "amount_awarded_cents": awarded,
            }
            grants.save_grant(session, association.id, values)


def _seed_pages(services: Services, now: datetime) -> None:
    """Share findings, one register entry, one handover and a few audit entries."""
    from sqlalchemy import select

    from sidecar.alerts import share_audits
    from sidecar.context import resolve_association
    from sidecar.services import accounts, handover, register
    from sidecar.storage.models import Body, Collection, FileRecord, Member, Source

    with services.db.session() as session:
        association = resolve_association(session, None)
        aid = association.id
        audit = share_audits.refresh(session, association, services.vault, now)
        assert audit.findings, f"the demo's shares give findings ({audit.error})"
        pv = session.scalars(
            select(FileRecord)
            .join(Collection, FileRecord.collection_id == Collection.id)
            .join(Source, Collection.source_id == Source.id)
            .where(Source.association_id == aid, FileRecord.path.like("%Compte rendu bureau%"))
            .order_by(FileRecord.path)
        ).first()
        body = session.scalars(select(Body).where(Body.association_id == aid)).first()
        assert pv is not None and pv.fileid and body is not None
        register.append(
            session, aid, meeting_uid="browser-suite", meeting_day=now.date().isoformat(),
            body_code=body.code, path=pv.path, fileid=pv.fileid, etag=pv.etag or "",
            sha256="0" * 64, approved_by="officer", approved_via="officer", now=now,
        )  # fmt: skip
        leaving = session.scalars(
            select(Member).where(Member.association_id == aid, Member.nc_user == "chloe")
        ).one()
        handover.start(session, aid, leaving, ["secrétaire"], now)
        for action, details in (
            ("admin.access.save", {"groups": {"Bureau": "officer"}, "default_role": None}),
            ("sign_in", {"login": "admin", "method": "nextcloud", "kept": True}),
            ("POST grants_edit.save", {"path": "/grants/edit", "form": {"funder": "Ville"}}),
        ):
            accounts.record_audit(
                session, action, actor="admin", user_id=None, association_id=aid,
                details={"ip": "127.0.0.1", **details},
            )  # fmt: skip


@pytest.fixture(scope="module")
def live_app(synced_demo: Services) -> Iterator[LiveApp]:
    """The app on a free port, pages given data, alerts evaluated once, a user per role."""
    from sidecar.alerts.service import reconcile_association
    from sidecar.web import create_app
    from sidecar.web.serving import make_server
    from tests.access_helpers import association_id, make_user

    now = datetime.now(UTC)
    _record_amounts(synced_demo, now)
    _seed_pages(synced_demo, now)
    reconcile_association(synced_demo, association_id(synced_demo, None), now)
    app = create_app({"TESTING": False}, services=synced_demo)
    cookies = {
        role: _session_cookie(app, synced_demo, make_user(synced_demo, role, nc_user=nc_user)[0])
        for role, nc_user in PERSONAS.items()
    }
    server = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield LiveApp(f"http://127.0.0.1:{server.bind_addr[1]}", app, synced_demo, cookies)
    finally:
        server.stop()
        thread.join(timeout=10)
