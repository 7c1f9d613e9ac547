"""The guided setup page: proposals with evidence in French, the admin changes one and applies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sidecar.context import Services, resolve_association
from sidecar.demo import DEMO_USERS
from sidecar.demo.seed_club import CLUB_LOGIN, CLUB_USERS, seed_club
from sidecar.demo.server import DemoServer
from sidecar.services.sources import add_source
from sidecar.storage.models import Body, Collection, FileRecord, Source
from tests.access_helpers import LoginAs


@pytest.fixture(scope="module")
def club_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    root = tmp_path_factory.mktemp("club-page") / "nextcloud"
    seed_club(root, date.today())
    with DemoServer(root, users=CLUB_USERS) as server:
        yield server


def _source(services: Services, url: str) -> int:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        source = add_source(session, services.vault, association, "club", url, CLUB_LOGIN,
                            CLUB_USERS[CLUB_LOGIN], allow_private=True)  # fmt: skip
        return source.id


def test_page_shows_a_role_and_evidence_for_each_calendar_and_folder(
    services: Services, client: FlaskClient, login_as: LoginAs, club_server: DemoServer
) -> None:
    source_id = _source(services, club_server.url)
    login_as("admin")
    page = client.get(f"/admin/setup/{source_id}").get_data(as_text=True)
    assert "Vie du club" in page and "Anniversaires" in page and "Trésorerie" in page
    assert re.search(r"\d+ évènements? nommés? « Comité directeur »", page), "in French"
    assert "(s)" not in page, "plural forms agree with their count"
    assert not re.search(r"\((ca|bureau|ag|other|wg)\)", page), "body kinds in words"
    assert re.search(r"\d+ membres?\b", page)
    assert 'name="role:folder:/Trésorerie/"' in page
    assert '<option value="sensitive" selected>' in page


def test_admin_changes_one_role_and_applies(
    services: Services, no_csrf: Flask, login_as: LoginAs, club_server: DemoServer
) -> None:
    source_id = _source(services, club_server.url)
    client = login_as("admin")
    href = f"/remote.php/dav/calendars/{CLUB_LOGIN}/entrainements/"
    answer = client.post(
        f"/admin/setup/{source_id}",
        data={f"role:calendar:{href}": "ignore", "bodies": "on"},
        follow_redirects=True,
    )
    assert answer.status_code == 200
    with services.db.session() as session:
        roles = {c.display_name: c.role for c in session.query(Collection) if c.kind == "calendar"}
        codes = sorted(b.code for b in session.query(Body))
    assert roles["Entraînements"] == "ignore" and roles["Vie du club"] == "meetings"
    assert codes == ["AG", "CD"]


def test_unknown_role_is_refused_with_the_list(
    services: Services, no_csrf: Flask, login_as: LoginAs, club_server: DemoServer
) -> None:
    source_id = _source(services, club_server.url)
    client = login_as("admin")
    answer = client.post(
        f"/admin/setup/{source_id}",
        data={"role:folder:/Trésorerie/": "secret"},
        follow_redirects=True,
    )
    text = answer.get_data(as_text=True)
    assert "governance, grants, sensitive, communication, documents" in text


def test_other_associations_source_is_not_found(
    services: Services,
    client: FlaskClient,
    login_as: LoginAs,
    club_server: DemoServer,
    tmp_path: Path,
) -> None:
    source_id = _source(services, club_server.url)
    login_as("admin", association="other")
    assert client.get(f"/admin/setup/{source_id}").status_code == 404


def test_admin_changes_a_source_app_password_checked_by_connecting(
    services: Services, no_csrf: Flask, login_as: LoginAs, demo_server: DemoServer
) -> None:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        source = add_source(session, services.vault, association, "nc", demo_server.url,
                            "alice", "wrong", allow_private=True)  # fmt: skip
        source_id = source.id
    client = login_as("admin")
    page = client.get("/admin/sources").get_data(as_text=True)
    assert f"/admin/setup/{source_id}" in page and 'type="password"' in page
    refused = client.post(f"/admin/sources/{source_id}/password", data={"password": "nope"})
    assert refused.status_code == 400 and "Rien n&#39;a changé" in refused.get_data(as_text=True)
    done = client.post(
        f"/admin/sources/{source_id}/password", data={"password": DEMO_USERS["alice"]}
    )
    assert done.status_code == 302
    with services.db.session() as session:
        stored = session.get(Source, source_id)
        assert (
            stored is not None
            and services.vault.decrypt(stored.password_enc) == "demo-app-password"
        )
        assert any(c.kind == "calendar" for c in stored.collections)


def test_association_settings_are_editable_and_checked(
    services: Services, no_csrf: Flask, login_as: LoginAs
) -> None:
    client = login_as("admin")
    page = client.get("/admin/setup/association").get_data(as_text=True)
    assert "Comptabilité/" in page and "Subventions/" in page  # the defaults, shown
    bad = client.post(
        "/admin/setup/association",
        data={"timezone": "Lyon", "financial_year_end": "12-31", "grants_folder": "Financements"},
    )
    assert bad.status_code == 400 and "Lyon n&#39;est pas un fuseau horaire" in bad.get_data(
        as_text=True
    )
    done = client.post(
        "/admin/setup/association",
        data={
            "name": "Villeurbanne Basket Club",
            "timezone": "Europe/Paris",
            "language": "fr",
            "financial_year_end": "06-30",
            "grants_folder": "Financements",
            "sensitive_folders": "Trésorerie\n/Licenciés/\n",
        },
    )
    assert done.status_code == 302
    with services.db.session() as session:
        found = resolve_association(session, None)
        assert found.financial_year_end == "06-30" and found.name == "Villeurbanne Basket Club"
        assert found.settings["grants_folder"] == "Financements/"
        assert found.settings["sensitive_folders"] == ["Trésorerie/", "Licenciés/"]
    # Nothing mirrored yet: accepted, and the page says the folders could not be checked.
    shown = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Rien n&#39;est encore copié depuis Nextcloud" in shown


def _mirror(services: Services, *paths: str) -> None:
    """Folders as a sync leaves them in the mirror (no server needed to hold rows)."""
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        source = Source(association_id=association.id, name="club", base_url="https://nc.example",
                        login="secretariat", password_enc=b"-")  # fmt: skip
        folder = Collection(source=source, kind="folder", remote_path="/", role="documents")
        session.add_all([source, folder])
        session.flush()
        for path in paths:
            session.add(FileRecord(collection_id=folder.id, path=path, is_folder=True))


FORM = {"timezone": "Europe/Paris", "language": "fr", "financial_year_end": "12-31"}


def test_grants_and_sensitive_folders_must_be_mirrored_folders(
    services: Services, no_csrf: Flask, login_as: LoginAs
) -> None:
    client = login_as("admin")
    _mirror(services, "Instances/", "Financements/", "Financements/FDVA 2027/", "Trésorerie/",
            "Trésorerie/Relevés/")  # fmt: skip
    typo = client.post(
        "/admin/setup/association",
        data=FORM | {"grants_folder": "Financement", "sensitive_folders": "Trésorerie"},
    )
    page = typo.get_data(as_text=True)
    assert typo.status_code == 400
    assert "Aucun dossier « Financement/ » dans la copie de Nextcloud" in page
    assert "Financements/, Instances/, Trésorerie/" in page
    sensitive = client.post(
        "/admin/setup/association",
        data=FORM | {"grants_folder": "Financements", "sensitive_folders": "Tresorerie\nCompta"},
    )
    assert sensitive.status_code == 400 and "« Compta/ »" in sensitive.get_data(as_text=True)
    done = client.post(
        "/admin/setup/association",
        data=FORM | {"grants_folder": "financements/", "sensitive_folders": "Trésorerie/Relevés"},
    )
    assert done.status_code == 302  # case and accents as the projection compares them
    with services.db.session() as session:
        found = resolve_association(session, None).settings
        assert found["grants_folder"] == "financements/"
        assert found["sensitive_folders"] == ["Trésorerie/Relevés/"]


def test_sources_page_names_calendars_left_without_a_role(
    services: Services, client: FlaskClient, login_as: LoginAs, demo_server: DemoServer
) -> None:
    from tests.sync.helpers import connect

    connect(services, demo_server.url)  # discovery guesses roles; "Personnel" gets none
    login_as("admin")
    page = client.get("/admin/sources").get_data(as_text=True)
    assert "1 agenda sans rôle, non synchronisé" in page


def test_bodies_page_offers_a_folder_named_after_the_meeting(
    services: Services, no_csrf: Flask, login_as: LoginAs
) -> None:
    """The help names every placeholder in words with an example; a layout named after the
    meeting is one of the choices, shown by its example, and saved as chosen."""
    client = login_as("admin")
    page = client.get("/bodies").get_data(as_text=True)
    assert "<code>{title}</code> — le titre de la réunion dans l’agenda" in page
    assert "<code>{year}</code> — son année, par exemple 2026" in page
    choice = 'value="{body_folder}/{title}/"'
    assert choice in page and "Conseil d&#39;administration/CA budget 2027/" in page
    done = client.post(
        "/bodies/meeting-folder", data={"meeting_folder_choice": "{body_folder}/{title}/"}
    )
    assert done.status_code == 302
    with services.db.session() as session:
        settings = resolve_association(session, None).settings
        assert settings["meeting_folder"] == "{body_folder}/{title}/"
