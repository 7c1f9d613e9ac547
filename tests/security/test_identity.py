"""Roster seats are tied to a Nextcloud user id an admin set, never to an e-mail address the
user controls (issue 12, item 3)."""

from __future__ import annotations

from sqlalchemy import select

from integrations.types import NcUser
from sidecar.context import Services, resolve_association
from sidecar.demo.server import DemoServer
from sidecar.services import feeds, roster
from sidecar.storage.models import Member
from sidecar.web import create_app
from tests.access_helpers import signed_in_client
from tests.security.helpers import sync_demo

ETIENNE = "etienne.nguyen@jardins-partages.example"


def _etienne(services: Services) -> Member:
    with services.db.session() as session:
        member = session.scalar(select(Member).where(Member.nc_user == "etienne"))
        assert member is not None
        session.expunge(member)
        return member


def test_a_nextcloud_user_with_another_members_email_inherits_nothing(
    services: Services, demo_server: DemoServer
) -> None:
    sync_demo(services, demo_server)
    victim = _etienne(services)
    assert victim.email == ETIENNE
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)
    with services.db.session() as session:
        victim_token = feeds.issue_token(session, victim.id)
    # mallory set etienne's address on her own Nextcloud account, then signed in
    mallory = signed_in_client(app, "member", nc_user="mallory", email=ETIENNE)
    assert mallory.get("/api/v1/meetings").get_json()["meetings"] == [], "no seat inherited"
    assert "mensuel" not in mallory.get("/meetings").get_data(as_text=True)
    assert mallory.post("/my-feed").status_code == 404, "no feed of someone else's seat"
    assert app.test_client().get(f"/feeds/{victim_token}.ics").status_code == 200, "still alive"
    # the real etienne, linked by his Nextcloud id, keeps his seat
    etienne = signed_in_client(app, "member", nc_user="etienne", email="changed@example.org")
    assert etienne.get("/api/v1/meetings").get_json()["meetings"]


def test_a_group_import_never_links_a_seat_by_email(
    services: Services, demo_server: DemoServer
) -> None:
    sync_demo(services, demo_server)
    with services.db.session() as session:
        association = resolve_association(session, None)
        body = roster.find_body(session, association.id, "CA")
        done = roster.import_users(
            session, body, "CA", [NcUser("mallory", "Mallory", email=ETIENNE.upper())]
        )
    assert done.unconfirmed == ("mallory",) and done.added == ()
    assert _etienne(services).nc_user == "etienne"
    with services.db.session() as session:
        assert session.scalar(select(Member).where(Member.nc_user == "mallory")) is None


def test_an_admin_links_a_seat_to_a_nextcloud_id_by_hand(
    services: Services, demo_server: DemoServer
) -> None:
    """An e-mail-only seat gets its Nextcloud id from an admin (the confirmation)."""
    sync_demo(services, demo_server)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)
    admin = signed_in_client(app, "admin")
    with services.db.session() as session:
        association = resolve_association(session, None)
        body_id = roster.find_body(session, association.id, "AG").id
    form = {"name": "Ines", "email": "ines@example.org", "role": "membre"}
    assert admin.post(f"/bodies/{body_id}/members", data=form).status_code == 302
    ines = signed_in_client(app, "member", nc_user="ines", email="ines@example.org")
    assert ines.post("/my-feed").status_code == 404, "not linked yet: her e-mail is not enough"
    linked = {**form, "nc_user": "ines"}
    assert admin.post(f"/bodies/{body_id}/members", data=linked).status_code == 302
    assert ines.post("/my-feed").status_code == 200, "now her feed is hers to renew"
    with services.db.session() as session:
        assert feeds.member_of(session, association.id, nc_user="ines") is not None
    taken = {**form, "email": ETIENNE, "nc_user": "ines"}
    refused = admin.post(f"/bodies/{body_id}/members", data=taken)
    assert refused.status_code == 400, "an address is never moved onto another seat"
