"""Adding an app-mode source (admin page and CLI) against the demo server's AppAPI mode, and
which association app mode serves (``QUORUM_APPAPI_ASSOCIATION``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from integrations.types import NcUser
from sidecar.appapi import users as appapi_users
from sidecar.appapi.mode import app_association
from sidecar.cli import cli
from sidecar.context import Services, resolve_association
from sidecar.demo.server import DemoServer
from sidecar.errors import ConfigError
from sidecar.storage.models import Association, AuditLog, Collection, Source, SyncJob, User
from sidecar.web import create_app
from tests.access_helpers import signed_in_client
from tests.deploy.test_appapi_mode import _signed

NOW = datetime(2027, 1, 1, tzinfo=UTC)


def _admin_mapping(services: Services) -> None:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        association.settings = {"access": {"groups": {"admin": "admin"}}}


def test_the_admin_page_adds_an_appapi_source_and_discovers_it(
    app_quorum: Services, app_demo: DemoServer
) -> None:
    _admin_mapping(app_quorum)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=app_quorum)
    client = app.test_client()
    page = client.get("/admin/sources?lang=en", headers=_signed("admin")).get_data(as_text=True)
    assert '<label for="f-nc_user">' in page and 'name="csrf_token"' in page
    added = client.post(
        "/admin/sources", data={"name": "nc", "nc_user": "alice"}, headers=_signed("admin")
    )
    assert added.status_code == 302, added.get_data(as_text=True)[:500]
    with app_quorum.db.session() as session:
        source = session.scalars(select(Source)).one()
        assert source.password_enc == b"" and source.capabilities["user_id"] == "alice"
        kinds = {c.kind for c in session.scalars(select(Collection))}
        actions = list(session.scalars(select(AuditLog.action)))
    assert kinds == {"calendar", "folder"} and actions == ["admin.source.add"]
    with app_quorum.db.session() as session:  # the same default job as `quorum source add`
        [job] = session.scalars(select(SyncJob)).all()
        assert (job.name, job.source_id, job.interval_seconds, job.enabled) == (
            "nc",
            source.id,
            15 * 60,
            True,
        )
    setup = client.get(added.headers["Location"], headers=_signed("admin"))
    assert "Sync job nc created" in setup.get_data(as_text=True)  # the page was asked in English
    again = client.post(
        "/admin/sources?lang=fr", data={"name": "nc", "nc_user": "bob"}, headers=_signed("admin")
    )
    html = again.get_data(as_text=True)
    assert again.status_code == 400
    assert 'id="f-name-error">Une source nommée nc existe déjà' in html
    assert 'value="bob"' in html, "what was typed is kept"


def test_an_account_nextcloud_refuses_keeps_no_source(
    app_quorum: Services, app_demo: DemoServer
) -> None:
    _admin_mapping(app_quorum)
    client = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=app_quorum)
    refused = client.test_client().post(
        "/admin/sources?lang=en",
        data={"name": "nc", "nc_user": "nobody-here"},
        headers=_signed("admin"),
    )
    assert refused.status_code == 400
    assert 'id="f-nc_user-error">Nextcloud did not let Quorum read as nobody-here' in (
        refused.get_data(as_text=True)
    )
    with app_quorum.db.session() as session:
        assert session.scalars(select(Source)).all() == []


def test_the_cli_adds_an_appapi_source_in_app_mode(
    app_quorum: Services, app_demo: DemoServer
) -> None:
    result = CliRunner().invoke(cli, ["source", "add", "nc", "--appapi-user", "alice"])
    assert result.exit_code == 0, result.output
    assert "through AppAPI" in result.output and "calendar " in result.output
    with app_quorum.db.session() as session:
        source = session.scalars(select(Source)).one()
        assert source.capabilities["appapi_user"] == "alice" and source.collections
        [job] = session.scalars(select(SyncJob)).all()
        assert (job.name, job.interval_seconds) == ("nc", 15 * 60)


def test_outside_app_mode_both_refuse_clearly(services: Services) -> None:
    admin = signed_in_client(create_app({"TESTING": True}, services=services), "admin")
    page = admin.get("/admin/sources?lang=en").get_data(as_text=True)
    assert "not running as a Nextcloud app" in page and 'name="nc_user"' not in page
    form = {"name": "nc", "nc_user": "alice"}
    assert "CSRF" in admin.post("/admin/sources", data=form).get_data(as_text=True)
    admin = signed_in_client(
        create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services), "admin"
    )
    refused = admin.post("/admin/sources?lang=fr", data=form)
    assert refused.status_code == 400
    assert "ne fonctionne pas comme application Nextcloud" in refused.get_data(as_text=True)
    settings = services.settings
    env = {"QUORUM_DATA_DIR": str(settings.data_dir), "QUORUM_MODE": "standalone"}
    env["QUORUM_DATABASE_URL"] = settings.effective_database_url
    result = CliRunner().invoke(cli, ["source", "add", "nc", "--appapi-user", "alice"], env=env)
    assert result.exit_code == 1 and "not running as a Nextcloud app" in result.output
    with services.db.session() as session:
        assert session.scalars(select(Source)).all() == []


def test_app_mode_serves_the_only_association_by_default(services: Services) -> None:
    with services.db.session() as session:
        only = resolve_association(session, None, create=True)
        assert app_association(session, "").id == only.id
        session.add(Association(slug="other", name="Other", settings={}))
        session.flush()
        with pytest.raises(ConfigError, match="QUORUM_APPAPI_ASSOCIATION"):
            app_association(session, "")
        with pytest.raises(ConfigError, match="'missing'"):
            app_association(session, "missing")


def test_appapi_users_land_in_the_configured_association(services: Services) -> None:
    with services.db.session() as session:
        resolve_association(session, None, create=True)
        other = Association(
            slug="club", name="Club", settings={"access": {"groups": {"CA": "officer"}}}
        )
        session.add(other)

    def lookup(nc_user: str) -> NcUser:
        return NcUser(nc_user, nc_user.title(), None, ("CA",))

    with services.db.session() as session:
        user = appapi_users.account_for(session, "bob", lookup, now=NOW, association="club")
        assert user.role == "officer"
    with services.db.session() as session:
        bob = session.scalars(select(User)).one()
        club = session.scalars(select(Association).where(Association.slug == "club")).one()
        assert bob.association_id == club.id
    with services.db.session() as session, pytest.raises(ConfigError, match="several"):
        appapi_users.account_for(session, "carol", lookup, now=NOW)


def test_domain_errors_reach_french_pages_in_french(services: Services) -> None:
    """One error each of user_admin, conventions and roster, by its code."""
    admin = signed_in_client(
        create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services), "admin"
    )
    short = admin.post(
        "/admin/users?lang=fr", data={"login": "yann", "password": "short", "role": "member"}
    ).get_data(as_text=True)
    assert 'id="f-password-error">Le mot de passe doit compter au moins 12 caractères' in short
    folder = admin.post("/bodies/meeting-folder?lang=fr", data={"meeting_folder": "{body}/x"})
    assert folder.status_code == 400
    assert "Le modèle doit contenir la date de la réunion" in folder.get_data(as_text=True)
    admin.post("/bodies?lang=fr", data={"code": "CA", "name": "Conseil", "kind": "ca"})
    twice = admin.post(
        "/bodies?lang=fr",
        data={"code": "CA", "name": "Conseil", "kind": "ca"},
        follow_redirects=True,
    )
    assert "Une instance CA existe déjà." in twice.get_data(as_text=True)
