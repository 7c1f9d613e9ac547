"""The cached sharing audit tells partial problems from fatal ones (recorded OCS answers 67, 21).

A group the account may not list (OCS 997/403, normal for a non-admin account) is a note: the
findings are replaced and no ``share_audit_failing`` alert opens. A shares list that cannot be
read (login refused, server down) is fatal: the old findings stay and the alert opens.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import responses
from sqlalchemy import select

from sidecar.alerts import service, share_audits
from sidecar.context import Services
from sidecar.storage.models import Alert, Association, Source
from tests.alerts.helpers import setup_association
from tests.fixtures_nc import BASE_URL, add_fixture
from tests.test_shares_audit import GROUP_CA_URL, SHARES_URL, ocs_failure

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def add_source(services: Services, association_id: int) -> None:
    """alice's account on the recorded Nextcloud (its answers come from ``responses``)."""
    with services.db.session() as session:
        session.add(
            Source(
                association_id=association_id,
                name="cloud",
                base_url=BASE_URL,
                login="alice",
                password_enc=services.vault.encrypt("app-password"),
            )
        )


def audit_and_run(services: Services, aid: int, now: datetime) -> share_audits.CachedAudit:
    with services.db.session() as session:
        association = session.get(Association, aid)
        assert association is not None
        cached = share_audits.refresh(session, association, services.vault, now)
    service.run(services, aid, now, send=False)
    return cached


def alert_states(services: Services) -> dict[str, str]:
    with services.db.session() as session:
        return {a.key.split(":", 1)[0]: a.state for a in session.scalars(select(Alert))}


def test_unreadable_group_is_a_note_not_a_failing_audit(
    services: Services, rsps: responses.RequestsMock
) -> None:
    aid = setup_association(services)
    add_source(services, aid)
    add_fixture(rsps, "67")
    rsps.add(
        "GET", GROUP_CA_URL, status=403, body=ocs_failure(997), content_type="application/json"
    )
    cached = audit_and_run(services, aid, NOW)
    assert cached.error is None and cached.at == NOW and cached.share_count == 3
    [note] = cached.notes
    assert (note.kind, note.subject) == ("group_members_unreadable", "CA")
    assert cached.findings and {f.kind for f in cached.findings} >= {"public_link_no_password"}
    assert cached.expires  # the protected Lyon link has an expiry day
    states = alert_states(services)
    assert "share_audit_failing" not in states and states["risky_share"] == "open"


def test_shares_list_refused_is_fatal_and_keeps_the_findings(
    services: Services, rsps: responses.RequestsMock
) -> None:
    aid = setup_association(services)
    add_source(services, aid)
    add_fixture(rsps, "67")
    add_fixture(rsps, "21")
    first = audit_and_run(services, aid, NOW)
    assert first.error is None and first.notes == ()
    rsps.reset()
    rsps.add("GET", SHARES_URL, status=401, body=ocs_failure(997), content_type="application/json")
    later = audit_and_run(services, aid, NOW + timedelta(hours=5))
    assert later.error is not None and "app password" in later.error
    assert (later.findings, later.at, later.share_count) == (first.findings, NOW, 3)
    assert alert_states(services)["share_audit_failing"] == "open"


def test_group_members_server_error_is_fatal(
    services: Services, rsps: responses.RequestsMock
) -> None:
    aid = setup_association(services)
    add_source(services, aid)
    add_fixture(rsps, "67")
    rsps.add("GET", GROUP_CA_URL, status=503, body="down")
    cached = audit_and_run(services, aid, NOW)
    assert cached.at is None and cached.error is not None and "cloud" in cached.error
    assert alert_states(services) == {"share_audit_failing": "open"}
