"""Alerts end to end against the demo Nextcloud: sync, evaluate, reconcile, send real mail; an
alert resolves by itself when the file it waited for appears."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from sidecar import formatting
from sidecar.alerts import service
from sidecar.context import Services
from sidecar.demo import DemoServer
from sidecar.demo.seed import BY_UID, CA_FOLDER
from sidecar.storage.models import Alert, Association, Delivery
from tests.alerts.conftest import Smtp
from tests.alerts.helpers import add_channel
from tests.alerts.test_channels import header
from tests.sync.helpers import alice_files, connect, sync


def _prepare(services: Services, server: DemoServer, smtp: Smtp) -> int:
    source_id = connect(services, server.url)
    assert sync(services, source_id).outcome == "ok"
    with services.db.session() as session:
        association = session.scalars(select(Association)).one()
        # Remind answers up to two months ahead, so the test does not depend on today's date.
        association.settings = {
            **(association.settings or {}),
            "alerts": {"thresholds": {"rsvp_missing.days_before": 62}},
        }
        aid = association.id
    add_channel(services, aid, "mail", "email", **smtp.config())
    return aid


def _alerts(services: Services) -> dict[str, Alert]:
    with services.db.session() as session:
        return {a.key: a for a in session.scalars(select(Alert))}


def test_minutes_alert_resolves_when_the_pv_appears(
    services: Services, fresh_demo_server: DemoServer, smtp: Smtp
) -> None:
    info = fresh_demo_server.seed_info
    assert info is not None and info.ca_minutes_missing is not None
    aid = _prepare(services, fresh_demo_server, smtp)
    now = datetime.now(UTC)
    report = service.run(services, aid, now)
    day = info.ca_minutes_missing.isoformat()
    [minutes] = [
        a for a in _alerts(services).values() if a.rule == "minutes_overdue" and day in a.subject
    ]
    assert minutes.state == "open" and minutes.key in report.reconciled.opened
    secretary = BY_UID["chloe"].email
    said = formatting.date_text(info.ca_minutes_missing, "fr", "long")  # « 3 octobre 2026 »
    assert any(said in header(m["Subject"]) for m in smtp.inbox.to(secretary))

    service.run(services, aid, now + timedelta(minutes=5))  # a rerun sends nothing new
    with services.db.session() as session:
        sent = session.scalars(select(Delivery).where(Delivery.alert_id == minutes.id)).all()
    assert [d.state for d in sent] == ["sent"]

    source_id = connect(services, fresh_demo_server.url)
    alice_files(fresh_demo_server.url).put(
        f"{CA_FOLDER}/{day}/PV CA {day}.pdf", b"%PDF-1.4 minutes", if_none_match=True
    )
    assert sync(services, source_id).outcome == "ok"
    report = service.run(services, aid, now + timedelta(minutes=10))
    assert minutes.key in report.reconciled.resolved
    assert _alerts(services)[minutes.key].state == "resolved"


def test_only_members_who_have_not_answered_get_a_reminder(
    services: Services, fresh_demo_server: DemoServer, smtp: Smtp
) -> None:
    info = fresh_demo_server.seed_info
    assert info is not None
    aid = _prepare(services, fresh_demo_server, smtp)
    service.run(services, aid, datetime.now(UTC))
    reminders = [a for a in _alerts(services).values() if a.rule == "rsvp_missing"]
    next_ca = [
        a
        for a in reminders
        if a.subject.startswith("ca-mensuel@") and a.params.get("date") == info.ca_next.isoformat()
    ]
    who = {a.audience["members"][0] for a in next_ca}
    assert BY_UID["francoise"].email in who  # NEEDS-ACTION
    assert BY_UID["alice"].email not in who and BY_UID["chloe"].email not in who  # answered
    # The reminder reached Françoise's mailbox, and nobody else received hers.
    keys = {a.id: a.key for a in next_ca if a.audience["members"] == [BY_UID["francoise"].email]}
    with services.db.session() as session:
        rows = session.scalars(select(Delivery).where(Delivery.alert_id.in_(keys))).all()
    assert [d.recipient for d in rows] == [BY_UID["francoise"].email]
    assert smtp.inbox.to(BY_UID["francoise"].email)
