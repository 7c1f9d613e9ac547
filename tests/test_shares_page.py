"""The shares page reads the cached audit; "refresh now" (officers, CSRF-protected) reruns it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import responses
from flask import Flask

from sidecar.alerts import share_audits
from sidecar.context import Services, resolve_association
from sidecar.projection.shares import Finding
from sidecar.services.share_audit import AuditNote, AuditResult
from tests.access_helpers import LoginAs
from tests.alerts.test_share_audit_notes import add_source
from tests.fixtures_nc import add_fixture
from tests.test_shares_audit import GROUP_CA_URL, ocs_failure

AT = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
FINDING = Finding(
    "public_link_no_password:7",
    "public_link_no_password",
    "high",
    "7",
    "/Compta",
    "",
    "t",
    "w",
    "f",
)
NOTE = AuditNote("group_members_unreadable", "CA", "Nextcloud refused it (OCS 997)")


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """No request may leave unless a test registers its answer."""
    with responses.RequestsMock() as mock:
        yield mock


def cache_audit(services: Services, errors: list[str]) -> None:
    result = AuditResult([FINDING], 3, errors, {}, [NOTE])
    with services.db.session() as session:
        association = resolve_association(session, None)
        share_audits.refresh(session, association, services.vault, AT, lambda *_: result)


def test_page_shows_the_cached_audit_and_its_note_without_calling_nextcloud(
    app: Flask, services: Services, login_as: LoginAs, rsps: responses.RequestsMock
) -> None:
    client = login_as("officer")
    empty = client.get("/shares?lang=en").get_data(as_text=True)
    assert "No sharing audit has worked yet" in empty and "No problem found" not in empty
    cache_audit(services, [])
    html = client.get("/shares?lang=en").get_data(as_text=True)
    assert "Public link without a password on a sensitive folder" in html
    assert "2026" in html and "3 shares read" in html
    assert "Members of group CA are not readable" in html and "OCS 997" in html
    french = client.get("/shares?lang=fr").get_data(as_text=True)
    assert "Les membres du groupe CA" in french
    cache_audit(services, ["cloud: 503"])
    failed = client.get("/shares?lang=en").get_data(as_text=True)
    assert "The last attempt failed" in failed and "cloud: 503" in failed
    assert "Public link without a password" in failed  # the findings that worked stay


def test_refresh_needs_the_csrf_token_then_runs_the_audit(
    app: Flask, services: Services, login_as: LoginAs, rsps: responses.RequestsMock
) -> None:
    client = login_as("officer")
    with services.db.session() as session:
        add_source(services, resolve_association(session, None).id)
    assert client.post("/shares/refresh").status_code == 400  # no token: nothing runs
    page = client.get("/shares?lang=en").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    add_fixture(rsps, "67")
    rsps.add(
        "GET", GROUP_CA_URL, status=403, body=ocs_failure(997), content_type="application/json"
    )
    answer = client.post("/shares/refresh", data={"csrf_token": match.group(1)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/shares")
    html = client.get("/shares?lang=en").get_data(as_text=True)
    assert "3 shares read" in html and "Members of group CA are not readable" in html
    assert "/Comptabilité" in html


def test_members_may_not_refresh(no_csrf: Flask, login_as: LoginAs) -> None:
    assert login_as("member").post("/shares/refresh").status_code == 403
