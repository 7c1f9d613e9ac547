"""Decisions become tasks, against the demo Nextcloud: three actions written three ways in a real
ODT PV become three VTODOs (owner, due date, link to the PV) in the deadlines calendar; completing
one in the calendar shows it done after the next sync; running again creates no duplicate."""

from __future__ import annotations

from datetime import UTC, date, datetime

from icalendar import Calendar

from sidecar.context import Services
from sidecar.demo import DemoServer
from sidecar.demo.seed import BY_UID, CA_FOLDER
from sidecar.services import actions, minutes_cycle
from sidecar.services import meetings as meetings_service
from sidecar.web import create_app
from tests.access_helpers import signed_in_client
from tests.minutes.documents import actions_pv, odt, pdf
from tests.minutes.test_register import association_id, past_meeting_day
from tests.sync.helpers import alice_calendars, alice_files, sync


def _first_on_or_after(day: date, month: int, dom: int) -> date:
    found = date(day.year, month, dom)
    return found if found >= day else date(day.year + 1, month, dom)


def _quorum_todos(url: str, calendar: str) -> dict[str, tuple[str, Calendar]]:
    client = alice_calendars(url)
    hrefs = [o.href for o in client.list_etags(calendar) if "quorum-action-" in o.href]
    found = {}
    for obj in client.multiget(calendar, hrefs) if hrefs else []:
        assert obj.data is not None
        found[obj.href] = (obj.etag or "", Calendar.from_ical(obj.data))
    return found


def test_three_actions_become_three_tasks_read_back_and_never_duplicated(
    fresh_demo_server: DemoServer, fresh_synced: tuple[Services, int]
) -> None:
    services, source_id = fresh_synced
    day = past_meeting_day(fresh_demo_server)
    lines, table = actions_pv(day)
    path = f"{CA_FOLDER}/{day.isoformat()}/PV CA actions.odt"
    alice_files(fresh_demo_server.url).put(path, odt(lines, table), if_none_match=True)
    signed = f"{CA_FOLDER}/{day.isoformat()}/PV CA actions signé.pdf"  # the same two actions
    alice_files(fresh_demo_server.url).put(signed, pdf(lines), if_none_match=True)
    sync(services, source_id)
    aid = association_id(services)

    first = minutes_cycle.run(services, aid, datetime.now(UTC))
    assert (first.tasks.created, first.tasks.existing, first.tasks.failed) == (3, 2, 0)

    with services.db.session() as session:
        calendar = actions.tasks_calendar(session, aid)
        assert calendar is not None
        href = calendar.remote_path
    todos = _quorum_todos(fresh_demo_server.url, href)
    assert len(todos) == 3
    seen = {}
    for _etag, cal in todos.values():
        [todo] = cal.walk("VTODO")
        owner = str(todo["ATTENDEE"]).removeprefix("mailto:")
        seen[owner] = (todo.decoded("due"), str(todo["SUMMARY"]), str(todo["URL"]))
    assert set(seen) == {BY_UID[u].email for u in ("alice", "bernard", "helene")}
    assert seen[BY_UID["bernard"].email][0] == _first_on_or_after(day, 1, 15)
    assert seen[BY_UID["helene"].email][0] == _first_on_or_after(day, 2, 28)
    assert seen[BY_UID["alice"].email][0] == date(day.year + 1, 3, 31)
    assert seen[BY_UID["bernard"].email][1] == "Bernard — relancer la mairie"
    assert all("/index.php/f/" in url for _due, _summary, url in seen.values())

    # running again (the PV unchanged, or re-read after an edit) creates nothing new
    again = minutes_cycle.run(services, aid, datetime.now(UTC))
    assert again.tasks.created == 0
    alice_files(fresh_demo_server.url).put(
        path,
        odt([*lines, "Note : relu en séance"], table),
        if_match=alice_files(fresh_demo_server.url).propfind(path, "0")[0].etag,
    )
    sync(services, source_id)
    edited = minutes_cycle.run(services, aid, datetime.now(UTC))
    assert (edited.scan.read, edited.tasks.created, edited.tasks.existing) == (1, 0, 3)
    assert len(_quorum_todos(fresh_demo_server.url, href)) == 3

    # Bernard ticks his task in Nextcloud: done after the next sync
    bernard_href, (etag, cal) = next(
        (h, v) for h, v in todos.items() if "Bernard" in str(v[1].walk("VTODO")[0]["SUMMARY"])
    )
    todo = cal.walk("VTODO")[0]
    todo["STATUS"] = "COMPLETED"
    todo.add("completed", datetime.now(UTC))
    alice_calendars(fresh_demo_server.url).put(bernard_href, cal.to_ical().decode(), if_match=etag)
    with services.db.session() as session:
        assert {a.status for a in actions.list_actions(session, aid)} == {"NEEDS-ACTION"}
    sync(services, source_id)
    with services.db.session() as session:
        status = {a.owner: a.status for a in actions.list_actions(session, aid)}
    assert status == {"Bernard": "COMPLETED", "Hélène": "NEEDS-ACTION", "Alice": "NEEDS-ACTION"}

    # the next board meeting shows the two actions still open from this one
    with services.db.session() as session:
        board = meetings_service.list_meetings(session, aid, datetime.now(UTC), body="CA")
        upcoming = next(m for m in board if m.day > day and not m.cancelled)
        previous, still_open = actions.open_from_previous(session, aid, upcoming)
    assert previous == day.isoformat()
    assert sorted(a.owner for a in still_open) == ["Alice", "Hélène"]
    officer = signed_in_client(create_app({"TESTING": True}, services=services), "officer")
    page = officer.get(f"/meetings/{upcoming.id}").get_data(as_text=True)
    assert "Actions de la réunion précédente" in page and "commander les graines" in page
    assert "relancer la mairie" not in page  # done
    api = officer.get(f"/api/v1/actions?meeting={upcoming.id}").get_json()
    assert api["previous_meeting"] == day.isoformat()
    assert sorted(a["owner"] for a in api["open"]) == ["Alice", "Hélène"]
