"""The alerts cycle on the scheduler, the cached sharing audit, claims, channel URLs, digest
hours, and calendar todos kept current while their alert holds."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from sidecar.alerts import cycle, outbox, service, share_audits
from sidecar.alerts.channels import TransportError, open_transport
from sidecar.alerts.delivery import deliver
from sidecar.alerts.digest import period_start
from sidecar.config import load_settings
from sidecar.context import Services
from sidecar.demo import DemoServer
from sidecar.errors import QuorumError
from sidecar.projection.shares import Finding
from sidecar.scheduler import Scheduler
from sidecar.services.share_audit import AuditResult
from sidecar.storage.models import Alert, Association, Channel, Delivery
from tests.alerts.conftest import Smtp
from tests.alerts.helpers import add_channel, cond, reconcile, setup_association
from tests.alerts.test_calendar_channel import calendar_href, todo_text
from tests.sync.helpers import alice_calendars, connect, sync

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _received(smtp: Smtp) -> Counter[tuple[str, str]]:
    return Counter((rcpt, str(m["X-Quorum-Alert"])) for rcpt, m in smtp.inbox.messages)


def _synced(services: Services, server: DemoServer, smtp: Smtp) -> int:
    assert sync(services, connect(services, server.url)).outcome == "ok"
    with services.db.session() as session:
        aid = session.scalars(select(Association.id)).one()
    add_channel(services, aid, "mail", "email", **smtp.config())
    return aid


def _at_once(*calls: object) -> None:
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call: object) -> None:
        try:
            barrier.wait()
            call()  # type: ignore[operator]
        except BaseException as err:  # reported in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert not errors, errors


def test_two_schedulers_ticking_at_once_send_each_mail_once(
    services: Services, demo_server: DemoServer, smtp: Smtp
) -> None:
    _synced(services, demo_server, smtp)
    schedulers = [Scheduler(services, holder=h) for h in ("a", "b")]
    for s in schedulers:
        s._holding.set()  # both believe they hold the lease: the database decides
    _at_once(*(lambda s=s: s.tick(NOW) for s in schedulers))
    first = _received(smtp)
    assert first and max(first.values()) == 1
    for s in schedulers:  # within alerts_interval: no new cycle
        s.tick(NOW + timedelta(seconds=60))
    assert _received(smtp) == first
    # Cycles forced in both at once (a sync changed something) still send nothing twice.
    _at_once(*(lambda: cycle.run_cycles(services, NOW, changed=[1]) for _ in range(2)))
    assert _received(smtp) == first
    with services.db.session() as session:
        assert set(session.scalars(select(Delivery.state))) == {"sent"}


def test_the_cycle_runs_again_once_the_interval_is_over(services: Services) -> None:
    setup_association(services)
    every = services.settings.alerts_interval
    assert [r.association_id for r in cycle.run_cycles(services, NOW)] == [1]
    assert cycle.run_cycles(services, NOW + timedelta(seconds=every - 1)) == []
    assert len(cycle.run_cycles(services, NOW + timedelta(seconds=every - 1), changed=[1])) == 1
    # The forced cycle counts: the next one is due one interval after it, not after the first.
    assert cycle.run_cycles(services, NOW + timedelta(seconds=every + 1)) == []
    assert len(cycle.run_cycles(services, NOW + timedelta(seconds=2 * every))) == 1


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


def _auditor(errors: list[str]) -> share_audits.Auditor:
    return lambda session, association, vault, today: AuditResult([FINDING], 1, list(errors))


def _audit_and_run(services: Services, aid: int, now: datetime, errors: list[str]) -> None:
    with services.db.session() as session:
        association = session.get(Association, aid)
        assert association is not None
        share_audits.refresh(session, association, services.vault, now, _auditor(errors))
    service.run(services, aid, now, send=False)


def _states(services: Services) -> dict[str, str]:
    with services.db.session() as session:
        return {a.key: a.state for a in session.scalars(select(Alert))}


def test_a_failed_audit_keeps_the_findings_and_says_so(services: Services) -> None:
    aid = setup_association(services)
    service.run(services, aid, NOW, send=False)
    assert _states(services) == {}  # never audited: nothing known
    _audit_and_run(services, aid, NOW, [])
    assert _states(services) == {"risky_share:public_link_no_password:7": "open"}
    _audit_and_run(services, aid, NOW + timedelta(hours=5), ["cloud: 503"])
    assert _states(services) == {
        "risky_share:public_link_no_password:7": "open",  # kept, not resolved
        "share_audit_failing:audit": "open",
    }
    service.run(services, aid, NOW + timedelta(hours=6), send=False)  # rules read the cache
    assert _states(services)["risky_share:public_link_no_password:7"] == "open"
    with services.db.session() as session:
        cached = share_audits.cached(session, aid)
    assert cached.findings == (FINDING,) and cached.at == NOW and cached.error == "cloud: 503"


def test_a_fresh_claim_is_never_stolen_a_stale_one_is(services: Services) -> None:
    aid = setup_association(services)
    add_channel(services, aid, "mail", "email")
    reconcile(services, aid, [cond("report_due", "r1", "grants", title="CRF", due="x")], NOW)
    stale = outbox.stale_claim_after(services.settings)
    assert stale == timedelta(seconds=services.settings.job_timeout)
    with services.db.session() as session:
        [delivery_id] = session.scalars(select(Delivery.id))
    db = services.db
    assert outbox.claim(db, delivery_id, NOW, by="a", stale_after=stale)
    late = NOW + stale - timedelta(seconds=1)
    assert not outbox.claim(db, delivery_id, late, by="b", stale_after=stale)
    with services.db.session() as session:
        assert outbox.due(session, aid, late, stale) == []
        row = session.get(Delivery, delivery_id)
        assert row is not None and (row.claimed_by, row.claimed_at) == ("a", NOW)
    after = NOW + stale + timedelta(seconds=1)
    assert outbox.claim(db, delivery_id, after, by="b", stale_after=stale)
    with services.db.session() as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None and (row.claimed_by, row.claimed_at, row.attempts) == ("b", after, 2)


@pytest.mark.parametrize("kind", ["webhook", "talk"])
def test_channel_urls_are_checked_when_added_and_when_sending(
    services: Services, kind: str
) -> None:
    aid = setup_association(services)
    metadata: dict[str, object] = {"url": "http://169.254.169.254/latest/meta-data/"}
    private: dict[str, object] = {"url": "http://10.0.0.1/hook"}
    with services.db.session() as session:
        for config, allowed in ((metadata, True), (private, False)):
            with pytest.raises(QuorumError, match="refused"):
                service.add_channel(
                    session, services.vault, aid, "x", kind, config, allow_private=allowed
                )
        channel = service.add_channel(
            session, services.vault, aid, "x", kind, private, allow_private=True
        )
        assert channel.config == private
        channel.config = metadata  # changed behind Quorum's back, say by an old version
        session.flush()
        for config, allowed in ((metadata, True), (private, False)):
            channel.config = config
            with pytest.raises(TransportError, match="refused") as err:
                open_transport(session, channel, services.vault, allow_private=allowed)
            assert not err.value.transient  # permanent: the channel gets disabled
        channel.config = private
        open_transport(session, channel, services.vault, allow_private=True).close()


def test_a_refused_webhook_url_disables_the_channel_at_send_time(tmp_path: Path) -> None:
    overrides = {"data_dir": str(tmp_path / "q"), "allow_private_addresses": "false"}
    services = Services.from_settings(load_settings(environ={}, overrides=overrides))
    try:
        aid = setup_association(services)
        with services.db.session() as session:
            service.add_channel(
                session, services.vault, aid, "hook", "webhook", {"url": "http://10.0.0.1/"},
                allow_private=True,
            )  # fmt: skip
        reconcile(services, aid, [cond("report_due", "r1", "grants", title="CRF", due="x")], NOW)
        report = deliver(services, aid, NOW)
        assert report.sent == 0 and report.disabled == ["hook"]
        with services.db.session() as session:
            channel = session.scalars(select(Channel)).one()
            assert not channel.enabled and "10.0.0.1" in (channel.disabled_reason or "")
    finally:
        services.db.dispose()


def test_digest_period_turns_at_the_local_hour() -> None:
    paris = ZoneInfo("Europe/Paris")
    at = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)  # 07:30 in Paris, a Thursday
    assert period_start({}, at, paris) == datetime(2026, 11, 25, 8, tzinfo=paris)
    assert period_start({}, at + timedelta(hours=1), paris) == datetime(
        2026, 11, 26, 8, tzinfo=paris
    )
    weekly = {"period": "weekly", "weekday": 0, "hour": 9}
    assert period_start(weekly, at, paris) == datetime(2026, 11, 23, 9, tzinfo=paris)
    summer = datetime(2026, 3, 30, 6, 30, tzinfo=UTC)  # 08:30 CEST, the day after the change
    assert period_start({}, summer, paris) == datetime(2026, 3, 30, 8, tzinfo=paris)


def test_one_digest_per_day_at_the_local_hour(services: Services) -> None:
    from tests.alerts.helpers import Recorder, run_once

    aid = setup_association(services)
    add_channel(services, aid, "daily", "digest", period="daily", hour="8")
    recorder = Recorder()
    grant = cond("grant_deadline", "g1:d14", "grants", funder="Ville")
    run_once(services, aid, [grant], datetime(2026, 11, 26, 8, tzinfo=UTC), recorder)
    assert len(recorder.sent) == 1  # first digest: at the next cycle
    other = cond("report_due", "r1", "grants", title="CRF", due="2026-12-31")
    run_once(services, aid, [grant, other], datetime(2026, 11, 26, 20, tzinfo=UTC), recorder)
    run_once(services, aid, [grant, other], datetime(2026, 11, 27, 6, 59, tzinfo=UTC), recorder)
    assert len(recorder.sent) == 1  # 07:59 in Paris: not yet
    run_once(services, aid, [grant, other], datetime(2026, 11, 27, 7, 1, tzinfo=UTC), recorder)
    run_once(services, aid, [grant, other], datetime(2026, 11, 27, 9, tzinfo=UTC), recorder)
    assert len(recorder.sent) == 2


def test_calendar_todo_follows_the_alert_until_a_person_edits_it(
    services: Services, fresh_demo_server: DemoServer
) -> None:
    connect(services, fresh_demo_server.url)
    with services.db.session() as session:
        aid = session.scalars(select(Association.id)).one()
    _, calendar = calendar_href(fresh_demo_server)
    add_channel(services, aid, "todo", "calendar", calendar=calendar)

    def run(days: int, at: datetime) -> dict[str, object]:
        grant = cond("grant_deadline", "g1", "grants", funder="Ville", days_left=str(days),
                     deadline="2026-12-10", missing="budget")  # fmt: skip
        reconcile(services, aid, [grant], at)
        deliver(services, aid, at)
        with services.db.session() as session:
            row = session.scalars(select(Delivery).where(Delivery.kind == "opened#1")).one()
            return {"state": row.state, **row.ref}

    first = run(14, NOW)
    text = todo_text(fresh_demo_server, calendar, str(first["href"]))
    assert "14" in text and "DUE;VALUE=DATE:20261210" in text
    assert run(14, NOW + timedelta(hours=1))["etag"] == first["etag"]  # nothing changed: no PUT
    second = run(9, NOW + timedelta(days=5))
    assert second["state"] == "sent" and second["etag"] != first["etag"]
    assert "9 " in todo_text(fresh_demo_server, calendar, str(first["href"]))
    human = alice_calendars(fresh_demo_server.url)
    edited = todo_text(fresh_demo_server, calendar, str(first["href"])).replace(
        "CATEGORIES:Quorum", "CATEGORIES:Quorum\r\nCOMMENT:Chloé s'en occupe"
    )
    human.put(str(first["href"]), edited, if_match=str(second["etag"]))
    third = run(7, NOW + timedelta(days=7))
    assert third["state"] == "edited" and third.get("edited")
    after = todo_text(fresh_demo_server, calendar, str(first["href"]))
    assert "Chloé s'en occupe" in after and "9 " in after  # left as the person made it
    run(2, NOW + timedelta(days=12))  # and never written again
    assert todo_text(fresh_demo_server, calendar, str(first["href"])) == after
