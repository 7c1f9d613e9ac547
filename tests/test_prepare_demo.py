"""Preparing a meeting against a demo Nextcloud of its own: folders, agenda, 412, resync."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask.testing import FlaskClient

from sidecar.context import Services, resolve_association
from sidecar.demo.seed import SeedInfo
from sidecar.demo.server import DemoServer
from sidecar.projection.meetings import Meeting
from sidecar.services import meetings as service
from sidecar.services import prepare
from tests.access_helpers import make_user, sign_in
from tests.sync.helpers import alice_files, sync


def _info(server: DemoServer) -> SeedInfo:
    assert server.seed_info is not None
    return server.seed_info


def _meeting_on(services: Services, day: date) -> Meeting:
    with services.db.session() as session:
        association = resolve_association(session, None)
        found = service.list_meetings(session, association.id, datetime.now(UTC))
    return next(m for m in found if m.day == day and not m.cancelled)


def _prepare(services: Services, meeting: Meeting) -> prepare.Prepared:
    with services.db.session() as session:
        association = resolve_association(session, None)
        return prepare.prepare_meeting(
            session, association, meeting, services.vault, datetime.now(UTC).date()
        )


def test_prepare_creates_folder_and_agenda_then_resync_sees_it(
    fresh_synced: tuple[Services, int], fresh_demo_server: DemoServer
) -> None:
    services, source_id = fresh_synced
    ag = _meeting_on(services, _info(fresh_demo_server).ag_start.date())
    assert ag.readiness.agenda is False

    done = _prepare(services, ag)

    assert done.agenda_created is True
    assert done.created_folders[-1] == "/" + ag.folder.strip("/")
    text = alice_files(fresh_demo_server.url).get(done.agenda_path).decode("utf-8")
    assert ag.body.name in text and "Quorum :" in text
    assert all(seat.member.name in text for seat in ag.body.seats)

    sync(services, source_id)
    again = _meeting_on(services, ag.day)
    assert again.readiness.agenda is True
    assert any(f.name == prepare.AGENDA_NAME for f in again.documents)


def test_existing_agenda_is_never_overwritten(
    fresh_synced: tuple[Services, int], fresh_demo_server: DemoServer
) -> None:
    services, _ = fresh_synced
    ag = _meeting_on(services, _info(fresh_demo_server).ag_start.date())
    files = alice_files(fresh_demo_server.url)
    prepare.ensure_folder(files, ag.folder)
    mine = f"/{ag.folder.strip('/')}/{prepare.AGENDA_NAME}"
    files.put(mine, b"written by the secretary", if_none_match=True)

    done = _prepare(services, ag)  # the mirror has not seen the file: the PUT gets a 412

    assert done.agenda_created is False
    assert done.created_folders == ()
    assert files.get(mine) == b"written by the secretary"


def test_prepare_from_page_and_api(
    fresh_synced: tuple[Services, int], fresh_demo_server: DemoServer
) -> None:
    from sidecar.web import create_app

    services, _ = fresh_synced
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)
    client: FlaskClient = sign_in(app.test_client(), *make_user(services, "officer"))
    ag = _meeting_on(services, _info(fresh_demo_server).ag_start.date())

    page = client.post(f"/meetings/{ag.id}/prepare?lang=en", follow_redirects=True)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "draft agenda, shown below" in html
    # no waiting for the next sync: the page already shows the new agenda
    assert "Agenda present" in html and "Ordre du jour.md" in html

    answer = client.post(f"/api/v1/meetings/{ag.id}/prepare")
    assert answer.status_code == 200
    assert answer.json is not None
    assert answer.json["agenda_created"] is False
    assert "already exists" in answer.json["message"]
    assert client.post("/api/v1/meetings/999999/prepare").status_code == 404

    member = sign_in(app.test_client(), *make_user(services, "member"))
    assert member.post(f"/api/v1/meetings/{ag.id}/prepare").status_code == 403


def test_prepare_form_needs_csrf(fresh_synced: tuple[Services, int]) -> None:
    from sidecar.web import create_app

    services, _ = fresh_synced
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": True}, services=services)
    assert app.test_client().post("/meetings/1/prepare").status_code == 400


def test_quorum_rule_in_words() -> None:
    assert prepare.quorum_rule("1/2", 4, 7) == (
        "1/2 des membres présents ou représentés en première convocation (soit 4 sur 7)"
    )
    assert prepare.quorum_rule("0", 0, 7) == "aucun quorum requis"
    assert prepare.quorum_rule("5", 5, 7).startswith("5 membres")
