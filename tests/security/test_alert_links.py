"""Signed alert links work once, and never flip an alert someone already acknowledged
(issue 12, item 5)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from sidecar.alerts import links
from sidecar.context import Services
from sidecar.storage.models import Alert
from sidecar.web import create_app
from tests.alerts.helpers import cond, reconcile, setup_association

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
GRANT = cond("grant_deadline", "g1:d14", "grants", funder="Ville de Lyon")


def _alert(services: Services) -> int:
    aid = setup_association(services)
    reconcile(services, aid, [GRANT], NOW)
    with services.db.session() as session:
        return int(session.scalars(select(Alert.id)).one())


def _paths(services: Services, alert_id: int) -> dict[str, str]:
    secret = links.link_secret(services.settings.secret_key, services.settings.data_dir)
    found = links.links("http://localhost", secret, alert_id, "bruno@example.org")
    return {k: v.removeprefix("http://localhost") for k, v in found.items()}


def _state(services: Services, alert_id: int) -> str:
    with services.db.session() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        return alert.state


def _click(client: FlaskClient, path: str) -> int:
    page = client.get(path)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    data = {"csrf_token": token.group(1)} if token else {}
    return client.post(path, data=data).status_code


def _app(services: Services) -> Flask:
    return create_app({"TESTING": True}, services=services)


def test_a_snooze_link_cannot_flip_an_acknowledged_alert(services: Services) -> None:
    alert_id = _alert(services)
    paths = _paths(services, alert_id)
    client = _app(services).test_client()
    assert _click(client, paths["acknowledge"]) == 200
    assert _state(services, alert_id) == "acknowledged"
    assert _click(client, paths["snooze"]) == 409
    assert _state(services, alert_id) == "acknowledged"


def test_a_link_works_once(services: Services) -> None:
    alert_id = _alert(services)
    paths = _paths(services, alert_id)
    client = _app(services).test_client()
    assert _click(client, paths["snooze"]) == 200
    assert _state(services, alert_id) == "snoozed"
    with services.db.session() as session:  # an officer reopens it on the alerts page
        alert = session.get(Alert, alert_id)
        assert alert is not None
        alert.state = "open"
    assert _click(client, paths["snooze"]) == 409, "the same link a second time"
    assert _state(services, alert_id) == "open"
