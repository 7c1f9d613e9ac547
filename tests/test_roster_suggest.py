"""A roster without special rights (issue 16): a refused group listing is one line with the fix,
and the people invited to the body's meetings are offered as a starting roster."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import responses
from flask import Flask

from integrations.caldav import CalendarClient
from integrations.http import HttpClient
from integrations.ocs import OcsClient
from integrations.webdav import FilesClient
from sidecar.context import Services, resolve_association
from sidecar.services import roster
from sidecar.services.roster_suggest import GroupRefused, suggest
from sidecar.storage.models import Source
from sidecar.sync.connection import Connection
from tests.access_helpers import LoginAs
from tests.fixtures_nc import BASE_URL

# Nextcloud's answer to a non-admin, non-subadmin account listing a group (OCS v2): shaped by
# hand after Nextcloud's documented envelope; no Nextcloud runs here (`responses` only).
REFUSED = {"ocs": {"meta": {"status": "failure", "statuscode": 403, "message": ""}, "data": []}}


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def _connect(source: Any, vault: Any, **_: Any) -> Connection:
    http = HttpClient(BASE_URL, "benevole", "app-password")
    return Connection(
        http, FilesClient(http, "benevole"), CalendarClient(http, "benevole"), OcsClient(http)
    )


def test_refused_group_listing_is_one_line_with_the_fix(
    rsps: responses.RequestsMock, services: Services
) -> None:
    rsps.add(
        "GET",
        BASE_URL + "/ocs/v2.php/cloud/groups/CA/users/details",
        status=403,
        body=json.dumps(REFUSED),
        content_type="application/json",
    )
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        session.add(Source(association_id=association.id, name="nc", base_url=BASE_URL,
                           login="benevole", password_enc=services.vault.encrypt("pw")))  # fmt: skip
        roster.create_body(session, association.id, "CA", "Conseil", "ca")
        with pytest.raises(GroupRefused) as caught:
            roster.import_group(session, association, "CA", "CA", services.vault, _connect)
    message = caught.value.message
    assert "\n" not in message
    assert "group admin of CA" in message and "quorum roster suggest CA --seat" in message


def test_people_invited_to_the_meetings_are_offered(synced: Services) -> None:
    with synced.db.session() as session:
        association = resolve_association(session, None)
        body = roster.create_body(session, association.id, "GT", "Groupe", "custom")
        ca = roster.find_body(session, association.id, "CA")
        people = {p.email: p for p in suggest(session, association, ca)}
        assert "bernard.lefevre@jardins-partages.example" in people
        assert people["bernard.lefevre@jardins-partages.example"].meetings >= 5
        assert suggest(session, association, body) == []  # no meeting of its own


def test_seat_attendees_from_the_bodies_page(
    no_csrf: Flask, synced: Services, login_as: LoginAs
) -> None:
    with synced.db.session() as session:
        association = resolve_association(session, None)
        ca = roster.find_body(session, association.id, "CA")
        ca.memberships.clear()
        body_id = ca.id
    client = login_as("admin")
    answer = client.post(f"/bodies/{body_id}/seat-attendees", follow_redirects=True)
    assert "inscrite(s)" in answer.get_data(as_text=True)
    with synced.db.session() as session:
        association = resolve_association(session, None)
        assert len(roster.find_body(session, association.id, "CA").memberships) >= 7
