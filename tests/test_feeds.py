"""The ICS feed: served behind a member's token, parsed back by icalendar, imported into Radicale."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient
from icalendar import Calendar

from sidecar.cli.demo import connect_demo_source
from sidecar.config import load_settings
from sidecar.context import Services, resolve_association
from sidecar.demo.server import DEMO_USERS, DemoServer
from sidecar.services import feeds
from sidecar.storage.models import Member, User
from sidecar.sync.runner import run_source

pytestmark = pytest.mark.usefixtures("signed_in_admin")  # pages and API need a user


@pytest.fixture
def synced(fresh_demo_server: DemoServer, tmp_path: Path) -> Iterator[Services]:
    services = Services.from_settings(
        load_settings(
            environ={},
            overrides={"data_dir": str(tmp_path / "q"), "allow_private_addresses": "true"},
        )
    )
    run_source(services.db, services.vault, connect_demo_source(services, fresh_demo_server.url))
    yield services
    services.db.dispose()


def _token(services: Services, role: str = "officer") -> str:
    """A feed token of the first roster member, whose Quorum account has ``role`` (the feed
    carries what that role shows: grants and obligations only from officer up)."""
    with services.db.session() as session:
        association = resolve_association(session, None)
        member = session.query(Member).filter_by(association_id=association.id).first()
        assert member is not None and member.nc_user
        if feeds.user_of(session, member) is None:
            session.add(
                User(
                    association_id=association.id,
                    login=member.nc_user,
                    nc_user=member.nc_user,
                    role=role,
                )
            )
        return feeds.issue_token(session, member.id)


def test_feed_parses_and_imports_into_radicale(
    synced: Services, fresh_demo_server: DemoServer
) -> None:
    from sidecar.web import create_app

    client: FlaskClient = create_app({"TESTING": True}, services=synced).test_client()
    token = _token(synced)
    assert client.get("/feeds/not-a-token.ics").status_code == 404
    answer = client.get(f"/feeds/{token}.ics")
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    calendar = Calendar.from_ical(answer.data)
    events = calendar.walk("VEVENT")
    summaries = [str(e["SUMMARY"]) for e in events]
    assert any(s.startswith("Date limite — dossier Région") for s in summaries)
    assert any(s.startswith("Compte-rendu financier Ville de Lyon") for s in summaries)
    assert len({str(e["UID"]) for e in events}) == len(events)
    for event in events:  # one object resource per UID, as CalDAV requires
        single = Calendar()
        single.add("prodid", feeds.PRODID)
        single.add("version", "2.0")
        single.add_component(event)
        uid = str(event["UID"]).split("@")[0]
        put = requests.put(
            f"{fresh_demo_server.url}/remote.php/dav/calendars/alice/personal/{uid}.ics",
            data=single.to_ical(),
            headers={"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"},
            auth=("alice", DEMO_USERS["alice"]),
            timeout=10,
        )
        assert put.status_code == 201, put.text


def test_new_token_revokes_the_old_one(synced: Services) -> None:
    first, second = _token(synced), _token(synced)
    with synced.db.session() as session:
        assert feeds.member_for_token(session, first) is None
        assert feeds.member_for_token(session, second) is not None
