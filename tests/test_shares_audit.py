"""Sharing audit on recorded Nextcloud 29 answers (fixtures 66-68, 21) and on OCS failures.

These OCS answers exist only in Nextcloud (no local server speaks the sharing API the same
way), so ``responses`` replays the recorded exchanges from tests/fixtures/nextcloud/.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import responses

from integrations.errors import (
    AuthError,
    ForbiddenError,
    IntegrationError,
    OcsError,
    ServerError,
)
from integrations.http import HttpClient
from integrations.ocs import OcsClient
from sidecar.projection.shares import Insiders, ShareInfo, audit, is_sensitive
from sidecar.services.share_audit import listing_refusal, read_shares, share_info
from tests.fixtures_nc import BASE_URL, add_fixture, load_fixture

SHARES_URL = BASE_URL + "/ocs/v2.php/apps/files_sharing/api/v1/shares"
GROUP_CA_URL = BASE_URL + "/ocs/v2.php/cloud/groups/CA/users/details"
TODAY = date(2026, 11, 26)
BOARD = Insiders(
    users=frozenset({"alice", "admin"}),
    emails=frozenset({"alice@example.invalid"}),
    body_names=frozenset({"ca", "conseil d administration"}),
)


def ocs_failure(code: int, message: str = "Unauthorised") -> str:
    """An OCS v2 failure envelope as Nextcloud sends it for a refused call."""
    meta = f'"status":"failure","statuscode":{code},"message":"{message}"'
    return '{"ocs":{"meta":{' + meta + '},"data":[]}}'


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def ocs() -> OcsClient:
    return OcsClient(HttpClient(BASE_URL, "alice", "app-password"))


def _all_shares(rsps: responses.RequestsMock, ocs: OcsClient) -> list[ShareInfo]:
    """All of alice's shares (67), with the members of group CA (21) read alongside."""
    add_fixture(rsps, "67")
    add_fixture(rsps, "21")
    read = read_shares(ocs)
    assert read.notes == []
    assert read.groups == {"CA": ("admin", "alice")}
    return read.shares


def test_public_link_without_password_on_accounts_is_flagged(
    rsps: responses.RequestsMock, ocs: OcsClient
) -> None:
    shares = _all_shares(rsps, ocs)
    assert len(shares) == 3
    findings = audit(shares, BOARD, ["Comptabilité/"], TODAY)
    by_kind = {(f.kind, f.path) for f in findings}
    assert ("public_link_no_password", "/Comptabilité") in by_kind
    assert ("public_link_no_expiry", "/Comptabilité") in by_kind
    first = findings[0]
    assert first.severity == "high" and "Password protect" in first.fix
    assert first.why


def test_group_share_inside_the_board_and_protected_link_not_flagged(
    rsps: responses.RequestsMock, ocs: OcsClient
) -> None:
    shares = _all_shares(rsps, ocs)
    findings = audit(shares, BOARD, ["Comptabilité/", "Subventions/"], TODAY)
    flagged = {f.path for f in findings}
    assert "/Subventions" not in flagged  # group CA: alice and admin, both insiders
    lyon = next(s for s in shares if s.share_type == 3 and s.has_password)
    assert lyon.path not in flagged  # password and expiry set, not expiring within 14 days


def test_group_with_an_outsider_is_flagged(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    shares = _all_shares(rsps, ocs)
    board_without_admin = Insiders(
        users=frozenset({"alice"}),
        body_names=BOARD.body_names,
        group_members={"CA": ("admin", "alice")},  # as read from fixture 21
    )
    findings = audit(shares, board_without_admin, [], TODAY)
    [outside] = [f for f in findings if f.kind == "outside_members"]
    assert outside.path == "/Subventions" and "admin" in outside.shared_with


def test_link_expiring_soon(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    shares = _all_shares(rsps, ocs)
    findings = audit(shares, BOARD, [], date(2027, 1, 20))
    [expiring] = [f for f in findings if f.kind == "expiring_soon"]
    assert expiring.title == "Share expiring in 11 days"


def test_shares_of_a_path_and_shared_with_me(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    add_fixture(rsps, "66")
    add_fixture(rsps, "68")
    [subventions] = ocs.shares("/Subventions")
    [received] = ocs.shared_with_me()
    assert subventions.id == received.id == "27"
    assert audit([share_info(received)], BOARD, ["Comptabilité/"], TODAY) == []


def test_ocs_failure_answer_raises(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    failure = load_fixture("73")["response"]  # an OCS envelope with statuscode 404
    rsps.add("GET", SHARES_URL, status=404, body=failure["body"], content_type="application/json")
    with pytest.raises(OcsError, match="OCS 404"):
        read_shares(ocs)


def _group_members_answer(rsps: responses.RequestsMock, status: int, body: str) -> None:
    rsps.add("GET", GROUP_CA_URL, status=status, body=body, content_type="application/json")


@pytest.mark.parametrize(("http", "code"), [(401, 997), (403, 997), (403, 403)])
def test_group_members_not_readable_falls_back_to_body_names(
    rsps: responses.RequestsMock, ocs: OcsClient, http: int, code: int
) -> None:
    add_fixture(rsps, "67")
    _group_members_answer(rsps, http, ocs_failure(code))
    read = read_shares(ocs)
    assert read.groups == {} and len(read.shares) == 3
    [note] = read.notes
    assert (note.kind, note.subject) == ("group_members_unreadable", "CA")
    assert f"OCS {code}" in note.detail and "app password" not in note.detail
    findings = audit(read.shares, BOARD, [], TODAY)
    assert not [f for f in findings if f.kind == "outside_members"]


def test_group_members_server_error_is_not_a_note(
    rsps: responses.RequestsMock, ocs: OcsClient
) -> None:
    add_fixture(rsps, "67")
    _group_members_answer(rsps, 503, "Service Unavailable")
    with pytest.raises(ServerError):
        read_shares(ocs)  # a server in trouble says nothing about rights: the audit fails


def test_shares_list_refused_is_fatal(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    rsps.add("GET", SHARES_URL, status=401, body=ocs_failure(997), content_type="application/json")
    with pytest.raises(AuthError, match="app password"):
        read_shares(ocs)  # the login itself is refused: nothing was read


def test_listing_refusal_tells_rights_from_other_failures(ocs: OcsClient) -> None:
    def why(err: IntegrationError) -> str | None:
        found = listing_refusal(ocs, "CA", err, login_works=True)
        return None if found is None else found.kind

    assert why(OcsError("x", 997, 403)) == "rights"
    assert why(ForbiddenError("y")) == "rights"
    assert why(AuthError("old servers: OCS 997 as 401")) == "rights"
    assert why(ServerError("down")) is None


GROUP_CA_IDS_URL = BASE_URL + "/ocs/v2.php/cloud/groups/CA/users"
NOT_FOUND = "The requested group could not be found"


@pytest.mark.parametrize(("users_status", "kind"), [(403, "rights"), (404, "no_group")])
def test_details_404_asks_the_id_list_whether_refused_or_missing(
    rsps: responses.RequestsMock, ocs: OcsClient, users_status: int, kind: str
) -> None:
    """Nextcloud 29 answers a non-subadmin's `/users/details` with 404 "The requested group
    could not be found" (GroupsController::getGroupUsersDetails), and `/users` with 403
    (OCSForbiddenException), or 404 when the group does not exist. No recording of these
    refusals exists (the fixtures were read as admin), so `responses` answers in Nextcloud's
    OCS v2 envelope."""
    add_fixture(rsps, "67")
    _group_members_answer(rsps, 404, ocs_failure(404, NOT_FOUND))
    message = NOT_FOUND if users_status == 404 else ""
    rsps.add(
        "GET",
        GROUP_CA_IDS_URL,
        status=users_status,
        body=ocs_failure(users_status, message),
        content_type="application/json",
    )
    read = read_shares(ocs)  # before: the 404 made the whole audit fail
    [note] = read.notes
    assert (note.kind, note.subject) == ("group_members_unreadable", "CA")
    assert read.groups == {}
    found = listing_refusal(ocs, "CA", OcsError(NOT_FOUND, 404, 404), login_works=True)
    assert found is not None and found.kind == kind


def test_sensitive_paths_are_accent_insensitive() -> None:
    assert is_sensitive("/Comptabilite/Relevés", ["Comptabilité/"])
    assert not is_sensitive("/Comptabilité-bis", ["Comptabilité/"])
