"""The hostile corpus (tests/hostile/, see its README) through the real code paths.

Each case asserts its outcome: a clear error for what cannot be read, nothing else lost, the rest
of the work done, and user text escaped wherever Quorum writes it (pages, e-mail headers).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from integrations.errors import IntegrationError, ProtocolError
from integrations.webdav import parse_file_entries
from integrations.xml import parse_xml
from sidecar.context import Services
from sidecar.demo import DemoServer
from sidecar.storage.models import CalendarObjectRecord, Occurrence
from sidecar.sync.expand import ExpansionError, parse_object, zone_named
from sidecar.web import create_app
from tests.access_helpers import signed_in_client
from tests.sync.helpers import alice_calendars, connect, sync

CORPUS = Path(__file__).resolve().parent / "hostile"
WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
BASE = "http://nextcloud.example"
FILES_ROOT = "/remote.php/dav/files/alice/"


def ics(name: str, *, start: datetime | None = None) -> str:
    """A corpus calendar object, with its placeholders filled."""
    start = start or datetime(2027, 1, 15, 10, tzinfo=UTC)
    text = (CORPUS / "ics" / name).read_text(encoding="utf-8")
    text = text.replace("@@START@@", f"{start:%Y%m%dT%H%M%SZ}")
    text = text.replace("@@END@@", f"{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}")
    return text.replace("@@FILL@@", "x" * 5_000_000)  # a 5 MB DESCRIPTION


# --- XML: every hostile answer is a ProtocolError, never an empty listing ---------------------

REFUSED_XML = {
    "billion_laughs.xml": "DTDForbidden",
    "external_entity.xml": "DTDForbidden",
    "external_dtd.xml": "DTDForbidden",
    "truncated.xml": "unclosed token",
    "maintenance.html": "not well-formed",
    "not_xml.json": "not well-formed",
    "empty.xml": "no element found",
}


@pytest.mark.parametrize(("name", "reason"), sorted(REFUSED_XML.items()))
def test_hostile_xml_is_a_clear_protocol_error(name: str, reason: str) -> None:
    body = (CORPUS / "xml" / name).read_bytes()
    with pytest.raises(ProtocolError, match=reason):
        parse_xml(body)
    with pytest.raises(ProtocolError):  # the listing parser never turns it into "empty folder"
        parse_file_entries(body, FILES_ROOT, BASE)


def test_deep_nesting_is_a_parse_error_not_a_recursion_error() -> None:
    body = b'<d:multistatus xmlns:d="DAV:">' + b"<a>" * 10_000 + b"</a>" * 10_000
    with pytest.raises(ProtocolError, match="nested more than"):
        parse_xml(body + b"</d:multistatus>")


def test_hostile_hrefs_are_ignored_and_the_rest_is_kept() -> None:
    entries = parse_file_entries((CORPUS / "xml" / "hrefs.xml").read_bytes(), FILES_ROOT, BASE)
    paths = sorted(e.path for e in entries)
    assert paths == [
        "/",
        "/<script>alert(1)</script>{{7*7}}.pdf",  # a legal name: kept, escaped when shown
        "/Statuts.pdf",
    ]


# --- calendar objects: parse_object ---------------------------------------------------------

REFUSED_ICS = {
    "freq_secondly.ics": "FREQ=SECONDLY is too fine-grained",
    "freq_minutely.ics": "FREQ=MINUTELY is too fine-grained",
    "huge_description.ics": "larger than 1000 kB",
    "no_uid.ics": "without UID",
    "not_ical.ics": "not a valid iCalendar object",
    "interval_zero.ics": "INTERVAL must be a positive number",  # dateutil would loop forever
}


@pytest.mark.parametrize(("name", "reason"), sorted(REFUSED_ICS.items()))
def test_hostile_calendar_object_is_refused_with_its_reason(name: str, reason: str) -> None:
    started = datetime.now(UTC)
    with pytest.raises(ExpansionError, match=reason):
        parse_object(ics(name), window=WINDOW)
    assert datetime.now(UTC) - started < timedelta(seconds=5), "bounded, never hangs"


SKIPPED_SERIES = {
    "feb_30.ics": "broken property 'DTSTART'",
    "rdate_feb_30.ics": "broken property 'RDATE'",
    "bad_rrule.ics": "RRULE",
}


@pytest.mark.parametrize(("name", "reason"), sorted(SKIPPED_SERIES.items()))
def test_a_skipped_series_is_recorded_as_a_warning(name: str, reason: str) -> None:
    parsed = parse_object(ics(name), window=WINDOW)
    assert parsed.uid.startswith("hostile-") and parsed.occurrences == ()
    (warning,) = parsed.warnings
    assert "skipped" in warning and reason in warning and "20270230" not in reason


def test_unknown_tzid_is_read_in_the_association_time_zone_and_says_so() -> None:
    parsed = parse_object(ics("bad_tzid.ics"), window=WINDOW, default_tz="Europe/Paris")
    (only,) = parsed.occurrences
    assert only.start == datetime(2027, 1, 15, 9, tzinfo=UTC)  # 10:00 in Paris
    assert parsed.warnings == ("unknown time zone 'Mars/Olympus_Mons': times read in Europe/Paris",)


def test_an_outlook_zone_name_is_mapped_without_a_warning() -> None:
    parsed = parse_object(ics("windows_tzid.ics"), window=WINDOW, default_tz="Europe/Paris")
    (only,) = parsed.occurrences
    assert only.start == datetime(2027, 7, 15, 9, tzinfo=UTC)  # 10:00 BST in London
    assert parsed.warnings == ()


def test_zone_named_knows_iana_and_outlook_names() -> None:
    assert str(zone_named("Romance Standard Time")) == "Europe/Paris"
    assert str(zone_named("W. Europe Standard Time")) == "Europe/Berlin"
    assert str(zone_named("GMT Standard Time")) == "Europe/London"
    assert str(zone_named("America/New_York")) == "America/New_York"
    assert zone_named("Mars/Olympus_Mons") is None and zone_named("../../etc/passwd") is None


def test_injection_strings_are_kept_verbatim_as_data() -> None:
    (only,) = parse_object(ics("injection_summary.ics"), window=WINDOW).occurrences
    assert "<script>" in only.summary and "{{7*7}}" in only.summary and "\n" in only.summary


# --- a sync with hostile objects in a real calendar ----------------------------------------

HOSTILE_IN_SYNC = (
    "freq_secondly.ics",
    "huge_description.ics",
    "injection_summary.ics",
    "bad_tzid.ics",  # (Radicale refuses to store a 30 February or a broken RRULE)
)


def test_sync_records_bad_objects_and_mirrors_the_rest(
    services: Services, fresh_demo_server: DemoServer
) -> None:
    calendars = alice_calendars(fresh_demo_server.url)
    home = calendars.discover_home()
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=20)
    for name in HOSTILE_IN_SYNC:
        calendars.put(f"{home}conseil/{name}", ics(name, start=soon), if_none_match=True)
    report = sync(services, connect(services, fresh_demo_server.url))
    assert report.outcome in ("ok", "partial"), report
    with services.db.session() as session:
        records = {
            r.href.rsplit("/", 1)[-1]: r for r in session.scalars(select(CalendarObjectRecord))
        }
        summaries = set(session.scalars(select(Occurrence.summary)))
    assert "FREQ=SECONDLY" in (records["freq_secondly.ics"].error or "")
    assert "larger than" in (records["huge_description.ics"].error or "")
    assert len(records["huge_description.ics"].ics) < 1_000_000, "the 5 MB body is not stored"
    assert records["injection_summary.ics"].error is None
    assert "unknown time zone 'Mars/Olympus_Mons'" in (records["bad_tzid.ics"].error or "")
    assert any("Conseil d'administration" in s for s in summaries), "the rest still syncs"
    _hostile_summary_is_escaped_on_pages(services)


def _hostile_summary_is_escaped_on_pages(services: Services) -> None:
    app = create_app({"TESTING": True}, services=services)
    admin = signed_in_client(app, "admin")
    for path in ("/", "/meetings"):
        page = admin.get(path).get_data(as_text=True)
        assert "&lt;script&gt;alert(" in page, path
        assert "<script>alert(" not in page and "49" not in page.split("{{7*7}}")[0][-3:]
    meetings = admin.get("/api/v1/meetings").get_json()["meetings"]
    hostile = next(m for m in meetings if "{{7*7}}" in m["title"])
    page = admin.get(f"/meetings/{hostile['id']}").get_data(as_text=True)
    assert "&lt;script&gt;" in page and "<script>alert(" not in page
    assert "{{7*7}}" in page, "template syntax in data is shown, never evaluated"


# --- injection strings where Quorum writes text out ----------------------------------------


def strings() -> list[str]:
    return (CORPUS / "strings.txt").read_text(encoding="utf-8").splitlines()


def test_email_subjects_never_carry_a_header_injection() -> None:
    base = pytest.importorskip("sidecar.alerts.channels.base")
    for text in [*strings(), "Réunion\r\nBcc: victim@example.org", "x\rBcc: y", "a\x00b"]:
        line = base.one_line(text)
        assert "\r" not in line and "\n" not in line and "\x00" not in line


def test_a_connect_error_message_never_echoes_credentials() -> None:
    from integrations.http import HttpClient

    client = HttpClient("http://127.0.0.1:9/", "alice", "s3cret-app-password", deadline=2)
    with pytest.raises(IntegrationError) as caught:
        client.request("GET", "http://alice:s3cret-app-password@127.0.0.1:9/x")
    assert "s3cret-app-password" not in caught.value.message
    client.close()
