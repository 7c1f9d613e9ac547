"""Lifecycle, routing and the outbox on SQLite and PostgreSQL: each alert is sent exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from sidecar.alerts import lifecycle, service
from sidecar.alerts.channels import TransportError
from sidecar.context import Services
from sidecar.storage.models import Alert, Channel, Delivery
from tests.alerts.helpers import Recorder, add_channel, cond, run_once, setup_association

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
GRANT = cond("grant_deadline", "g1:d14", "grants", funder="Ville de Lyon")
MINUTES = cond("minutes_overdue", "ca-1@2026-10-03", "minutes", body="CA", date="2026-10-03")
RSVP = cond("rsvp_missing", "ca-2@2026-12-05:denis@example.org", "rsvp", ("denis@example.org",))


def states(services: Services) -> dict[str, str]:
    with services.db.session() as session:
        return {a.key: a.state for a in session.scalars(select(Alert))}


def test_routing_by_role_and_member_and_each_alert_once_across_reruns(services: Services) -> None:
    aid = setup_association(services)
    add_channel(services, aid, "mail", "email")
    add_channel(services, aid, "hook", "webhook")
    recorder = Recorder()
    for _ in range(3):
        run_once(services, aid, [GRANT, MINUTES, RSVP], NOW, recorder)
    assert recorder.keys() == sorted(
        [
            ("mail", "bruno@example.org", "opened", GRANT.key),  # the treasurer
            ("mail", "clara@example.org", "opened", MINUTES.key),  # the secretary
            ("mail", "denis@example.org", "opened", RSVP.key),  # only the member concerned
            ("hook", "", "opened", GRANT.key),
            ("hook", "", "opened", MINUTES.key),  # the RSVP reminder stays personal
        ]
    )


def test_two_threads_at_once_send_each_alert_once(services: Services) -> None:
    aid = setup_association(services)
    add_channel(services, aid, "mail", "email")
    add_channel(services, aid, "hook", "webhook")
    recorder = Recorder()
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(2):
                run_once(services, aid, [GRANT, MINUTES, RSVP], NOW, recorder)
        except BaseException as err:  # reported below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(recorder.sent) == 5
    assert len(set(recorder.sent)) == 5


def test_resolves_by_itself_reopens_as_a_new_episode(services: Services) -> None:
    aid = setup_association(services)
    add_channel(services, aid, "mail", "email")
    add_channel(services, aid, "hook", "webhook")
    recorder = Recorder()
    run_once(services, aid, [MINUTES], NOW, recorder)
    run_once(services, aid, [], NOW + timedelta(hours=1), recorder)
    assert states(services) == {MINUTES.key: "resolved"}
    assert ("hook", "", "resolved", MINUTES.key) in recorder.sent
    assert ("mail", "clara@example.org", "resolved", MINUTES.key) not in recorder.sent
    run_once(services, aid, [MINUTES], NOW + timedelta(days=2), recorder)
    assert states(services) == {MINUTES.key: "open"}
    opened = [s for s in recorder.sent if s[0] == "mail" and s[2] == "opened"]
    assert len(opened) == 2  # told again, once, when the problem came back


def test_escalation_after_n_days_unless_acknowledged(services: Services) -> None:
    aid = setup_association(services)
    add_channel(services, aid, "mail", "email")
    recorder = Recorder()
    run_once(services, aid, [GRANT, MINUTES], NOW, recorder)
    with services.db.session() as session:
        alert = session.scalar(select(Alert).where(Alert.key == MINUTES.key))
        assert alert is not None
        service.act(session, alert, "acknowledge", "clara@example.org", NOW)
    run_once(services, aid, [GRANT, MINUTES], NOW + timedelta(days=4), recorder)
    escalated = [s for s in recorder.sent if s[2] == "escalated"]
    assert escalated == [("mail", "anne@example.org", "escalated", GRANT.key)]  # the president
    assert states(services)[MINUTES.key] == "acknowledged"


def test_snoozed_alerts_stay_quiet_until_the_snooze_ends(services: Services) -> None:
    aid = setup_association(services)
    recorder = Recorder()
    run_once(services, aid, [GRANT], NOW, recorder)
    with services.db.session() as session:
        alert = session.scalar(select(Alert))
        assert alert is not None
        service.act(session, alert, "snooze", "bruno@example.org", NOW)
    add_channel(services, aid, "mail", "email")  # a channel added while it sleeps
    run_once(services, aid, [GRANT], NOW + timedelta(days=1), recorder)
    assert recorder.sent == [] and states(services)[GRANT.key] == "snoozed"
    run_once(services, aid, [GRANT], NOW + timedelta(days=8), recorder)
    assert states(services)[GRANT.key] == "open"
    assert [s[1] for s in recorder.sent] == ["bruno@example.org"]


def test_transient_errors_are_retried_a_bounded_number_of_times(services: Services) -> None:
    aid = setup_association(services)
    add_channel(services, aid, "mail", "email")
    recorder = Recorder(fail={"mail": TransportError("timeout", transient=True)})
    moment = NOW
    for _ in range(8):
        run_once(services, aid, [GRANT], moment, recorder)
        moment += timedelta(days=1)
    with services.db.session() as session:
        delivery = session.scalar(select(Delivery))
        assert delivery is not None
        assert (delivery.state, delivery.attempts, delivery.error) == ("failed", 5, "timeout")
        channel = session.scalar(select(Channel))
        assert channel is not None and channel.enabled  # transient: the channel stays on


def test_a_permanent_error_disables_the_channel_and_says_why(services: Services) -> None:
    aid = setup_association(services)
    add_channel(services, aid, "mail", "email")
    recorder = Recorder(fail={"mail": TransportError("The mail server refused the login.")})
    report = run_once(services, aid, [GRANT, MINUTES], NOW, recorder)
    assert report.disabled == ["mail"] and report.failed == 1
    with services.db.session() as session:
        channel = session.scalar(select(Channel))
        assert channel is not None and not channel.enabled
        assert channel.disabled_reason == "The mail server refused the login."
        pending = session.scalars(select(Delivery.state)).all()
    assert sorted(pending) == ["failed", "pending"]  # the other waits for the channel to return


def test_digest_groups_per_person_and_sends_nothing_when_there_is_nothing(
    services: Services,
) -> None:
    aid = setup_association(services)
    add_channel(services, aid, "daily", "digest", period="daily")
    recorder = Recorder()
    second = cond("report_due", "financial_report:g0", "grants", title="CRF", due="2026-12-31")
    run_once(services, aid, [GRANT, second], NOW, recorder)
    assert recorder.sent == [("daily", "bruno@example.org", "digest", "digest")]
    run_once(services, aid, [GRANT, second], NOW + timedelta(hours=2), recorder)
    run_once(services, aid, [GRANT, second], NOW + timedelta(days=2), recorder)
    assert len(recorder.sent) == 1  # nothing new: no empty digest
    third = cond("report_overdue", "financial_report:g9", "grants", title="CRF 2", due="2026-11-01")
    run_once(services, aid, [GRANT, second, third], NOW + timedelta(days=2, hours=1), recorder)
    run_once(services, aid, [GRANT, second, third], NOW + timedelta(days=2, hours=2), recorder)
    assert len(recorder.sent) == 2


def test_rules_not_evaluated_this_time_do_not_resolve(services: Services) -> None:
    aid = setup_association(services)
    share = cond("risky_share", "public_link_no_password:7", "shares", title="x", path="/Compta")
    with services.db.session() as session:
        lifecycle.reconcile(session, aid, [share], NOW)
    with services.db.session() as session:
        lifecycle.reconcile(session, aid, [], NOW, unknown_rules=frozenset({"risky_share"}))
    assert states(services) == {share.key: "open"}
    with services.db.session() as session:
        lifecycle.reconcile(session, aid, [], NOW)
    assert states(services) == {share.key: "resolved"}
