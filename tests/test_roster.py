"""Roster: import from a Nextcloud group (demo OCS and recorded answers), by hand, rules, CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from integrations.http import HttpClient
from integrations.ocs import OcsClient
from sidecar.cli import cli
from sidecar.context import Services, resolve_association
from sidecar.demo.server import DemoServer
from sidecar.errors import QuorumError
from sidecar.services import roster
from sidecar.storage.models import Body, Member
from tests.access_helpers import LoginAs
from tests.fixtures_nc import BASE_URL, add_fixture, load_fixture
from tests.sync.helpers import connect


@pytest.fixture
def demo(services: Services, demo_server: DemoServer) -> Services:
    """The demo association (bodies CA, BUREAU, AG with their roster), not synced."""
    connect(services, demo_server.url)
    return services


def _seats(services: Services, code: str) -> dict[str, str]:
    with services.db.session() as session:
        association = resolve_association(session, None)
        body = roster.find_body(session, association.id, code)
        return {m.member.email: m.role for m in body.memberships}


def _new_body(services: Services, code: str) -> None:
    with services.db.session() as session:
        association = resolve_association(session, None)
        roster.create_body(session, association.id, code, "Groupe de travail", "custom")


def test_import_group_from_demo_ocs_adds_then_updates(demo: Services) -> None:
    _new_body(demo, "GT")
    with demo.db.session() as session:
        association = resolve_association(session, None)
        first = roster.import_group(session, association, "gt", "Bureau", demo.vault)
    assert len(first.added) == len(_seats(demo, "BUREAU")) and first.updated == ()
    assert set(_seats(demo, "GT")) == set(_seats(demo, "BUREAU"))
    assert set(_seats(demo, "GT").values()) == {roster.DEFAULT_ROLE}

    with demo.db.session() as session:
        association = resolve_association(session, None)
        again = roster.import_group(session, association, "GT", "Bureau", demo.vault)
    assert again.added == () and len(again.updated) == len(first.added)


def test_import_keeps_roles_and_reports_absentees(demo: Services) -> None:
    before = _seats(demo, "CA")
    with demo.db.session() as session:
        association = resolve_association(session, None)
        done = roster.import_group(session, association, "CA", "Bureau", demo.vault)
    assert done.added == ()
    assert _seats(demo, "CA") == before  # roles kept, nobody removed
    assert set(done.not_in_group) == set(before) - set(_seats(demo, "BUREAU"))


def test_unknown_group_says_so(demo: Services) -> None:
    with demo.db.session() as session:
        association = resolve_association(session, None)
        with pytest.raises(QuorumError, match="no group 'Nope'") as caught:
            roster.import_group(session, association, "CA", "Nope", demo.vault)
    assert caught.value.code == "roster.no_group"  # /details and /users both answer 404


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def test_recorded_group_answer_skips_accounts_without_email(
    rsps: responses.RequestsMock, services: Services
) -> None:
    add_fixture(rsps, "21")
    users = OcsClient(HttpClient(BASE_URL, "admin", "app-password")).group_members("CA")
    listed = json.loads(load_fixture("20")["response"]["body"])["ocs"]["data"]["users"]
    assert sorted(u.id for u in users) == sorted(listed)
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        body = roster.create_body(session, association.id, "CA", "Conseil", "ca")
        done = roster.import_users(session, body, "CA", users)
        member = session.scalar(select(Member).where(Member.email == "alice@example.invalid"))
        assert member is not None and member.nc_user == "alice"
        assert member.name == "Alice Example"
    assert done.added == ("alice@example.invalid",)
    assert done.skipped == ("admin",)


def test_parse_rules_says_what_to_fix() -> None:
    values, errors = roster.parse_rules(
        {"notice_days": "quinze", "quorum_first": "3/2", "quorum_second": "0", "name": " "}
    )
    assert errors == {"notice_days": "number", "quorum_first": "quorum", "name": "required"}
    values, errors = roster.parse_rules(
        {"notice_days": "21", "quorum_first": "2/3", "proxies_allowed": "on", "folder": "/CA/"}
    )
    assert errors == {}
    assert values["notice_days"] == 21 and values["quorum_first"] == "2/3"
    assert values["proxies_allowed"] is True and values["remote_allowed"] is False
    assert values["folder"] == "CA"


@pytest.fixture
def admin(app: Flask, demo: Services, login_as: LoginAs) -> FlaskClient:
    """A signed-in admin of the demo association (forms posted without their CSRF token)."""
    app.config["WTF_CSRF_ENABLED"] = False
    return login_as("admin")


def _body_id(services: Services, code: str) -> int:
    with services.db.session() as session:
        association = resolve_association(session, None)
        return roster.find_body(session, association.id, code).id


def test_settings_page_edits_rules_and_members(admin: FlaskClient, demo: Services) -> None:
    client = admin
    ca = _body_id(demo, "CA")
    page = client.get("/bodies?lang=en")
    assert page.status_code == 200 and "Conseil d&#39;administration" in page.get_data(True)

    bad = client.post(f"/bodies/{ca}/rules", data={"name": "CA", "quorum_first": "moitié"})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "fraction of at most 1" in html

    good = {"name": "Conseil", "notice_days": "21", "quorum_first": "1/3", "remote_allowed": "on"}
    assert client.post(f"/bodies/{ca}/rules", data=good).status_code == 302
    with demo.db.session() as session:
        body = session.get(Body, ca)
        assert body is not None
        assert (body.notice_days, body.quorum_first, body.remote_allowed) == (21, "1/3", True)

    new = {"name": "Zoé Nouvelle", "email": "Zoe@Example.org", "role": "trésorière"}
    assert client.post(f"/bodies/{ca}/members", data=new).status_code == 302
    assert _seats(demo, "CA")["zoe@example.org"] == "trésorière"
    wrong = client.post(f"/bodies/{ca}/members", data={"name": "X", "email": "nope"})
    assert wrong.status_code == 400 and "e-mail address" in wrong.get_data(as_text=True)

    with demo.db.session() as session:
        zoe = session.scalar(select(Member).where(Member.email == "zoe@example.org"))
        assert zoe is not None
        zoe_id = zoe.id
    assert client.post(f"/bodies/{ca}/members/{zoe_id}/remove").status_code == 302
    assert "zoe@example.org" not in _seats(demo, "CA")

    imported = client.post(
        f"/bodies/{ca}/import?lang=en", data={"group": "CA"}, follow_redirects=True
    )
    assert "Group CA:" in imported.get_data(as_text=True)


def test_cli_roster_import_and_feed_token(
    demo: Services, tmp_path: Path, database_url: str
) -> None:
    _new_body(demo, "GT")
    env = {
        "QUORUM_DATA_DIR": str(tmp_path / "data"),
        "QUORUM_DATABASE_URL": database_url,
        "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    runner = CliRunner()
    done = runner.invoke(cli, ["roster", "import-group", "GT", "CA"], env=env)
    assert done.exit_code == 0, done.output
    assert "added" in done.output
    missing = runner.invoke(cli, ["roster", "import-group", "XX", "CA"], env=env)
    assert missing.exit_code == 1 and "No body 'XX'" in missing.output

    email = next(iter(_seats(demo, "GT")))
    token = runner.invoke(
        cli, ["feed", "token", email, "--base-url", "https://q.example/"], env=env
    )
    assert token.exit_code == 0, token.output
    url = token.output.splitlines()[0]
    assert url.startswith("https://q.example/feeds/") and url.endswith(".ics")
    nobody = runner.invoke(cli, ["feed", "token", "nobody@example.org"], env=env)
    assert nobody.exit_code == 1 and "No member" in nobody.output


def test_members_cannot_edit_bodies(app: Flask, demo: Services, login_as: LoginAs) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    member = login_as("member")
    assert member.get("/bodies").status_code == 403
    ca = _body_id(demo, "CA")
    assert member.post(f"/bodies/{ca}/rules", data={"notice_days": "1"}).status_code == 403
