"""Editing grant dossiers through the pages and the JSON API, on a database synced from the demo."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sidecar.context import Services, resolve_association
from sidecar.demo.seed import SeedInfo
from sidecar.demo.server import DemoServer
from sidecar.projection.grants import Dossier
from sidecar.services import dossiers as dossier_service
from sidecar.services import grant_forms
from tests.access_helpers import LoginAs
from tests.sync.helpers import alice_calendars, connect, sync


@pytest.fixture
def synced(services: Services, demo_server: DemoServer) -> Services:
    sync(services, connect(services, demo_server.url))
    return services


@pytest.fixture
def admin(app: Flask, synced: Services, login_as: LoginAs) -> FlaskClient:
    app.config["WTF_CSRF_ENABLED"] = False
    return login_as("admin")


def _info(server: DemoServer) -> SeedInfo:
    assert server.seed_info is not None
    return server.seed_info


def _dossiers(services: Services) -> list[Dossier]:
    with services.db.session() as session:
        association = resolve_association(session, None)
        return dossier_service.dossiers(session, association, datetime.now(UTC).date())


def _by_folder(services: Services, folder: str) -> Dossier:
    return next(d for d in _dossiers(services) if (d.folder or "").strip("/") == folder)


def test_parse_grant_amounts_dates_and_period() -> None:
    values, errors = grant_forms.parse_grant(
        {
            "funder": "Fondation de France",
            "amount_requested": "23 000,50 €",
            "action_start": "2027-01-01",
            "action_end": "2027-12-31",
            "folder": "Subventions/FdF 2027",
        }
    )
    assert errors == {}
    assert values["amount_requested_cents"] == 2_300_050
    assert values["folder"] == "/Subventions/FdF 2027/"
    _, errors = grant_forms.parse_grant(
        {"amount_awarded": "beaucoup", "decision_date": "31/03/2027", "status": "won"}
    )
    assert errors == {
        "funder": "required",
        "amount_awarded_cents": "amount",
        "decision_date": "date",
        "status": "status",
    }
    _, errors = grant_forms.parse_grant(
        {"funder": "X", "action_start": "2027-06-01", "action_end": "2027-01-01"}
    )
    assert errors == {"action_end": "period"}


def test_form_says_what_to_fix_then_creates(admin: FlaskClient, synced: Services) -> None:
    assert admin.get("/grants/edit").status_code == 200
    bad = admin.post(
        "/grants/edit?lang=en",
        data={"funder": "", "amount_requested": "12 abc", "submission_deadline": "demain"},
    )
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert 'id="f-funder-error"' in html and 'id="f-amount_requested-error"' in html
    assert "YYYY-MM-DD" in html and 'value="12 abc"' in html  # what was typed is kept

    good = admin.post(
        "/grants/edit",
        data={
            "funder": "Fondation de France",
            "year": "2027",
            "status": "submitted",
            "amount_requested": "12000",
            "amount_awarded": "8000",
            "submission_deadline": "2027-03-31",
        },
    )
    assert good.status_code == 302 and "/grants/g" in good.headers["Location"]
    page = admin.get(good.headers["Location"])
    assert page.status_code == 200 and "€12,000" in page.get_data(as_text=True)
    pipeline = admin.get("/grants?lang=en").get_data(as_text=True)
    assert "Fondation de France 2027" in pipeline and "€12,000" in pipeline  # shown, not hovered


def test_confirm_and_correct_a_found_dossier(
    admin: FlaskClient, synced: Services, demo_server: DemoServer
) -> None:
    folder = _info(demo_server).region_folder
    found = _by_folder(synced, folder)
    assert not found.confirmed and found.record is None

    form = admin.get(f"/grants/edit?key={quote(found.key)}").get_data(as_text=True)
    assert found.funder in form

    done = admin.post("/grants/confirm", data={"key": found.key})
    assert done.status_code == 302
    confirmed = _by_folder(synced, folder)
    assert confirmed.confirmed and confirmed.key.startswith("g")
    assert sum(1 for d in _dossiers(synced) if (d.folder or "").strip("/") == folder) == 1

    corrected = admin.post(
        "/grants/edit",
        data={"key": confirmed.key, "funder": "Région AURA", "status": "preparing"},
    )
    assert corrected.status_code == 302
    assert _by_folder(synced, folder).funder == "Région AURA"


def test_tick_a_missing_piece_by_hand(
    admin: FlaskClient, synced: Services, demo_server: DemoServer
) -> None:
    folder = _info(demo_server).region_folder
    before = _by_folder(synced, folder)
    assert "rib" in {p.key for p in before.missing}

    link = "https://bank.example/rib.pdf"
    assert (
        admin.post(
            "/grants/tick", data={"key": before.key, "piece": "rib", "link": link}
        ).status_code
        == 302
    )
    after = _by_folder(synced, folder)
    rib = next(p for p in after.pieces if p.key == "rib")
    assert (rib.state, rib.link) == ("ticked", link)
    assert (after.completeness or 0) > (before.completeness or 0)

    admin.post("/grants/tick", data={"key": after.key, "piece": "rib", "action": "untick"})
    assert "rib" in {p.key for p in _by_folder(synced, folder).missing}


def test_officer_change_creates_then_closes_the_prefecture_duty(
    admin: FlaskClient, synced: Services
) -> None:
    def prefecture() -> list[Any]:
        with synced.db.session() as session:
            association = resolve_association(session, None)
            return [
                o
                for o in dossier_service.obligations(session, association, datetime.now(UTC).date())
                if o.kind == "prefecture_declaration" and "trésorier" in o.source
            ]

    wrong = admin.post("/obligations/officer-changes", data={"changed_on": "hier"})
    assert wrong.status_code == 302 and prefecture() == []
    day = date.today().isoformat()
    admin.post("/obligations/officer-changes", data={"changed_on": day, "description": "trésorier"})
    (duty,) = prefecture()
    assert duty.status != "done"
    admin.post(f"/obligations/officer-changes/{duty.subject}/declared", data={})
    assert prefecture()[0].status == "done"


def test_json_api_creates_updates_and_validates(admin: FlaskClient, synced: Services) -> None:
    bad = admin.post("/api/v1/grants", json={"funder": "", "submission_deadline": "bientôt"})
    assert bad.status_code == 400 and bad.json is not None
    assert set(bad.json["fields"]) == {"funder", "submission_deadline"}
    assert "ISO date" in bad.json["error"]

    made = admin.post(
        "/api/v1/grants",
        json={"funder": "CAF", "year": 2027, "amount_requested_cents": 500_000},
    )
    assert made.status_code == 201 and made.json is not None
    assert made.json["confirmed"] is True and made.json["amount_requested_cents"] == 500_000
    grant_id = int(made.json["key"][1:])

    put = admin.put(f"/api/v1/grants/{grant_id}", json={"amount_awarded": "4 000"})
    assert put.status_code == 200 and put.json is not None
    assert put.json["amount_awarded_cents"] == 400_000 and put.json["funder"] == "CAF"
    assert admin.put("/api/v1/grants/99999", json={"year": 2027}).status_code == 404

    ticked = admin.post(
        "/api/v1/grants/tick",
        json={"key": made.json["key"], "piece": "rib", "link": "https://x.example/rib"},
    )
    assert ticked.status_code == 200 and ticked.json is not None
    assert {p["key"]: p["state"] for p in ticked.json["pieces"]}["rib"] == "ticked"

    change = admin.post("/api/v1/officer-changes", json={"changed_on": "2026-10-01"})
    assert change.status_code == 201


def test_members_cannot_edit(app: Flask, synced: Services, login_as: LoginAs) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    member = login_as("member")
    assert member.post("/api/v1/grants", json={"funder": "X"}).status_code == 403
    assert member.post("/grants/edit", data={"funder": "X"}).status_code == 403
    assert member.get("/grants/edit").status_code == 403


@pytest.fixture
def deadline_only(demo_server: DemoServer, synced: Services) -> Iterator[Dossier]:
    """A dossier named only by a deadline event (its key starts with ``e:``), synced; the
    event is removed afterwards, as the demo server serves the whole session."""
    year = datetime.now(UTC).year + 1
    when = (datetime.now(UTC).date() + timedelta(days=40)).strftime("%Y%m%d")
    uid = uuid.uuid4().hex
    href = f"/remote.php/dav/calendars/alice/echeances/{uid}.ics"
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Quorum tests//FR\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}@example\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:{when}\r\n"
        f"SUMMARY:Date limite — dossier Fondation Abbé Pierre {year}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    calendars = alice_calendars(demo_server.url)
    calendars.put(href, ics, if_none_match=True)
    try:
        sync(synced, connect(synced, demo_server.url))
        yield next(d for d in _dossiers(synced) if d.key.startswith("e:"))
    finally:
        listed = calendars.list_etags("/remote.php/dav/calendars/alice/echeances/")
        etag = next(o.etag for o in listed if o.href.endswith(f"/{uid}.ics"))
        calendars.delete(href, if_match=etag or "*")


def test_an_old_address_follows_its_dossier_through_edits(
    admin: FlaskClient, deadline_only: Dossier
) -> None:
    """A dossier found by its deadline (``e:``) is recorded with its funder corrected, then
    edited again: the address it had before keeps leading to it (bookmarks, sent e-mails)."""
    year = datetime.now(UTC).year + 1
    found = deadline_only
    assert found.key == f"e:fondation abbe pierre {year}"
    old = f"/grants/{quote(found.key)}"
    assert admin.get(old).status_code == 200
    recorded = admin.post(
        "/grants/edit",
        data={
            "key": found.key,
            "funder": "Fondation Abbé Pierre France",
            "year": str(year),
            "status": "preparing",
        },
    )
    assert recorded.status_code == 302
    new = recorded.headers["Location"]
    assert "/grants/g" in new
    moved = admin.get(old)
    assert moved.status_code == 301 and moved.headers["Location"] == new
    for funder in ("Abbé Pierre Fondation nationale", "Pierre Abbé"):  # a chain of edits
        key = new.rsplit("/", 1)[1]
        again = admin.post(
            "/grants/edit",
            data={"key": key, "funder": funder, "year": str(year), "status": "preparing"},
        )
        assert again.status_code == 302 and again.headers["Location"] == new
    moved = admin.get(old)
    assert moved.status_code == 301 and moved.headers["Location"] == new


def test_the_chart_says_an_award_is_not_decided_yet(admin: FlaskClient) -> None:
    """An award not decided yet is not « 0 € »; completeness reads « 71 % » with a narrow
    no-break space, as French typography wants."""
    admin.post(
        "/grants/edit",
        data={"funder": "Fondation Orange", "year": "2027", "amount_requested": "5000"},
    )
    page = admin.get("/grants?lang=fr").get_data(as_text=True)
    chart = page.split('<th scope="row">Fondation Orange 2027</th>', 1)[1].split("</tr>", 1)[0]
    awarded = chart.split('data-label="Accordé"', 1)[1]
    assert "pas encore décidé" in awarded and "€" not in awarded, awarded
    assert re.search(r"\d+\u202f%", page) and not re.search(r"\d+ %", page)
