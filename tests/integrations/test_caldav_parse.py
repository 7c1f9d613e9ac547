"""CalDAV client on recorded Nextcloud 29 answers.

``responses`` replays Nextcloud-only answers no local server gives: its calendar home with
inbox/outbox/trash-bin, the 207 "no changes" for bad prefixed tokens, unordered multiget answers
silently missing an href.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from integrations.caldav import (
    CalendarClient,
    check_token_progress,
    parse_calendar_objects,
    parse_calendars,
    parse_sync_delta,
    token_number,
)
from integrations.errors import InvalidSyncToken, PreconditionFailed
from integrations.http import HttpClient
from tests.fixtures_nc import BASE_URL, add_fixture, load_fixture, response_body

CONSEIL = "/remote.php/dav/calendars/alice/conseil/"


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def cal() -> CalendarClient:
    return CalendarClient(HttpClient(BASE_URL, "alice", "app-password"), "alice")


def test_calendar_home_keeps_only_calendars() -> None:
    calendars = {c.name: c for c in parse_calendars(response_body("47"), BASE_URL)}
    assert sorted(calendars) == ["conseil", "echeances", "personal"]
    conseil = calendars["conseil"]
    assert conseil.href == CONSEIL and conseil.display_name == "Conseil"
    assert conseil.sync_token == conseil.ctag == "http://sabre.io/ns/sync/5"
    assert conseil.color == "#0082C9" and conseil.components == ("VEVENT",)
    # CRs written as &#13; arrive as real CRs: the text is kept as the server sent it.
    assert conseil.timezone is not None and "TZID:Europe/Paris\r\n" in conseil.timezone
    echeances = calendars["echeances"]
    assert echeances.display_name == "Échéances" and echeances.timezone is None
    assert echeances.components == ("VEVENT", "VTODO")
    assert calendars["personal"].color is None


def test_initial_sync() -> None:
    delta = parse_sync_delta(response_body("48"), BASE_URL, CONSEIL, None)
    assert delta.token == "http://sabre.io/ns/sync/5" and not delta.removed
    assert len(delta.changed) == 4
    first = delta.changed[0]
    assert first.href == CONSEIL + "ag-ordinaire-2027.ics"
    assert first.etag == '"308352c43097d1e90a532b955d4f9742"' and first.data is None


def test_delta_sync_reports_the_404_as_removed() -> None:
    delta = parse_sync_delta(response_body("52"), BASE_URL, CONSEIL, "http://sabre.io/ns/sync/5")
    assert delta.token == "http://sabre.io/ns/sync/8"
    assert delta.removed == (CONSEIL + "point-tresorerie-2026-12.ics",)
    assert [o.etag for o in delta.changed] == [
        '"bf266627abdb95e1747f4643f4d90163"',
        '"2d0f88a927fb7fef34d5e0abb2c0cf70"',
    ]
    assert not delta.truncated


@pytest.mark.parametrize("name", ["54", "55"])
def test_prefixed_bad_tokens_are_detected(name: str) -> None:
    sent = load_fixture(name)["request"]["body"].split("<d:sync-token>")[1].split("<")[0]
    with pytest.raises(InvalidSyncToken):
        parse_sync_delta(response_body(name), BASE_URL, CONSEIL, sent)


def test_token_number() -> None:
    assert token_number("http://sabre.io/ns/sync/8") == 8
    assert token_number("http://sabre.io/ns/sync/garbage") is None
    assert token_number("garbage-token") is None
    check_token_progress("http://radicale.org/ns/sync/abc", "http://radicale.org/ns/sync/def")
    check_token_progress("http://sabre.io/ns/sync/5", "http://sabre.io/ns/sync/5")


def test_truncated_sync_507() -> None:
    body = (
        b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response>'
        b"<d:href>/remote.php/dav/calendars/alice/conseil/</d:href>"
        b"<d:status>HTTP/1.1 507 Insufficient Storage</d:status></d:response>"
        b"<d:sync-token>http://sabre.io/ns/sync/6</d:sync-token></d:multistatus>"
    )
    delta = parse_sync_delta(body, BASE_URL, CONSEIL, "http://sabre.io/ns/sync/5")
    assert delta.truncated and delta.token == "http://sabre.io/ns/sync/6" and not delta.changed


def test_invalid_token_403(rsps: responses.RequestsMock, cal: CalendarClient) -> None:
    add_fixture(rsps, "53")
    with pytest.raises(InvalidSyncToken):
        cal.sync_collection(CONSEIL, "garbage-token")


def test_sync_fetches_missing_data_with_multiget(
    rsps: responses.RequestsMock, cal: CalendarClient
) -> None:
    add_fixture(rsps, "52")  # recorded without calendar-data, as some servers answer
    add_fixture(rsps, "56")
    delta = cal.sync_collection(CONSEIL, "http://sabre.io/ns/sync/5")
    assert b"<c:calendar-data/>" in rsps.calls[0].request.body  # type: ignore[operator]
    assert all(o.data and o.data.startswith("BEGIN:VCALENDAR") for o in delta.changed)
    assert len(delta.changed) == 2 and len(delta.removed) == 1


def test_multiget_is_unordered_and_skips_missing() -> None:
    objects = parse_calendar_objects(response_body("57"), BASE_URL, CONSEIL)
    hrefs = {o.href for o in objects}
    assert CONSEIL + "point-tresorerie-2026-12.ics" not in hrefs
    assert hrefs == {CONSEIL + "ag-ordinaire-2027.ics", CONSEIL + "ca-mensuel-2026.ics"}


def test_calendar_data_is_returned_untouched() -> None:
    objects = {o.href: o for o in parse_calendar_objects(response_body("56"), BASE_URL, CONSEIL)}
    ag = objects[CONSEIL + "ag-ordinaire-2027.ics"].data
    assert ag is not None and "\r" not in ag and "SUMMARY:Assemblée générale ordinaire 2027\n" in ag
    expanded = parse_calendar_objects(response_body("59"), BASE_URL, CONSEIL)
    assert any(o.data and "\r\n" in o.data for o in expanded)  # &#13; in the expanded answer


def test_multiget_batches(rsps: responses.RequestsMock, cal: CalendarClient) -> None:
    add_fixture(rsps, "56")
    add_fixture(rsps, "57")
    hrefs = [CONSEIL + n for n in ("ca-mensuel-2026.ics", "ag-ordinaire-2027.ics", "x.ics")]
    found = cal.multiget(CONSEIL, hrefs, batch=2)
    assert len(rsps.calls) == 2 and len(found) == 5


def test_discover_home(rsps: responses.RequestsMock, cal: CalendarClient) -> None:
    add_fixture(rsps, "45")
    add_fixture(rsps, "46")
    assert cal.discover_home() == "/remote.php/dav/calendars/alice/"


def test_discover_home_falls_back_on_404(rsps: responses.RequestsMock, cal: CalendarClient) -> None:
    rsps.add("PROPFIND", BASE_URL + "/remote.php/dav/", status=404)
    assert cal.discover_home() == "/remote.php/dav/calendars/alice/"


def test_list_calendars(rsps: responses.RequestsMock, cal: CalendarClient) -> None:
    add_fixture(rsps, "47")
    assert len(cal.list_calendars("/remote.php/dav/calendars/alice/")) == 3


def test_put_may_return_no_etag(rsps: responses.RequestsMock, cal: CalendarClient) -> None:
    fx = add_fixture(rsps, "05")
    href = CONSEIL + "ca-mensuel-2026.ics"
    assert cal.put(href, fx["request"]["body"], if_none_match=True) is None
    add_fixture(rsps, "49")
    etag = cal.put(
        CONSEIL + "ag-ordinaire-2027.ics", "x", if_match='"308352c43097d1e90a532b955d4f9742"'
    )
    assert etag == '"bf266627abdb95e1747f4643f4d90163"'


def test_put_guards(rsps: responses.RequestsMock, cal: CalendarClient) -> None:
    with pytest.raises(ValueError):
        cal.put(CONSEIL + "a.ics", "x")
    with pytest.raises(ValueError):
        cal.put(CONSEIL + "a.ics", "x", if_match='"a"', if_none_match=True)
    add_fixture(rsps, "65")
    with pytest.raises(PreconditionFailed) as caught:
        cal.put(
            CONSEIL + "ag-ordinaire-2027.ics", "x", if_match='"308352c43097d1e90a532b955d4f9742"'
        )
    assert caught.value.current_etag == '"bf266627abdb95e1747f4643f4d90163"'


def test_delete_and_list_etags(rsps: responses.RequestsMock, cal: CalendarClient) -> None:
    add_fixture(rsps, "50")
    cal.delete(
        CONSEIL + "point-tresorerie-2026-12.ics", if_match='"44eca332334fac0846a2a2170564c9a7"'
    )
    rsps.add("PROPFIND", BASE_URL + CONSEIL, status=207, body=response_body("48"))
    assert len(cal.list_etags(CONSEIL)) == 4


@pytest.mark.parametrize(("name", "count"), [("56", 3), ("57", 2), ("58", 3), ("59", 3), ("60", 1)])
def test_report_fixtures_parse(name: str, count: int) -> None:
    collection = "/remote.php/dav/calendars/alice/echeances/" if name == "60" else CONSEIL
    objects = parse_calendar_objects(response_body(name), BASE_URL, collection)
    assert len(objects) >= count
    for obj in objects:
        assert obj.etag and obj.etag.startswith('"') and obj.data
        assert obj.data.startswith("BEGIN:VCALENDAR")
    if name == "60":
        assert "BEGIN:VTODO" in (objects[0].data or "")


def test_sync_delta_keeps_failed_and_unnamed_entries_apart() -> None:
    """Issue 13 items 3 and 5: a 500 entry is ``failed`` (never silently dropped) and a response
    whose href is in a foreign namespace is counted as unreadable instead of failing the answer."""
    from integrations.caldav import parse_sync_delta

    body = (
        b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:x="urn:other">'
        b"<d:response><d:href>/dav/cal/ok.ics</d:href><d:propstat><d:prop>"
        b'<d:getetag>"1"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status>'
        b"</d:propstat></d:response>"
        b"<d:response><d:href>/dav/cal/broken.ics</d:href>"
        b"<d:status>HTTP/1.1 500 Internal Server Error</d:status></d:response>"
        b"<d:response><d:href>/dav/cal/gone.ics</d:href>"
        b"<d:status>HTTP/1.1 404 Not Found</d:status></d:response>"
        b"<d:response><x:href>/dav/cal/foreign.ics</x:href>"
        b"<d:status>HTTP/1.1 200 OK</d:status></d:response>"
        b"<d:response><d:href>https://elsewhere.example/dav/cal/x.ics</d:href>"
        b"<d:status>HTTP/1.1 200 OK</d:status></d:response>"
        b"<d:sync-token>t2</d:sync-token></d:multistatus>"
    )
    delta = parse_sync_delta(body, "http://dav.example/", "/dav/cal/", None)
    assert [o.href for o in delta.changed] == ["/dav/cal/ok.ics"]
    assert delta.failed == ("/dav/cal/broken.ics",)
    assert delta.removed == ("/dav/cal/gone.ics",)
    assert delta.unreadable == 2
