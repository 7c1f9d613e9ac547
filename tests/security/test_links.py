"""Links built from synced or user data: only http(s) (and mailto: where meant) become links.

A ``javascript:`` CONFERENCE in a calendar used to be rendered as ``href`` unfiltered (issue 12,
item 1); the piece link of ``POST /grants/tick`` too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from sidecar.context import Services
from sidecar.demo.server import DemoServer
from sidecar.security.links import is_safe_url, safe_url
from sidecar.storage.models import GrantPieceTick
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


def test_every_template_href_from_data_goes_through_safe_url() -> None:
    """A guard for templates written later: an ``href`` with a ``{{ … }}`` value is built by
    ``url_for`` or filtered by ``safe_url``."""
    unsafe = []
    for path in TEMPLATES.rglob("*.html"):
        for match in re.finditer(r'href="([^"]*\{\{[^"]*)"', path.read_text(encoding="utf-8")):
            value = match.group(1)
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
