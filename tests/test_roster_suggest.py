"""A roster without special rights (issue 16): a refused group listing is one line with the fix
(a missing group and a refused app password are told apart), and a starting roster is offered:
the people invited to the body's meetings, the account itself when it is in the group, and the
accounts visible to it, each tagged with where it comes from, ticked before anyone is seated."""

from __future__ import annotations

import json
import re
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
from sidecar.errors import QuorumError
from sidecar.services import roster
from sidecar.services.roster_suggest import GroupRefused, starting_roster, suggest
from sidecar.storage.models import Source
from sidecar.sync.connection import Connection
from tests.access_helpers import LoginAs
from tests.fixtures_nc import BASE_URL, add_fixture

# Nextcloud's answers to a non-admin, non-subadmin account listing a group (OCS v2): shaped by
# hand after Nextcloud 29's GroupsController (getGroupUsersDetails throws OCSException
# RESPOND_NOT_FOUND, getGroupUsers OCSForbiddenException) in its OCS envelope. The recordings
# were made as admin, and no local server gives these answers (`responses` only).
DETAILS_URL = BASE_URL + "/ocs/v2.php/cloud/groups/CA/users/details"
USERS_URL = BASE_URL + "/ocs/v2.php/cloud/groups/CA/users"
CLOUD_USER_URL = BASE_URL + "/ocs/v2.php/cloud/user"
SHAREES_URL = BASE_URL + "/ocs/v2.php/apps/files_sharing/api/v1/sharees"
NOT_FOUND = "The requested group could not be found"


def _failure(code: int, message: str = "") -> str:
    meta = {"status": "failure", "statuscode": code, "message": message}
    return json.dumps({"ocs": {"meta": meta, "data": []}})


REFUSED = json.loads(_failure(403))


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def _connect(source: Any, vault: Any, **_: Any) -> Connection:
    http = HttpClient(BASE_URL, "benevole", "app-password")
    return Connection(
        http, FilesClient(http, "benevole"), CalendarClient(http, "benevole"), OcsClient(http)
    )


def _answer(rsps: responses.RequestsMock, url: str, status: int, body: str) -> None:
    rsps.add("GET", url, status=status, body=body, content_type="application/json")


def _import(services: Services) -> None:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        session.add(Source(association_id=association.id, name="nc", base_url=BASE_URL,
                           login="benevole", password_enc=services.vault.encrypt("pw")))  # fmt: skip
        roster.create_body(session, association.id, "CA", "Conseil", "ca")
        roster.import_group(session, association, "CA", "CA", services.vault, _connect)


def test_details_404_then_users_403_is_a_refusal_with_the_fix(
    rsps: responses.RequestsMock, services: Services
) -> None:
    """Nextcloud 29 answers `/users/details` 404 to a non-subadmin, `/users` 403 (shaped after
    its source: no recording of a refusal exists)."""
    _answer(rsps, DETAILS_URL, 404, _failure(404, NOT_FOUND))
    _answer(rsps, USERS_URL, 403, _failure(403))
    with pytest.raises(GroupRefused) as caught:
        _import(services)
    message = caught.value.message
    assert "\n" not in message
    assert "make benevole a group admin of CA" in message
    assert "quorum roster suggest CA --seat" in message


def test_details_404_then_users_404_says_there_is_no_such_group(
    rsps: responses.RequestsMock, services: Services
) -> None:
    """Both Nextcloud group endpoints answer 404 for a group that does not exist (shaped after
    GroupsController; `responses` only)."""
    _answer(rsps, DETAILS_URL, 404, _failure(404, NOT_FOUND))
    _answer(rsps, USERS_URL, 404, _failure(404, NOT_FOUND))
    with pytest.raises(QuorumError) as caught:
        _import(services)
    assert caught.value.code == "roster.no_group"
    assert "no group 'CA'" in caught.value.message and "group admin" not in caught.value.message


def test_a_refused_app_password_says_so_not_group_admin(
    rsps: responses.RequestsMock, services: Services
) -> None:
    """A wrong or revoked app password: Nextcloud answers 401 with OCS 997 everywhere, checked
    once on `cloud/user` (shaped after Nextcloud's OCS v2 envelope; `responses` only)."""
    _answer(rsps, DETAILS_URL, 401, _failure(997, "Current user is not logged in"))
    _answer(rsps, CLOUD_USER_URL, 401, _failure(997, "Current user is not logged in"))
    with pytest.raises(QuorumError) as caught:
        _import(services)
    message = caught.value.message
    assert caught.value.code == "roster.password_refused"
    assert "refused the app password" in message
    assert "quorum source update nc --password-stdin" in message and "Sources page" in message
    assert "group admin" not in message


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


# The sharing dialog's search as Nextcloud 29's files_sharing answers it (ShareesAPIController
# with UserPlugin items: label, value.shareWith, shareWithDisplayNameUnique = the e-mail). Not
# recorded; shaped after the source, `responses` only.
def _sharee(uid: str, label: str, email: str) -> dict[str, Any]:
    return {
        "label": label,
        "subline": "",
        "icon": "icon-user",
        "value": {"shareType": 0, "shareWith": uid},
        "shareWithDisplayNameUnique": email,
        "status": [],
    }


def _sharees(*users: dict[str, Any]) -> str:
    empty: dict[str, list[Any]] = {
        k: [] for k in ("groups", "remotes", "remote_groups", "emails", "circles", "rooms")
    }
    data = {
        "exact": {"users": [], **empty, "lookup": []},
        "users": list(users),
        **empty,
        "lookup": [],
        "lookupEnabled": False,
    }
    return json.dumps({"ocs": {"meta": {"status": "ok", "statuscode": 200, "message": "OK"},
                                "data": data}})  # fmt: skip


def test_three_kinds_of_suggestion_with_their_tags(synced: Services) -> None:
    """The account itself comes from the recorded `cloud/user` (fixture 15: alice, in CA); the
    visible accounts from the sharee search, shaped after Nextcloud's source (`responses`)."""
    bernard = "bernard.lefevre@jardins-partages.example"
    with synced.db.session() as session:
        association = resolve_association(session, None)
        ca = roster.find_body(session, association.id, "CA")
        with responses.RequestsMock() as rsps:
            add_fixture(rsps, "15")
            _answer(rsps, SHAREES_URL, 200, _sharees(
                _sharee("bernard", "Bernard Lefèvre", bernard),
                _sharee("zoe", "Zoé Martin", "zoe@example.org"),
                _sharee("noaddress", "Sans Adresse", "noaddress"),
            ))  # fmt: skip
            found = starting_roster(session, association, ca, synced.vault, _connect)
    people = {p.email: p for p in found.suggestions}
    assert found.problems == []
    assert people[bernard].origins == ("attendee", "visible")
    assert people[bernard].nc_user == "bernard" and people[bernard].meetings >= 5
    # fixture 15's "Alice Example" is the demo's attendee of that name: merged, id given
    alice = people["alice@jardins-partages.example"]
    assert (alice.origins, alice.nc_user) == (("attendee", "account"), "alice")
    zoe = people["zoe@example.org"]
    assert (zoe.origins, zoe.nc_user, zoe.confirmed) == (("visible",), "zoe", False)
    assert "noaddress" not in {p.nc_user for p in found.suggestions}  # nothing to seat with
    assert found.suggestions[-1] == zoe  # unconfirmed after the others
    attendee = next(p for p in found.suggestions if p.origins == ("attendee",))
    assert attendee.confirmed and attendee.nc_user == ""


def test_suggestions_page_lists_them_with_checkboxes_and_seats_the_ticked_only(
    no_csrf: Flask, synced: Services, login_as: LoginAs
) -> None:
    """Against the demo server, which answers `cloud/user` and the sharee search."""
    with synced.db.session() as session:
        association = resolve_association(session, None)
        ca = roster.find_body(session, association.id, "CA")
        ca.memberships.clear()
        body_id = ca.id
    client = login_as("admin")
    index = client.get("/bodies").get_data(as_text=True)
    assert f"/bodies/{body_id}/suggestions" in index
    page = client.get(f"/bodies/{body_id}/suggestions").get_data(as_text=True)
    assert 'type="checkbox"' in page and 'name="pick"' in page
    assert "de ses réunions" in page  # an attendee's tag, in French
    assert "visible par le compte, non confirmé dans le groupe" in page
    with synced.db.session() as session:
        association = resolve_association(session, None)
        assert roster.find_body(session, association.id, "CA").memberships == []  # none yet
    emails = dict(re.findall(r'name="email-(\d+)" value="([^"]+)"', page))
    picked = sorted(emails)[:2]
    form: dict[str, Any] = {"pick": picked}
    for i in emails:
        form[f"email-{i}"] = emails[i]
        form[f"name-{i}"] = "X"
    answer = client.post(f"/bodies/{body_id}/suggestions", data=form, follow_redirects=True)
    assert "2 inscrite(s) (0 déjà là)" in answer.get_data(as_text=True)
    with synced.db.session() as session:
        association = resolve_association(session, None)
        seated = {
            m.member.email for m in roster.find_body(session, association.id, "CA").memberships
        }
    assert seated == {emails[i] for i in picked}


def test_refused_group_on_the_bodies_page_says_the_fix_and_offers_suggestions(
    no_csrf: Flask, synced: Services, login_as: LoginAs
) -> None:
    """The demo answers like Nextcloud 29: alice administers CA and Bureau, not `admin`."""
    with synced.db.session() as session:
        association = resolve_association(session, None)
        body_id = roster.find_body(session, association.id, "CA").id
    client = login_as("admin")
    answer = client.post(
        f"/bodies/{body_id}/import", data={"group": "admin"}, follow_redirects=True
    )
    text = answer.get_data(as_text=True)
    assert answer.request.path == f"/bodies/{body_id}/suggestions"
    assert "Rien n&#39;a été importé" in text
    assert "faites de alice un administrateur du groupe admin" in text
    assert 'type="checkbox"' in text  # the starting roster, right there
