"""Helpers of the security tests: plant hostile events in the demo Nextcloud, sync, find them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests

from sidecar.cli.demo import connect_demo_source
from sidecar.context import Services, resolve_association
from sidecar.demo import DEMO_LOGIN, DEMO_USERS
from sidecar.demo.server import DemoServer
from sidecar.services import meetings as meetings_service
from sidecar.sync.runner import run_source

JAVASCRIPT_LINK = "javascript:document.title='pwned';void(0)"


def plant_meeting(
    server: DemoServer, uid: str, summary: str, extra: list[str], *, calendar: str = "conseil"
) -> None:
    """PUT a CA meeting in ten days with ``extra`` iCalendar lines, as a calendar user would."""
    start = datetime.now(UTC).replace(microsecond=0, second=0, minute=0) + timedelta(days=10)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//tests//security//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
        f"DTEND:{start + timedelta(hours=2):%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{summary}",
        "CATEGORIES:Conseil d'administration",
        *extra,
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    answer = requests.put(
        f"{server.url}/remote.php/dav/calendars/{DEMO_LOGIN}/{calendar}/{uid}.ics",
        data=("\r\n".join(lines) + "\r\n").encode(),
        headers={"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"},
        auth=(DEMO_LOGIN, DEMO_USERS[DEMO_LOGIN]),
        timeout=10,
    )
    assert answer.status_code == 201, answer.text


def sync_demo(services: Services, server: DemoServer) -> None:
    """Connect the demo source (once) and run a sync."""
    run_source(services.db, services.vault, connect_demo_source(services, server.url))


def meeting_id(services: Services, title: str) -> int:
    """The occurrence id of the synced meeting called ``title``."""
    with services.db.session() as session:
        association = resolve_association(session, None)
        found = meetings_service.list_meetings(session, association.id, datetime.now(UTC))
        ids = [m.id for m in found if m.title == title]
    assert ids, f"no meeting {title!r} after the sync"
    return ids[0]
