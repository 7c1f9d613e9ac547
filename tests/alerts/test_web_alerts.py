"""The alerts page, its forms, the signed links and ``/api/v1/alerts``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from sidecar.alerts import links
from sidecar.context import Services
from sidecar.storage.models import Alert
from tests.access_helpers import LoginAs
from tests.alerts.helpers import cond, reconcile, setup_association

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
GRANT = cond("grant_deadline", "g1:d14", "grants", funder="Ville de Lyon")
MINUTES = cond("minutes_overdue", "ca-1@2026-10-03", "minutes", body="CA", date="2026-10-03")


def _setup(services: Services) -> dict[str, int]:
    aid = setup_association(services)
    reconcile(services, aid, [GRANT, MINUTES], NOW)
    with services.db.session() as session:
        return {a.key: a.id for a in session.scalars(select(Alert))}


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _state(services: Services, alert_id: int) -> str:
    with services.db.session() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        return alert.state


def test_api_lists_alerts_by_state(
    services: Services, client: FlaskClient, login_as: LoginAs
) -> None:
    ids = _setup(services)
    login_as("officer")
    body = client.get("/api/v1/alerts?state=open").get_json()
    assert [a["key"] for a in body["alerts"]] == sorted([GRANT.key, MINUTES.key])
    assert set(body["alerts"][0]) == {
        "key",
        "rule",
        "severity",
        "subject",
        "state",
        "first_seen",
        "last_seen",
    }
    assert client.get("/api/v1/alerts?state=resolved").get_json() == {"alerts": []}
    assert client.get("/api/v1/alerts?state=nonsense").status_code == 400
    assert ids


def test_page_acknowledges_and_snoozes_with_csrf(
    services: Services, client: FlaskClient, login_as: LoginAs
) -> None:
    ids = _setup(services)
    login_as("officer")
    page = client.get("/alerts/?lang=en")
    assert page.status_code == 200 and "Ville de Lyon: deadline" in page.text
    refused = client.post(f"/alerts/{ids[GRANT.key]}/acknowledge")
    assert refused.status_code == 400 and _state(services, ids[GRANT.key]) == "open"
    token = _csrf(page.text)
    client.post(f"/alerts/{ids[GRANT.key]}/acknowledge", data={"csrf_token": token})
    client.post(f"/alerts/{ids[MINUTES.key]}/snooze", data={"csrf_token": token})
    assert _state(services, ids[GRANT.key]) == "acknowledged"
    assert _state(services, ids[MINUTES.key]) == "snoozed"
    assert "Ville de Lyon: deadline" in client.get("/alerts/?state=acknowledged").text


def test_signed_link_confirms_before_acting(services: Services, app: Flask) -> None:
    ids = _setup(services)
    secret = links.link_secret(services.settings.secret_key, services.settings.data_dir)
    url = links.links("http://localhost", secret, ids[GRANT.key], "bruno@example.org")[
        "acknowledge"
    ]
    path = url.removeprefix("http://localhost")
    client = app.test_client()  # not signed in: the link is the authentication
    page = client.get(path)
    assert (
        page.status_code == 200 and _state(services, ids[GRANT.key]) == "open"
    )  # GET changes nothing
    client.post(path, data={"csrf_token": _csrf(page.text)})
    assert _state(services, ids[GRANT.key]) == "acknowledged"
    with services.db.session() as session:
        alert = session.get(Alert, ids[GRANT.key])
        assert alert is not None and alert.acknowledged_by == "bruno@example.org"
    assert client.get(path[:-3] + "xyz").status_code == 404


def test_an_empty_alerts_page_says_when_quorum_last_checked(
    services: Services, client: FlaskClient, login_as: LoginAs
) -> None:
    """« Nothing to do » only after a check: before the first one the page says none ran yet."""
    aid = setup_association(services)
    login_as("officer")
    before = re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get("/alerts/").get_data(as_text=True))
    )
    assert "rien à faire" not in before
    assert "pas encore vérifié" in before, before
    reconcile(services, aid, [], NOW)
    after = re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get("/alerts/").get_data(as_text=True))
    )
    assert "rien à faire" in after
    assert "Dernière vérification : jeudi 26 novembre 2026 à 10:00" in after, after
