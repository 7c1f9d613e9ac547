"""Meetings against the demo Nextcloud: synced_demo once, then projected, served as pages and JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask.testing import FlaskClient

from sidecar.context import Services, resolve_association
from sidecar.demo.seed import PARIS, SeedInfo, paris
from sidecar.projection.meetings import Meeting
from sidecar.services import meetings as service

pytestmark = pytest.mark.usefixtures("signed_in_admin")  # pages and API need a user

CA_SEATS = 7


@pytest.fixture(scope="module")
def all_meetings(synced_demo: Services) -> list[Meeting]:
    with synced_demo.db.session() as session:
        association = resolve_association(session, None)
        return service.list_meetings(session, association.id, datetime.now(UTC))


def _on(meetings: list[Meeting], day: date, uid: str = "ca-mensuel@") -> list[Meeting]:
    return [m for m in meetings if m.day == day and m.uid.startswith(uid)]


def _one(meetings: list[Meeting], day: date, uid: str = "ca-mensuel@") -> Meeting:
    found = _on(meetings, day, uid)
    assert len(found) == 1, [(m.title, m.day) for m in found]
    return found[0]


def test_next_monthly_meeting_is_ready(all_meetings: list[Meeting], seed_info: SeedInfo) -> None:
    meeting = _one(all_meetings, seed_info.ca_next)
    ready = meeting.readiness
    assert ready.notice_ok is True
    assert ready.agenda is True
    assert ready.remote_link is not None and "visio" in ready.remote_link
    assert (ready.rsvp.accepted, ready.rsvp.declined, ready.rsvp.tentative) == (3, 1, 1)
    assert (ready.rsvp.no_answer, ready.rsvp.delegated) == (1, 1)
    assert [(p.giver.split("@")[0], p.holder.split("@")[0], p.valid) for p in ready.proxies] == [
        ("gerard.thevenin", "helene.roussel", True)
    ]
    assert (ready.quorum.required, ready.quorum.expected, ready.quorum.state) == (4, 4, "reached")
    assert ready.minutes == "not_due"


def test_excluded_occurrence_is_gone(all_meetings: list[Meeting], seed_info: SeedInfo) -> None:
    assert _on(all_meetings, seed_info.ca_exdate) == []


def test_moved_occurrence_has_quorum_at_risk_with_a_proxy(
    all_meetings: list[Meeting], seed_info: SeedInfo
) -> None:
    assert _on(all_meetings, seed_info.ca_override_original) == []
    moved = _one(all_meetings, seed_info.ca_override_start.date())
    assert moved.moved
    assert moved.start == seed_info.ca_override_start.astimezone(UTC)
    quorum = moved.readiness.quorum
    assert sum(p.valid for p in moved.readiness.proxies) == 1
    assert (quorum.required, quorum.expected, quorum.state) == (4, 3, "at_risk")
    assert moved.readiness.rsvp.declined == 2  # chloé, and bernard in the override


def test_cancelled_meeting(all_meetings: list[Meeting], seed_info: SeedInfo) -> None:
    extra = _one(all_meetings, seed_info.ca_extra_start.date(), "ca-extra@")
    assert extra.cancelled and not extra.counted
    assert extra.readiness.minutes == "not_due"


def test_late_convocation(all_meetings: list[Meeting], seed_info: SeedInfo) -> None:
    budget = _one(all_meetings, seed_info.ca_budget_start.date(), "ca-budget@")
    assert budget.readiness.notice_ok is False
    assert budget.readiness.notice_days == 11
    assert budget.readiness.rsvp.no_answer == CA_SEATS - 1
    assert budget.readiness.quorum.state == "at_risk"


def test_overdue_minutes_and_filed_minutes(
    all_meetings: list[Meeting], seed_info: SeedInfo
) -> None:
    assert seed_info.ca_minutes_missing is not None
    missing = _one(all_meetings, seed_info.ca_minutes_missing)
    assert missing.readiness.minutes == "overdue"
    assert missing.readiness.agenda is True
    filed = [
        d
        for d in seed_info.ca_folder_dates
        if d < seed_info.today and d != seed_info.ca_minutes_missing
    ]
    assert filed, "the demo has past meetings with minutes"
    for day in filed:
        found = _on(all_meetings, day)
        if found:  # the sync window may start after the oldest ones
            assert found[0].readiness.minutes == "present"


def test_training_is_not_a_meeting_and_ag_is(
    all_meetings: list[Meeting], seed_info: SeedInfo
) -> None:
    assert not [m for m in all_meetings if "compostage" in m.title.lower()]
    assert not [m for m in all_meetings if m.day == seed_info.formation_start.date()]
    ag = _one(all_meetings, seed_info.ag_start.date(), "ag-ordinaire@")
    assert ag.body.code == "AG"
    assert ag.readiness.notice_ok is True


def test_bureau_series_is_a_bureau_meeting(all_meetings: list[Meeting]) -> None:
    bureau = [m for m in all_meetings if m.body.code == "BUREAU"]
    assert bureau
    assert all(m.readiness.quorum.state == "reached" for m in bureau)


def test_api_lists_meetings_with_readiness(synced_client: FlaskClient, seed_info: SeedInfo) -> None:
    start = paris(seed_info.today, 0)
    end = datetime.combine(seed_info.ca_override_start.date() + timedelta(days=1), time(), PARIS)
    response = synced_client.get(
        "/api/v1/meetings",
        query_string={"from": start.isoformat(), "to": end.isoformat(), "body": "CA"},
    )
    assert response.status_code == 200
    items = response.get_json()["meetings"]
    assert items and all(i["body"] == "CA" for i in items)
    assert all(start <= datetime.fromisoformat(i["start"]) < end for i in items)
    moved = next(
        i
        for i in items
        if datetime.fromisoformat(i["start"]).astimezone(PARIS).date()
        == seed_info.ca_override_start.date()
    )
    assert moved["readiness"]["quorum"] == {"required": 4, "expected": 3, "state": "at_risk"}
    assert moved["readiness"]["proxies"] == 1
    assert moved["readiness"]["rsvp"]["declined"] == 2
    assert set(moved["readiness"]) >= {"notice_ok", "agenda", "remote_link", "rsvp", "minutes"}
    detail = synced_client.get(f"/api/v1/meetings/{moved['id']}")
    assert detail.status_code == 200
    assert detail.get_json()["id"] == moved["id"]
    assert len(detail.get_json()["attendees"]) == CA_SEATS
    assert synced_client.get("/api/v1/meetings/999999").status_code == 404
    assert synced_client.get("/api/v1/meetings?from=yesterday").status_code == 400


def test_pages_show_readiness(synced_client: FlaskClient, seed_info: SeedInfo) -> None:
    listing = synced_client.get("/meetings?lang=en")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "Réunion du CA" in html and "compostage" not in html
    assert "at risk" in html.lower()
    french = synced_client.get("/meetings?lang=fr").get_data(as_text=True)
    assert "Réunions" in french and "incertain" in french  # French is the default UI language
    overview = synced_client.get("/?lang=en").get_data(as_text=True)
    assert "Réunion du CA" in overview and "compostage" not in overview
