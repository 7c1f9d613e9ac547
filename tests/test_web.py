"""The overview in French (default) and English, health checks, translations complete."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from sidecar.context import Services
from sidecar.demo import DemoServer
from tests.sync.helpers import connect, sync

pytestmark = pytest.mark.usefixtures("signed_in_admin")  # pages and API need a user

TRANSLATIONS = Path(__file__).resolve().parents[1] / "sidecar" / "translations"


def test_healthz(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json()["database"] == "ok"


def test_welcome_page_before_any_source(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "Bienvenue dans Quorum" in page and 'lang="fr"' in page


def test_overview_lists_next_meeting_and_deadline_in_french(
    client: FlaskClient, services: Services, demo_server: DemoServer
) -> None:
    info = demo_server.seed_info
    assert info is not None
    sync(services, connect(services, demo_server.url))
    page = client.get("/").get_data(as_text=True)
    assert "Prochaines réunions" in page and "Prochaines échéances" in page
    assert "Conseil d&#39;administration mensuel" in page
    assert f"Date limite — dossier Ville de Lyon {info.today.year + 1}" in page
    assert _french_date(info.lyon_deadline) in page
    report = f"Compte-rendu financier Ville de Lyon {info.today.year - 1}"
    assert report in page
    if info.cr_financier_due < info.today:  # still open after its due date: first, overdue
        assert "en retard" in page
        assert page.index(report) < page.index("Date limite — dossier Ville de Lyon")
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Next meetings" in english and 'lang="en"' in english
    assert "Next meetings" in client.get("/").get_data(as_text=True), "the choice is remembered"


def test_every_message_in_the_code_is_in_the_french_catalogue() -> None:
    """A string added to a page without `make i18n` would show in English to French users."""
    root = TRANSLATIONS.parents[1]
    method_map = [("sidecar/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(root), method_map, keywords=keywords
        )
    }
    with (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert sorted(found - known) == []


def test_every_message_has_a_french_translation() -> None:
    with (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    missing = [m.id for m in catalog if m.id and not m.string]
    assert missing == []
    # `make i18n` guesses "fuzzy" translations for new strings; Babel never shows them.
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert fuzzy == [], "review these guesses and drop their fuzzy flag"
    assert (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo").exists()


def _french_date(day: date) -> str:
    from babel.dates import format_date

    return format_date(day, format="full", locale="fr")
