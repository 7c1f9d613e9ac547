"""The personal ICS feed carries what its owner's role and bodies show on the pages (issue 12,
item 2), and stops with the owner's account (item 5)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select

from sidecar.context import Services, resolve_association
from sidecar.demo.server import DemoServer
from sidecar.services import feeds
from sidecar.storage.models import Member
from sidecar.web import create_app
from tests.access_helpers import make_user, sign_in, signed_in_client
from tests.security.helpers import sync_demo


def _feed_token(services: Services, nc_user: str) -> str:
    with services.db.session() as session:
        association = resolve_association(session, None)
        member = session.scalar(
            select(Member).where(Member.association_id == association.id, Member.nc_user == nc_user)
        )
        assert member is not None
        return feeds.issue_token(session, member.id)


def _summaries(client: FlaskClient, token: str) -> list[str]:
    answer = client.get(f"/feeds/{token}.ics")
    assert answer.status_code == 200
    return [str(e["SUMMARY"]) for e in Calendar.from_ical(answer.data).walk("VEVENT")]


def _titles_by_body(app: Flask) -> dict[str, set[str]]:
    officer = signed_in_client(app, "officer")
    found: dict[str, set[str]] = {}
    for meeting in officer.get("/api/v1/meetings").get_json()["meetings"]:
        found.setdefault(meeting["body"], set()).add(meeting["title"])
    return found


def test_a_members_feed_has_their_bodies_meetings_only_and_no_grants(
    services: Services, demo_server: DemoServer
) -> None:
    sync_demo(services, demo_server)
    app = create_app({"TESTING": True}, services=services)
    etienne = make_user(services, "member", nc_user="etienne")  # CA and AG, not the Bureau
    titles = _titles_by_body(app)
    bureau_only = titles["BUREAU"] - titles.get("CA", set()) - titles.get("AG", set())
    assert bureau_only, "the demo has Bureau meetings"
    seen = _summaries(app.test_client(), _feed_token(services, "etienne"))
    assert set(seen) & titles["CA"], "their own board's meetings are there"
    assert not set(seen) & bureau_only, "another body's meetings are not"
    assert not [s for s in seen if s.startswith("Date limite")], "no grant deadlines"
    assert not [s for s in seen if s.startswith("Compte-rendu financier")], "no obligations"
    # the member's pages agree: no grants for them either
    assert sign_in(app.test_client(), *etienne).get("/grants").status_code == 403


def test_an_officers_feed_has_the_grants(services: Services, demo_server: DemoServer) -> None:
    sync_demo(services, demo_server)
    app = create_app({"TESTING": True}, services=services)
    make_user(services, "officer", nc_user="bernard")
    seen = _summaries(app.test_client(), _feed_token(services, "bernard"))
    assert any(s.startswith("Date limite — dossier Région") for s in seen)
    assert any(s.startswith("Compte-rendu financier") for s in seen)
    assert set(seen) & _titles_by_body(app)["BUREAU"]


def test_a_seat_without_an_account_gets_the_member_view(
    services: Services, demo_server: DemoServer
) -> None:
    sync_demo(services, demo_server)
    app = create_app({"TESTING": True}, services=services)
    seen = _summaries(app.test_client(), _feed_token(services, "helene"))  # no Quorum account
    assert seen and not [s for s in seen if s.startswith("Date limite")]


def test_deactivating_the_account_revokes_the_feed(
    services: Services, demo_server: DemoServer
) -> None:
    sync_demo(services, demo_server)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)
    user_id, _token = make_user(services, "member", nc_user="etienne")
    token = _feed_token(services, "etienne")
    client = app.test_client()
    assert client.get(f"/feeds/{token}.ics").status_code == 200
    admin = signed_in_client(app, "admin")
    assert admin.post(f"/admin/users/{user_id}/deactivate").status_code == 302
    assert client.get(f"/feeds/{token}.ics").status_code == 404
    with services.db.session() as session:
        assert feeds.member_for_token(session, token) is None
