"""The member's feed page, the overview's grants card and the sharing audit in French."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from sidecar.context import Services
from sidecar.demo.server import DemoServer
from sidecar.projection.meetings import Meeting
from tests.access_helpers import LoginAs


def _feed_url(html: str) -> str:
    found = re.search(r'id="feed-url" readonly size="70" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def test_member_gets_then_renews_their_feed(
    no_csrf: Flask, synced: Services, login_as: LoginAs
) -> None:
    client = login_as("member", nc_user="alice")
    page = client.get("/my-feed?lang=en").get_data(as_text=True)
    assert "Get my feed address" in page

    first = _feed_url(client.post("/my-feed").get_data(as_text=True))
    path = first.split("localhost", 1)[-1]
    feed = client.get(path)
    assert feed.status_code == 200 and feed.data.startswith(b"BEGIN:VCALENDAR")
    assert "not shown again" in client.get("/my-feed?lang=en").get_data(as_text=True)

    second = _feed_url(client.post("/my-feed").get_data(as_text=True))
    assert second != first
    assert client.get(path).status_code == 404  # the old address stopped working


def test_user_without_member_is_told_what_to_do(
    no_csrf: Flask, synced: Services, login_as: LoginAs
) -> None:
    client = login_as("member", nc_user="nobody-here")
    page = client.get("/my-feed?lang=en").get_data(as_text=True)
    assert "not linked to a seat" in page and "nobody-here" in page
    assert client.post("/my-feed").status_code == 404


def test_overview_shows_grants_to_officers_only(
    app: Flask, synced: Services, login_as: LoginAs
) -> None:
    officer = login_as("officer")
    html = officer.get("/?lang=en").get_data(as_text=True)
    assert 'id="grants-title"' in html and "<meter" in html and "deadline" in html


def test_members_do_not_see_the_grants_card(
    app: Flask, synced: Services, login_as: LoginAs
) -> None:
    member: FlaskClient = login_as("member", nc_user="alice")
    assert 'id="grants-title"' not in member.get("/?lang=en").get_data(as_text=True)


def test_sharing_audit_speaks_french(app: Flask, synced: Services, login_as: LoginAs) -> None:
    from datetime import UTC, datetime

    from sidecar.alerts import share_audits
    from sidecar.context import resolve_association

    with synced.db.session() as session:  # the page shows the cached audit
        association = resolve_association(session, None)
        share_audits.refresh(session, association, synced.vault, datetime.now(UTC))
    html = login_as("admin").get("/shares?lang=fr").get_data(as_text=True)
    assert "Lien public sans mot de passe sur un dossier sensible" in html
    english = login_as("admin").get("/shares?lang=en").get_data(as_text=True)
    assert "Public link without a password on a sensitive folder" in english


def test_officer_enters_and_removes_a_paper_proxy(
    no_csrf: Flask, synced: Services, demo_server: DemoServer, login_as: LoginAs
) -> None:
    from datetime import UTC, datetime

    from sidecar.context import resolve_association
    from sidecar.services import meetings

    def next_ag() -> Meeting:
        assert demo_server.seed_info is not None
        day = demo_server.seed_info.ag_start.date()
        with synced.db.session() as session:
            association = resolve_association(session, None)
            found = meetings.list_meetings(session, association.id, datetime.now(UTC))
        return next(m for m in found if m.day == day)

    ag = next_ag()
    giver, holder = (s.member.email for s in ag.body.seats[:2])
    officer = login_as("officer")
    url = f"/meetings/{ag.id}/proxies"
    same = officer.post(
        url + "?lang=en", data={"giver": giver, "holder": giver}, follow_redirects=True
    )
    assert "cannot give a proxy to themselves" in same.get_data(as_text=True)
    officer.post(url, data={"giver": giver, "holder": holder})
    manual = [p for p in next_ag().readiness.proxies if p.source == "manual"]
    assert [(p.giver, p.holder) for p in manual] == [(giver, holder)]
    assert "Remove the proxy of" in officer.get(f"/meetings/{ag.id}?lang=en").get_data(True)

    officer.post(url + "/remove", data={"giver": giver})
    assert not [p for p in next_ag().readiness.proxies if p.source == "manual"]
    assert login_as("member").post(url, data={"giver": giver, "holder": holder}).status_code == 403
