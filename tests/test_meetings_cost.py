"""What the meetings lists cost in SQL (issue 14): a bounded number of statements whatever the
number of meetings shown, and no occurrence or file row read, since what a list shows of each
meeting is stored in the read model; and what they show is still the full projection's.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask.testing import FlaskClient

from sidecar.context import Services, resolve_association
from sidecar.services import meetings as service
from sidecar.services import roster
from sidecar.web import create_app
from sidecar.web.api.meetings import meeting_json
from tests.access_helpers import signed_in_client
from tests.sql_statements import statements

#: Columns only a read of the mirror's occurrences or files selects.
MIRROR_ROWS = re.compile(r"\b(occurrences\.details|files\.path)\b")
LISTS = (
    "/meetings",
    "/meetings?when=past",
    "/api/v1/meetings",
    "/api/v1/meetings?from=2000-01-01&to=2100-01-01",
)
#: The session and access checks of any page, the read models' freshness check, the page's
#: meetings and their manual proxies, the bodies: the lists stay within this (18 before).
MOST_STATEMENTS = 12
#: What the read models depend on: read together, in one statement, when a process must tell
#: whether they are fresh; not at all by a warm one (tests/test_read_model_versions.py).
INPUTS = re.compile(r"\b(read_model_states|meeting_overrides|grant_piece_ticks|collections)\b")


def _client(services: Services) -> FlaskClient:
    client = signed_in_client(create_app({"TESTING": True}, services=services))
    for path in ("/", *LISTS):  # the first read may build the read models
        assert client.get(path).status_code == 200
    return client


def test_lists_read_no_occurrence_or_file_row(synced: Services) -> None:
    client = _client(synced)
    for path in LISTS:
        with statements(synced) as seen:
            answer = client.get(path)
        assert answer.status_code == 200
        assert [s for s in seen if MIRROR_ROWS.search(s)] == [], path
        assert len(seen) <= MOST_STATEMENTS, (path, seen)
        assert [s for s in seen if INPUTS.search(s)] == [], path


def test_statements_do_not_grow_with_the_meetings_shown(synced: Services) -> None:
    client = _client(synced)
    counts = {}
    for limit in (2, 20):
        with statements(synced) as seen:
            answer = client.get(f"/api/v1/meetings?limit={limit}&from=2000-01-01")
        assert len(answer.get_json()["meetings"]) == limit
        counts[limit] = len(seen)
    assert counts[2] == counts[20]
    with statements(synced) as seen:
        assert client.get("/").status_code == 200
    assert len(seen) <= MOST_STATEMENTS  # the overview adds deadlines and sources (22 before)


def test_listed_summaries_are_the_full_meetings(synced: Services) -> None:
    """The stored glance gives what assembling each meeting gives, a manual proxy included."""
    now = datetime.now(UTC)
    with synced.db.session() as session:
        aid = resolve_association(session, None).id
        full = service.list_meetings(session, aid, now)
        with_seats = next(m for m in full if len(m.body.seats) >= 2 and not m.cancelled)
        giver, holder = (s.member.email for s in with_seats.body.seats[:2])
        service.add_proxy(session, aid, with_seats, giver, holder)
    with synced.db.session() as session:
        full = service.list_meetings(session, aid, now)
        short = service.list_summaries(session, aid, now)
        assert [meeting_json(m) for m in short] == [meeting_json(m) for m in full]
        [proxied] = [m for m in short if m.id == with_seats.id]
        assert (giver, "manual") in [(p.giver, p.source) for p in proxied.readiness.proxies]
        for period in ("upcoming", "past"):
            assert [
                meeting_json(m)
                for m in service.list_summaries(session, aid, now, period=period, limit=5)
            ] == [
                meeting_json(m)
                for m in service.list_meetings(session, aid, now, period=period, limit=5)
            ]
        nexts = service.upcoming_summaries(session, aid, now, limit=4)
        assert [m.id for m in nexts] == [m.id for m in service.upcoming(session, aid, now, limit=4)]


def test_one_meeting_reads_its_own_files_and_proxies_only(synced: Services) -> None:
    client = _client(synced)
    now = datetime.now(UTC)
    with synced.db.session() as session:
        aid = resolve_association(session, None).id
        shown = next(m for m in service.list_meetings(session, aid, now) if len(m.body.seats) >= 2)
    paths = ((f"/meetings/{shown.id}", 14), (f"/api/v1/meetings/{shown.id}", 12))

    def read(path: str, most: int) -> list[str]:
        assert client.get(path).status_code == 200
        with statements(synced) as seen:
            assert client.get(path).status_code == 200
        assert len(seen) <= most, (path, seen)  # 21 and 19 before
        assert len([s for s in seen if "files.path" in s]) == 1, path
        return [s for s in seen if "meeting_proxies.giver" in s]

    for path, most in paths:
        assert read(path, most) == [], path  # no proxy entered by hand: none read
    with synced.db.session() as session:
        giver, holder = (s.member.email for s in shown.body.seats[:2])
        service.add_proxy(session, aid, shown, giver, holder)
    for path, most in paths:
        [proxies] = read(path, most)
        assert "meeting_proxies.uid IN" in proxies, proxies  # this meeting's, not every one


def test_a_new_seat_changes_the_quorum_the_lists_show(synced: Services) -> None:
    """The stored glance holds each meeting's quorum, worked out from its body's seats: seating
    someone must change what the lists show, as it changes the full projection."""
    now = datetime.now(UTC)
    with synced.db.session() as session:
        aid = resolve_association(session, None).id
        before = next(m for m in service.list_summaries(session, aid, now) if not m.cancelled)
    with synced.db.session() as session:
        body = roster.find_body(session, aid, before.body.code)
        assert roster.seat(session, body, name="Nouvelle Venue", email="nouvelle@example.org")
    with synced.db.session() as session:
        after = next(m for m in service.list_summaries(session, aid, now) if m.id == before.id)
        [full] = [m for m in service.list_meetings(session, aid, now) if m.id == before.id]
    assert len(after.body.seats) == len(before.body.seats) + 1
    assert after.readiness.quorum == full.readiness.quorum
    assert after.readiness.rsvp == full.readiness.rsvp
