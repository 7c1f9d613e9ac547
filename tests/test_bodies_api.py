"""The bodies JSON API and the meeting folder convention (page, TOML, meetings)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask

from sidecar.context import Services, resolve_association
from sidecar.errors import ConfigError
from sidecar.services import meetings as meetings_service
from sidecar.services.settings_io import export_settings, import_settings
from tests.access_helpers import LoginAs


def test_get_lists_bodies_rules_and_members(
    app: Flask, synced: Services, login_as: LoginAs
) -> None:
    data = login_as("admin").get("/api/v1/bodies").json
    assert data is not None
    ca = next(b for b in data["bodies"] if b["code"] == "CA")
    assert ca["notice_days"] == 15 and isinstance(ca["proxies_allowed"], bool)
    assert ca["members"] and all("@" in m["email"] for m in ca["members"])
    assert data["meeting_folder"] == "{body_folder}/{date:%Y-%m-%d}/"


def test_put_changes_only_what_it_sends(app: Flask, synced: Services, login_as: LoginAs) -> None:
    client = login_as("admin")
    before = next(b for b in client.get("/api/v1/bodies").json["bodies"] if b["code"] == "CA")  # type: ignore[index]
    assert before["proxies_allowed"] is True

    answer = client.put("/api/v1/bodies/ca", json={"notice_days": 21, "quorum_first": "2/3"})

    assert answer.status_code == 200, answer.json
    after = answer.json
    assert after is not None
    assert (after["notice_days"], after["quorum_first"]) == (21, "2/3")
    assert after["proxies_allowed"] is True and after["remote_allowed"] == before["remote_allowed"]
    off = client.put("/api/v1/bodies/CA", json={"proxies_allowed": False}).json
    assert off is not None and off["proxies_allowed"] is False and off["notice_days"] == 21


def test_put_lists_every_error_and_changes_nothing(
    app: Flask, synced: Services, login_as: LoginAs
) -> None:
    client = login_as("admin")
    answer = client.put(
        "/api/v1/bodies/CA",
        json={"notice_days": -3, "quorum_first": "3/2", "proxies_allowed": "yes", "colour": 1},
    )
    assert answer.status_code == 400
    assert answer.json is not None
    fields = {e["field"]: e["code"] for e in answer.json["errors"]}
    assert fields == {
        "notice_days": "number",
        "quorum_first": "quorum",
        "proxies_allowed": "boolean",
        "colour": "unknown",
    }
    ca = next(b for b in client.get("/api/v1/bodies").json["bodies"] if b["code"] == "CA")  # type: ignore[index]
    assert ca["notice_days"] == 15
    assert client.put("/api/v1/bodies/NOPE", json={"notice_days": 3}).status_code == 404
    assert client.put("/api/v1/bodies/CA", data="x").status_code == 400


def test_bodies_api_needs_an_admin(app: Flask, synced: Services, login_as: LoginAs) -> None:
    officer = login_as("officer")
    assert officer.get("/api/v1/bodies").status_code == 403
    assert officer.put("/api/v1/bodies/CA", json={"notice_days": 3}).status_code == 403


def _pattern(services: Services) -> object:
    with services.db.session() as session:
        return resolve_association(session, None).settings.get("meeting_folder")


def test_admin_sets_the_convention_on_the_bodies_page(
    no_csrf: Flask, synced: Services, login_as: LoginAs
) -> None:
    client = login_as("admin")
    bad = client.post("/bodies/meeting-folder?lang=en", data={"meeting_folder": "{body}/{day}/"})
    assert bad.status_code == 400
    assert "Unknown placeholder {day}" in bad.get_data(as_text=True)
    assert _pattern(synced) is None

    pattern = "{body_folder}/{date:%Y}/{date:%m-%d}/"
    done = client.post("/bodies/meeting-folder", data={"meeting_folder": pattern})
    assert done.status_code == 302
    assert _pattern(synced) == pattern
    assert pattern in client.get("/bodies?lang=en").get_data(as_text=True)
    with synced.db.session() as session:
        association = resolve_association(session, None)
        found = meetings_service.list_meetings(session, association.id, datetime.now(UTC))
    ca = next(m for m in found if m.body.code == "CA")
    assert ca.folder.endswith(f"/{ca.day.year}/{ca.day:%m-%d}/")
    past = [m for m in found if m.body.code == "CA" and m.end < datetime.now(UTC)]
    # the demo's folders are named with the date: found under any convention (issue 16)
    assert past and all(m.readiness.agenda for m in past)

    client.post("/bodies/meeting-folder", data={"meeting_folder": ""})
    assert _pattern(synced) is None


def test_convention_round_trips_through_toml_and_is_validated(synced: Services) -> None:
    with synced.db.session() as session:
        association = resolve_association(session, None)
        association.settings = {"meeting_folder": "{code}/{date:%Y-%m-%d}/"}
        text = export_settings(session, association)
        association.settings = {}
        import_settings(session, association, text)
        assert association.settings["meeting_folder"] == "{code}/{date:%Y-%m-%d}/"
        broken = text.replace("{code}/{date:%Y-%m-%d}/", "{code}/{when}/")
        with pytest.raises(ConfigError, match=r"Unknown placeholder \{when\}"):
            import_settings(session, association, broken)
