"""What a French-speaking volunteer reads: dates (« 1er juin »), amounts (« 12 500,50 € »), alerts
as sentences, meeting wording, grant states, feeds and e-mails in the reader's language, and a
dossier's address that survives its recording."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from sidecar import formatting
from sidecar.alerts import messages
from sidecar.alerts.service import reconcile_association
from sidecar.context import Services, resolve_association
from sidecar.projection.grants import Dossier
from sidecar.services import dossiers as grants_service
from sidecar.services import feeds
from sidecar.web import create_app
from tests.access_helpers import association_id, signed_in_client

NNBSP, NBSP = "\u202f", "\u00a0"


# --- formatting -----------------------------------------------------------------------------


def test_french_dates_say_1er_and_weekdays() -> None:
    assert formatting.date_text(date(2026, 6, 1), "fr") == "lundi 1er juin 2026"
    assert formatting.date_text("2026-06-02", "fr", "long") == "2 juin 2026"
    assert formatting.date_text(date(2026, 6, 1), "en") == "Monday, June 1, 2026"
    summer = datetime(2026, 6, 1, 16, 30, tzinfo=UTC)
    assert formatting.datetime_text(summer, "fr", "Europe/Paris") == "lundi 1er juin 2026 à 18:30"
    winter = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)  # the offset follows the date (CET)
    assert formatting.datetime_text(winter, "fr", "Europe/Paris").endswith("à 17:30")


def test_amounts_in_euros_the_french_way() -> None:
    assert formatting.money(1_250_050, "fr") == f"12{NNBSP}500,50{NBSP}€"
    assert formatting.money(1_000_000, "fr") == f"10{NNBSP}000{NBSP}€"
    assert formatting.money(1_250_050, "en") == "€12,500.50"
    assert formatting.money(None, "fr") == ""


def test_alert_messages_have_french_dates_and_priority_in_words() -> None:
    message = messages.render(
        key="k",
        rule="agenda_missing",
        severity="medium",
        kind="opened",
        params={"body": "Bureau", "date": "2027-01-01", "folder": "Bureau/2027-01-01/"},
        language="fr",
        links={},
    )
    assert "Bureau du 1er janvier 2027" in message.subject
    assert "2027-01-01" not in message.subject
    assert "Priorité : important" in message.text and "medium" not in message.text
    english = messages.render(
        key="k",
        rule="agenda_missing",
        severity="high",
        kind="opened",
        params={"body": "Bureau", "date": "2027-01-01"},
        language="en",
        links={},
    )
    assert "January 1, 2027" in english.subject and "Priority: urgent" in english.text


def test_the_digest_subject_agrees_with_its_count() -> None:
    one = messages.render_test("mail", "fr")
    assert messages.render_digest([one], "fr").subject == (
        "Quorum : 1 alerte demande votre attention"
    )
    assert "2 alerts need" in messages.render_digest([one, one], "en").subject


# --- pages on the synced demo ---------------------------------------------------------------


@pytest.fixture(scope="module")
def officer(synced_demo: Services) -> Iterator[FlaskClient]:
    now = datetime.now(UTC)
    reconcile_association(synced_demo, association_id(synced_demo, None), now)
    app = create_app({"TESTING": True}, services=synced_demo)
    yield signed_in_client(app, "officer")


def _text(html: str) -> str:
    """The page's words, without tags (code and file names included)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_alerts_page_reads_as_sentences(officer: FlaskClient) -> None:
    page = officer.get("/alerts/").get_data(as_text=True)
    words = _text(page)
    assert "Convocation de Conseil d&#39;administration du " in page
    assert re.search(r"du \d{1,2}(er)? [a-zéû]+ 20\d\d", words), "dates in words"
    assert "urgent" in words and "pour information" in words
    for code in ("convocation_late", "agenda_missing", "medium", "high", "rsvp_missing"):
        assert code not in words
    assert "n’a pas répondu à l’invitation" in words, "officers read who has not answered"


def test_meeting_wording(officer: FlaskClient, synced_demo: Services) -> None:
    page = _text(officer.get("/meetings").get_data(as_text=True))
    assert re.search(r"\d+ présents? ou représentés? pour \d+ requis", page)
    assert "quorum 3/2" not in page and "décliné" not in page
    assert "quorum pas encore connu" in page, "far recurring occurrences are not forecast"
    meeting = re.search(r'href="/meetings/(\d+)"', officer.get("/meetings").get_data(as_text=True))
    assert meeting is not None
    detail = _text(officer.get(f"/meetings/{meeting.group(1)}").get_data(as_text=True))
    assert "refusé" in detail or "accepté" in detail


def test_grant_pages_in_french(officer: FlaskClient) -> None:
    listing = officer.get("/grants").get_data(as_text=True)
    key = re.search(r'href="/grants/(f:[^"]+)"', listing)
    assert key is not None
    page = _text(officer.get(f"/grants/{key.group(1)}").get_data(as_text=True))
    for raw in ("present", "missing", "overdue", "ticked"):
        assert not re.search(rf"\b{raw}\b", page)
    assert "dans le dossier" in page or "manquante" in page
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", page.split("Fichiers")[0].replace("/", " / "))


# --- a dossier's address --------------------------------------------------------------------


def _by_key(services: Services, prefix: str) -> Dossier:
    with services.db.session() as session:
        association = resolve_association(session, None)
        found = grants_service.dossiers(session, association, datetime.now(UTC).date())
    return next(d for d in found if d.key.startswith(prefix) and d.folder)


def test_a_dossier_keeps_answering_at_its_first_address(synced: Services) -> None:
    client = signed_in_client(create_app({"TESTING": True}, services=synced), "officer")
    found = _by_key(synced, "f:")
    old = f"/grants/{quote(found.key)}"
    assert client.get(old).status_code == 200
    with synced.db.session() as session:
        association = resolve_association(session, None)
        record = grants_service.save_grant(
            session, association.id, grants_service.draft_values(found)
        )
        new_key = f"g{record.id}"
    moved = client.get(old)
    assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/grants/{new_key}")
    assert client.get(f"/grants/{new_key}").status_code == 200
    assert client.get("/grants/f:/Nowhere/").status_code == 404


# --- the feed -------------------------------------------------------------------------------


def test_the_feed_speaks_the_members_language(synced_demo: Services) -> None:
    now = datetime.now(UTC)
    with synced_demo.db.session() as session:
        association = resolve_association(session, None)
        french = feeds.feed_for(session, association, now, language="fr").decode()
        english = feeds.feed_for(session, association, now, language="en").decode()
    assert "Date limite — dossier" in french and "Pièces manquantes" in french
    assert "Deadline — dossier" in english and "Missing pieces" in english
    assert "6 mois après la fin de l" in french.replace("\r\n ", "")


def test_a_member_not_on_the_roster_is_told_whom_to_ask(synced_demo: Services) -> None:
    app = create_app({"TESTING": True}, services=synced_demo)
    stranger = signed_in_client(app, "member", nc_user="nobody-here")
    for path in ("/", "/meetings"):
        page = _text(stranger.get(path).get_data(as_text=True))
        assert "pas encore relié à un membre" in page and "administrateur" in page, path
    linked = signed_in_client(app, "member", nc_user="etienne")
    assert "pas encore relié" not in _text(linked.get("/meetings").get_data(as_text=True))


def test_percentages_the_french_way() -> None:
    assert formatting.percent(71, "fr") == f"71{NNBSP}%"
    assert formatting.percent(71, "en") == "71%"
