"""OCS client on recorded Nextcloud 29 answers (envelopes, failures with HTTP 200/404, CSRF 412).

``responses`` replays these Nextcloud-only answers; no local server speaks OCS.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import parse_qs

import pytest
import responses

from integrations.errors import AuthError, OcsError, ProtocolError
from integrations.http import HttpClient
from integrations.ocs import OcsClient
from tests.fixtures_nc import BASE_URL, add_fixture, load_fixture

OCS = BASE_URL + "/ocs/v2.php/"


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def ocs() -> OcsClient:
    return OcsClient(HttpClient(BASE_URL, "alice", "app-password"))


def test_capabilities(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    add_fixture(rsps, "14")
    caps = ocs.capabilities()
    assert caps.version == "29.0.6" and caps.notifications
    assert not caps.talk and not caps.activity
    headers = rsps.calls[0].request.headers
    assert headers["OCS-APIRequest"] == "true" and headers["Accept"] == "application/json"


def test_current_user(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    add_fixture(rsps, "15")
    user = ocs.current_user()
    assert (user.id, user.display_name, user.email) == (
        "alice",
        "Alice Example",
        "alice@example.invalid",
    )
    assert user.groups == ("CA",)


def test_groups_and_members(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    add_fixture(rsps, "19")
    add_fixture(rsps, "21")
    assert ocs.groups() == ["Bureau", "CA", "Conseil d'administration", "admin"]
    members = {u.id: u for u in ocs.group_members("CA")}
    assert sorted(members) == ["admin", "alice"]
    assert members["admin"].email is None and members["admin"].groups == ("admin", "CA")


def test_shares(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    add_fixture(rsps, "67")
    group, link, protected = ocs.shares()
    assert (group.id, group.share_type, group.share_with) == ("27", 1, "CA")
    assert (
        group.share_with_displayname == "Conseil d'administration" and group.path == "/Subventions"
    )
    assert (link.share_type, link.path, link.has_password) == (3, "/Comptabilité", False)
    assert link.permissions == 17 and link.url is not None and link.label is None
    assert protected.has_password and protected.share_with is None  # never the password hash
    assert protected.expiration == datetime(2027, 1, 31)
    assert protected.label == "Dossier Ville de Lyon"


def test_shares_of_a_path(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    add_fixture(rsps, "66")
    (share,) = ocs.shares("/Subventions")
    assert share.item_type == "folder" and share.owner == "alice"


def test_notify_posts_a_form(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    fx = add_fixture(rsps, "69")
    sent = parse_qs(fx["request"]["body"])
    ocs.notify("alice", sent["shortMessage"][0], sent["longMessage"][0])
    request = rsps.calls[0].request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert isinstance(request.body, bytes)
    assert parse_qs(request.body.decode()) == sent


def test_notifications(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    add_fixture(rsps, "70")
    (note,) = ocs.notifications()
    assert note["notification_id"] == 14
    assert note["subject"] == "Ordre du jour du CA du 5 décembre disponible"


def test_failure_in_envelope_with_http_404(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    add_fixture(rsps, "73")
    with pytest.raises(OcsError) as caught:
        ocs._ocs("GET", "apps/activity/api/v2/activity")
    assert caught.value.statuscode == 404 and caught.value.http_status == 404


def test_failure_in_envelope_with_http_200(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    body = b'{"ocs":{"meta":{"status":"failure","statuscode":101,"message":"group does not exist"},"data":[]}}'
    rsps.add("GET", OCS + "cloud/groups?format=json", status=200, body=body)
    with pytest.raises(OcsError, match="group does not exist") as caught:
        ocs.groups()
    assert caught.value.statuscode == 101 and caught.value.http_status == 200


def test_csrf_412_without_envelope(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    add_fixture(rsps, "17")
    with pytest.raises(OcsError, match="OCS-APIRequest") as caught:
        ocs.current_user()
    assert caught.value.http_status == 412


def test_401_is_an_auth_error(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    rsps.add("GET", OCS + "cloud/user?format=json", status=401, body=b"{}")
    with pytest.raises(AuthError):
        ocs.current_user()


def test_login_flow(rsps: responses.RequestsMock) -> None:
    flow = OcsClient(HttpClient(BASE_URL, "", ""))
    add_fixture(rsps, "71")
    add_fixture(rsps, "72")
    endpoint, token, login_url = flow.login_flow_init()
    assert endpoint == BASE_URL + "/index.php/login/v2/poll"
    assert token == "<login-flow-poll-token>"
    assert login_url.startswith(BASE_URL + "/index.php/login/v2/flow/")
    assert "Authorization" not in rsps.calls[0].request.headers
    assert flow.login_flow_poll(endpoint, token) is None
    rsps.add(
        "POST",
        BASE_URL + "/index.php/login/v2/poll",
        json={"server": BASE_URL, "loginName": "alice", "appPassword": "xyz"},
    )
    assert flow.login_flow_poll(endpoint, token) == (BASE_URL, "alice", "xyz")


def test_xml_envelope_is_not_mistaken_for_json(
    rsps: responses.RequestsMock, ocs: OcsClient
) -> None:
    # As if a proxy dropped format=json: Nextcloud then answers its XML envelope (16).
    rsps.add("GET", OCS + "cloud/user?format=json", body=load_fixture("16")["response"]["body"])
    with pytest.raises(ProtocolError, match="not JSON"):
        ocs.current_user()


def test_user_as_admin(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    add_fixture(rsps, "18")
    user = ocs.user("alice")
    assert user.display_name == "Alice Example" and user.groups == ("CA",)


def test_group_member_ids_fixture_is_the_short_form() -> None:
    # 20 is the id-only variant; group_members() uses /details (21) to get names and emails.
    assert load_fixture("20")["response"]["body"].count('"users":["admin","alice"]') == 1


def test_shared_with_me(rsps: responses.RequestsMock, ocs: OcsClient) -> None:
    add_fixture(rsps, "68")
    (share,) = ocs.shared_with_me()
    assert (share.share_type, share.owner, share.share_with) == (1, "alice", "CA")
