"""Links built from synced or user data: only http(s) (and mailto: where meant) become links.

A ``javascript:`` CONFERENCE in a calendar used to be rendered as ``href`` unfiltered (issue 12,
item 1); the piece link of ``POST /grants/tick`` too.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from sidecar.context import Services, resolve_association
from sidecar.demo.server import DemoServer
from sidecar.projection import readiness
from sidecar.projection.inputs import EventInstance
from sidecar.security.links import is_safe_url, safe_url
from sidecar.services import feeds, prepare
from sidecar.services import meetings as meetings_service
from sidecar.storage.models import GrantPieceTick, Member
from sidecar.web import create_app
from tests.access_helpers import signed_in_client
from tests.security.helpers import JAVASCRIPT_LINK, meeting_id, plant_meeting, sync_demo

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\x01javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//evil.example/x",
        "/relative/path",
        "https://",
        "https://exa mple.org/",
        "mailto:someone@example.org",
        "",
        None,
        42,
    ],
)
def test_anything_but_http_is_refused(url: object) -> None:
    assert safe_url(url) is None


def test_http_https_and_mailto_where_meant() -> None:
    assert safe_url("https://visio.example.org/room?x=1") == "https://visio.example.org/room?x=1"
    assert safe_url("  HTTP://example.org/a  ") == "HTTP://example.org/a"
    assert is_safe_url("mailto:bureau@example.org", mailto=True)
    assert not is_safe_url("mailto:javascript:alert(1)", mailto=True)


#: hrefs whose value a module builds with ``url_for`` (the menu: :mod:`sidecar.web.navigation`).
BUILT_BY_URL_FOR = {"{{ item.url }}"}


#: An attribute that takes a URL, its value in double or single quotes (or none), holding ``{{``.
URL_ATTRIBUTE = re.compile(
    r"""\b(?:href|src|action|formaction)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""",
    re.IGNORECASE,
)


def _data_urls(html: str) -> list[str]:
    """The values of URL attributes in ``html`` that are built from ``{{ … }}``."""
    values = (next(v for v in m.groups() if v is not None) for m in URL_ATTRIBUTE.finditer(html))
    return [value for value in values if "{{" in value]


def test_the_template_guard_sees_every_url_attribute() -> None:
    html = (
        "<a href='{{ a }}'></a><img src=\"{{ b }}\"><form action='{{ c }}'>"
        '<button formaction="{{ d }}"></button><a HREF={{e}}></a><a href="/static"></a>'
    )
    assert _data_urls(html) == ["{{ a }}", "{{ b }}", "{{ c }}", "{{ d }}", "{{e}}"]


def test_every_template_href_from_data_goes_through_safe_url() -> None:
    """A guard for templates written later: an ``href``, ``src``, ``action`` or ``formaction``
    with a ``{{ … }}`` value (in either quotes) is built by ``url_for`` or filtered by
    ``safe_url``."""
    unsafe = []
    for path in TEMPLATES.rglob("*.html"):
        for value in _data_urls(path.read_text(encoding="utf-8")):
            if (
                "url_for(" not in value
                and "safe_url" not in value
                and value not in BUILT_BY_URL_FOR
            ):
                unsafe.append(f"{path.relative_to(TEMPLATES)}: {value}")
    assert unsafe == []


def test_a_javascript_conference_is_shown_as_text_on_the_meeting_page(
    services: Services, fresh_demo_server: DemoServer
) -> None:
    plant_meeting(
        fresh_demo_server,
        "xss-conference",
        "Réunion piégée",
        [f"CONFERENCE;VALUE=URI:{JAVASCRIPT_LINK}", "URL:javascript:alert(2)"],
    )
    sync_demo(services, fresh_demo_server)
    app = create_app({"TESTING": True}, services=services)
    page = signed_in_client(app, "admin").get(f"/meetings/{meeting_id(services, 'Réunion piégée')}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "javascript:document.title" in html, "the link is still shown, as text"
    assert not re.search(r'href="\s*javascript:', html, re.IGNORECASE), "never as a link"


def _dossier_key(admin: FlaskClient) -> str:
    grants = admin.get("/api/v1/grants").get_json()["grants"]
    assert grants
    return str(grants[0]["key"])


def test_a_piece_link_must_be_http(services: Services, demo_server: DemoServer) -> None:
    sync_demo(services, demo_server)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)
    officer = signed_in_client(app, "officer")
    key = _dossier_key(officer)
    form = {"key": key, "piece": "rib", "link": "javascript:alert(document.cookie)"}
    officer.post("/grants/tick", data=form)
    key = _dossier_key(officer)  # the tick confirmed the dossier: it has its own key now
    refused = officer.post(
        "/api/v1/grants/tick", json={"key": key, "piece": "rib", "link": "JAVASCRIPT:alert(1)"}
    )
    assert refused.status_code == 400 and "link" in refused.get_json()["fields"]
    with services.db.session() as session:
        assert list(session.scalars(select(GrantPieceTick.link))) == []
    ok = officer.post(
        "/api/v1/grants/tick", json={"key": key, "piece": "rib", "link": "https://x.example/rib"}
    )
    assert ok.status_code == 200
    paper = officer.post("/grants/tick", data={"key": key, "piece": "statuts", "link": ""})
    assert paper.status_code == 302, "no link (a piece on paper) is still fine"
    with services.db.session() as session:
        assert sorted(session.scalars(select(GrantPieceTick.link))) == ["", "https://x.example/rib"]


def _links_in(value: object, key: str = "") -> list[str]:
    """Every string a JSON answer hands out under a name that says link or url."""
    if isinstance(value, dict):
        return [found for k, v in value.items() for found in _links_in(v, str(k))]
    if isinstance(value, list):
        return [found for item in value for found in _links_in(item, key)]
    named = any(word in key.lower() for word in ("link", "url"))
    return [value] if named and isinstance(value, str) and not key.endswith("_text") else []


def test_the_api_hands_out_no_javascript_link(
    services: Services, fresh_demo_server: DemoServer
) -> None:
    """``readiness.remote_link`` is null for a refused CONFERENCE (its words are in
    ``remote_text``); ``location`` is text (never a link field) and stays what was written."""
    plant_meeting(
        fresh_demo_server,
        "xss-api",
        "Réunion piégée",
        [f"CONFERENCE;VALUE=URI:{JAVASCRIPT_LINK}", "LOCATION:javascript:alert(3)"],
    )
    sync_demo(services, fresh_demo_server)
    app = create_app({"TESTING": True}, services=services)
    admin = signed_in_client(app, "admin")
    found = meeting_id(services, "Réunion piégée")
    listing = admin.get("/api/v1/meetings?limit=500").get_json()
    listed = next(m for m in listing["meetings"] if m["id"] == found)
    detail = admin.get(f"/api/v1/meetings/{found}").get_json()
    for answer in (listed, detail):
        assert answer["readiness"]["remote_link"] is None
        assert answer["readiness"]["remote_text"] == JAVASCRIPT_LINK
    assert detail["location"] == "javascript:alert(3)", "a place is text, never a link"
    handed_out = _links_in(listing) + _links_in(detail)
    assert handed_out and all(is_safe_url(link) for link in handed_out), handed_out


def test_an_unsafe_conference_is_no_video_link_and_stays_out_of_the_agenda(
    services: Services, fresh_demo_server: DemoServer
) -> None:
    plant_meeting(
        fresh_demo_server,
        "xss-ready",
        "Réunion piégée",
        [f"CONFERENCE;VALUE=URI:{JAVASCRIPT_LINK}"],
    )
    sync_demo(services, fresh_demo_server)
    with services.db.session() as session:
        association = resolve_association(session, None)
        meeting = meetings_service.get_meeting(
            session, association.id, meeting_id(services, "Réunion piégée"), datetime.now(UTC)
        )
    assert meeting.readiness.remote_link is None, "not a ready video link"
    assert meeting.readiness.remote_text == JAVASCRIPT_LINK, "kept, to be shown as text"
    agenda = prepare.agenda_text(meeting, "Asso", ZoneInfo("Europe/Paris"), date(2026, 1, 1))
    assert "javascript:" not in agenda.lower()
    app = create_app({"TESTING": True}, services=services)
    admin = signed_in_client(app, "admin")
    page = admin.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    line = re.search(r'<li class="(\w+)">[^<]*<span translate="no">javascript:', page)
    assert line and line.group(1) == "warn", "the checklist does not call it ready"


def test_an_unsafe_conference_next_to_a_real_link_leaves_the_real_one() -> None:
    event = EventInstance(
        occurrence_id=1,
        calendar_id=1,
        calendar_role="meetings",
        calendar_name="CA",
        uid="u",
        recurrence_id="",
        component="VEVENT",
        summary="CA",
        start=datetime(2026, 3, 1, 18, tzinfo=UTC),
        end=None,
        all_day=False,
        status=None,
        conference=("javascript:alert(1)", "https://visio.example.org/ca"),
        location="https://meet.example.org/x",
    )
    assert readiness.remote_link(event) == "https://visio.example.org/ca"
    assert readiness.remote_text(event) is None
    only_bad = replace(event, conference=("javascript:alert(1)",), location="Salle 2")
    assert readiness.remote_link(only_bad) is None
    assert readiness.remote_text(only_bad) == "javascript:alert(1)"


def test_a_stored_javascript_piece_link_is_never_handed_out_as_a_link(
    services: Services, demo_server: DemoServer
) -> None:
    """A piece link saved before links were checked (straight into the table here) is text on
    the grant page, null in the API (its words in ``link_text``), and absent from the officer's
    calendar feed."""
    sync_demo(services, demo_server)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)
    officer = signed_in_client(app, "officer", nc_user="bernard")
    key = _dossier_key(officer)
    tick = {"key": key, "piece": "rib", "link": "https://x.example/r"}
    assert officer.post("/api/v1/grants/tick", json=tick).status_code == 200
    with services.db.session() as session:
        stored = session.scalars(select(GrantPieceTick)).one()
        stored.link = "javascript:alert(document.cookie)"
        key = f"g{stored.grant_id}"
    page = officer.get(f"/grants/{key}").get_data(as_text=True)
    assert "javascript:alert(document.cookie)" in page, "shown, as text"
    assert not re.search(r'href="\s*javascript:', page, re.IGNORECASE)
    grants = officer.get("/api/v1/grants").get_json()
    rib = next(
        p for g in grants["grants"] if g["key"] == key for p in g["pieces"] if p["key"] == "rib"
    )
    assert rib["link"] is None and rib["file"] is None
    assert rib["link_text"] == "javascript:alert(document.cookie)"
    assert all(is_safe_url(link) for link in _links_in(grants))
    files = [p["file"] for g in grants["grants"] for p in g["pieces"] if p["file"]]
    assert all(f.startswith("/") or is_safe_url(f) for f in files), "paths and safe links only"
    with services.db.session() as session:
        member = session.scalars(select(Member).where(Member.nc_user == "bernard")).one()
        token = feeds.issue_token(session, member.id)
    feed = app.test_client().get(f"/feeds/{token}.ics")
    assert feed.status_code == 200 and "javascript:" not in feed.get_data(as_text=True)
