"""Event-driven alerts cycles: an idle association costs nothing on a tick; a change or a
crossed due time brings its cycle."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select

from sidecar.alerts import cycle
from sidecar.context import Services, resolve_association
from sidecar.scheduler import Scheduler
from sidecar.storage.models import Association, Body
from tests.alerts.helpers import setup_association

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # 10:00 in Paris


def _due_at(services: Services, association_id: int) -> datetime | None:
    with services.db.session() as session:
        association = session.get(Association, association_id)
        assert association is not None
        return association.alerts_due_at


def _statements(services: Services) -> list[str]:
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(services.db.engine, "before_cursor_execute", count)
    return seen


def test_an_idle_association_has_no_cycle_on_ticks(services: Services) -> None:
    aid = setup_association(services)
    scheduler = Scheduler(services, holder="a")
    scheduler.tick(NOW)  # first cycle: never run before
    assert _due_at(services, aid) == NOW + timedelta(seconds=services.settings.alerts_interval)
    for seconds in (5, 10, 60, 299):
        assert cycle.run_cycles(services, NOW + timedelta(seconds=seconds)) == []
    assert [r.association_id for r in cycle.run_cycles(services, NOW + timedelta(seconds=300))] == [
        aid
    ]


def test_a_settings_change_brings_the_cycle_at_once(services: Services) -> None:
    aid = setup_association(services)
    cycle.run_cycles(services, NOW)
    assert cycle.run_cycles(services, NOW + timedelta(seconds=5)) == []
    with services.db.session() as session:
        body = session.scalars(select(Body)).one()
        body.notice_days = 21  # the statuts changed: the notice rule must be re-evaluated
    assert _due_at(services, aid) is None
    assert [r.association_id for r in cycle.run_cycles(services, NOW + timedelta(seconds=6))] == [
        aid
    ]
    # The cycle's own writes (alerts, deliveries) are not changes: no cycle after it.
    assert cycle.run_cycles(services, NOW + timedelta(seconds=7)) == []
    with services.db.session() as session:  # the association's own settings count too
        association = resolve_association(session, None)
        association.settings = {**association.settings, "alerts": {"escalate_after_days": 3}}
    assert len(cycle.run_cycles(services, NOW + timedelta(seconds=8))) == 1


def test_a_sync_that_changed_something_brings_the_cycle(services: Services) -> None:
    aid = setup_association(services)
    cycle.run_cycles(services, NOW)
    cycle.mark_changed(services.db, [aid])
    assert len(cycle.run_cycles(services, NOW + timedelta(seconds=1))) == 1


def test_local_midnight_is_a_due_time(services: Services) -> None:
    """Day-based rules turn at midnight in the association's zone: the cycle is due then even
    when the interval is longer."""
    services.settings = replace(services.settings, alerts_interval=3600)  # a federation's
    aid = setup_association(services)
    late = datetime(2026, 11, 26, 22, 50, tzinfo=UTC)  # 23:50 in Paris
    cycle.run_cycles(services, late)
    assert _due_at(services, aid) == datetime(2026, 11, 26, 23, 0, tzinfo=UTC)  # 00:00 Paris


def test_an_idle_tick_costs_the_same_for_one_or_forty_associations(services: Services) -> None:
    """The tick asks the database which cycles are due; it does no per-association work."""
    setup_association(services)
    with services.db.session() as session:
        for n in range(39):
            session.add(Association(slug=f"a{n}", name=f"A{n}", settings={}))
    scheduler = Scheduler(services, holder="a")
    scheduler.tick(NOW)  # every association's first cycle
    seen = _statements(services)
    scheduler.tick(NOW + timedelta(seconds=5))
    assert len(seen) < 12, seen  # lease renewal, due jobs, due cycles: not 40 of anything


def test_a_disabled_association_has_no_cycle(services: Services) -> None:
    aid = setup_association(services)
    with services.db.session() as session:
        association = session.get(Association, aid)
        assert association is not None
        association.disabled_at = NOW
    assert cycle.run_cycles(services, NOW) == []
