"""The calendar channel against the demo server (Radicale behind Nextcloud's URL layout):
a VTODO created with If-None-Match, completed with If-Match, and a 412 when a person edited it."""

from __future__ import annotations

from sidecar.alerts import links, messages
from sidecar.alerts.channels import EditedMeanwhile, Message
from sidecar.alerts.channels.calendar import CalendarTransport
from sidecar.demo import DemoServer
from tests.sync.helpers import alice_calendars

PARAMS = {"body": "CA", "date": "2026-12-05", "folder": "CA/2026-12-05/"}


def message(kind: str, key: str, data: dict[str, object] | None = None) -> Message:
    return messages.render(
        key=key,
        rule="agenda_missing",
        severity="high",
        kind=kind,
        params=PARAMS,
        language="fr",
        links=links.links("https://quorum.example", "s", 1, "x"),
        data={"episode": 1, **(data or {})},
    )


def calendar_href(server: DemoServer) -> tuple[CalendarTransport, str]:
    cals = alice_calendars(server.url)
    found = [c for c in cals.list_calendars(cals.discover_home()) if "VTODO" in c.components]
    href = next(c.href for c in found if c.name == "echeances")
    return CalendarTransport(cals, href), href


def todo_text(server: DemoServer, calendar: str, href: str) -> str:
    cals = alice_calendars(server.url)
    [obj] = cals.multiget(calendar, [href])
    assert obj.data is not None
    return obj.data


def test_todo_is_created_once_and_completed_when_the_alert_resolves(
    fresh_demo_server: DemoServer,
) -> None:
    transport, calendar = calendar_href(fresh_demo_server)
    opened = transport.send(message("opened", "agenda_missing:a"), None)
    assert opened["etag"] and opened["href"].startswith(calendar)
    text = todo_text(fresh_demo_server, calendar, opened["href"])
    assert "BEGIN:VTODO" in text and "STATUS:NEEDS-ACTION" in text
    assert "Ordre du jour manquant" in text
    again = transport.send(message("opened", "agenda_missing:a"), None)
    assert again["existed"] is True  # If-None-Match: * refused a second copy
    done = transport.send(message("resolved", "agenda_missing:a", {"opened": opened}), None)
    assert done["completed"] is True
    assert "STATUS:COMPLETED" in todo_text(fresh_demo_server, calendar, opened["href"])


def test_a_todo_edited_by_a_person_is_never_overwritten(fresh_demo_server: DemoServer) -> None:
    transport, calendar = calendar_href(fresh_demo_server)
    opened = transport.send(message("opened", "agenda_missing:b"), None)
    human = alice_calendars(fresh_demo_server.url)
    edited = todo_text(fresh_demo_server, calendar, opened["href"]).replace(
        "PRIORITY:1", "PRIORITY:1\r\nCOMMENT:Chloé s'en occupe"
    )
    human.put(opened["href"], edited, if_match=opened["etag"])
    try:
        transport.send(message("resolved", "agenda_missing:b", {"opened": opened}), None)
    except EditedMeanwhile as err:
        assert "edited" in err.message and err.recipient_only
    else:
        raise AssertionError("a 412 should have stopped the write")
    after = todo_text(fresh_demo_server, calendar, opened["href"])
    assert "Chloé s'en occupe" in after and "STATUS:NEEDS-ACTION" in after
