"""Security headers on every page, and numbers out of range in URLs (issue 12, items 1 and 6)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from sidecar.context import Services
from sidecar.formatting import MAX_ID, whole_number
from sidecar.services import grant_forms, roster
from sidecar.web import create_app
from tests.access_helpers import signed_in_client
from tests.test_access import _routes

EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _app(services: Services) -> Flask:
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)


def _check(answer_headers: object, what: str) -> None:
    headers = dict(answer_headers)  # type: ignore[call-overload]
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, f"{what}: {name}"
    policy = {
        part.strip().split(" ", 1)[0]: part.strip()
        for part in headers.get("Content-Security-Policy", "").split(";")
        if part.strip()
    }
    assert policy.get("frame-ancestors") == "frame-ancestors 'none'", what
    script = policy.get("script-src") or policy.get("default-src") or ""
    assert script and "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, what
    assert "'self'" in script, what


def test_every_get_route_sends_the_security_headers(services: Services) -> None:
    app = _app(services)
    routes = [(url, role) for _rule, method, url, role in _routes(app) if method == "GET"]
    assert len(routes) > 20
    admin = signed_in_client(app, "admin")
    anonymous = app.test_client()
    for url, _role in routes:
        for who, client in (("admin", admin), ("anonymous", anonymous)):
            answer = client.get(url)
            answer.close()
            _check(answer.headers, f"{who} GET {url} ({answer.status_code})")
    static = anonymous.get("/static/quorum.css")
    static.close()  # a file response: close it, or its file handle leaks
    _check(static.headers, "static file")
    _check(anonymous.get("/no-such-page").headers, "404 page")


def test_pages_have_no_inline_script(services: Services) -> None:
    templates = Path(__file__).resolve().parents[2] / "templates" / "pages"
    for path in [*templates.rglob("*.html"), templates.parent / "base.html"]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text, re.IGNORECASE), path.name
        assert not re.search(r"\son[a-z]+\s*=", text, re.IGNORECASE), path.name
        assert "javascript:" not in text.lower(), path.name


@pytest.mark.parametrize(
    "url",
    [
        "/alerts/99999999999999999999",
        "/meetings/99999999999999999999",
        "/api/v1/alerts/99999999999999999999",
        "/api/v1/meetings/99999999999999999999",
        "/bodies/99999999999999999999/rules",
    ],
)
def test_out_of_range_numbers_in_urls_are_not_found(services: Services, url: str) -> None:
    app = _app(services)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash must show as 500, not raise here
    admin = signed_in_client(app, "admin")
    method = "POST" if url.endswith("/rules") else "GET"
    assert admin.open(url, method=method).status_code == 404


SUPERSCRIPT_TWO = "%C2%B2"  # "²": str.isdigit() says yes, int() says no
HUGE = "9" * 5000  # more digits than int() converts (4300)


@pytest.mark.parametrize(
    ("method", "url", "body", "expected"),
    [
        # pages: a bad page number or window is the first page or the default window
        ("GET", f"/meetings?page={SUPERSCRIPT_TWO}", None, 200),
        ("GET", f"/meetings?page={HUGE}", None, 200),
        ("GET", f"/admin/audit?page={SUPERSCRIPT_TWO}", None, 200),
        ("GET", f"/documents?days={SUPERSCRIPT_TWO}", None, 200),
        ("GET", f"/documents?days={HUGE}", None, 200),
        ("POST", "/handovers/start", {"member_id": "²"}, 302),
        ("POST", "/handovers/start", {"member_id": "99999999999999999999"}, 302),
        # the API says what is wrong
        ("GET", f"/api/v1/meetings?limit={SUPERSCRIPT_TWO}", None, 400),
        ("GET", f"/api/v1/meetings?offset={SUPERSCRIPT_TWO}", None, 400),
        ("GET", f"/api/v1/meetings?limit={HUGE}", None, 400),
        ("GET", f"/api/v1/actions?meeting={SUPERSCRIPT_TWO}", None, 400),
        ("GET", "/api/v1/actions?meeting=99999999999999999999", None, 404),
        ("POST", "/api/v1/grants/tick", {"key": "g²", "piece": "rib"}, 404),
        ("POST", "/api/v1/grants/tick", {"key": "g99999999999999999999", "piece": "rib"}, 404),
    ],
)
def test_malformed_numbers_in_query_strings_and_forms_are_no_crash(
    services: Services, method: str, url: str, body: dict[str, str] | None, expected: int
) -> None:
    """Numbers are read with ASCII digits only and bounded (``formatting.whole_number``)."""
    app = _app(services)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash must show as 500, not raise here
    admin = signed_in_client(app, "admin")
    if url.startswith("/api/"):
        answer = admin.open(url, method=method, json=body)
    else:
        answer = admin.open(url, method=method, data=body)
    assert answer.status_code == expected


def test_forms_read_numbers_the_same_way() -> None:
    """Body rules and grant fields: "²" or an id no database holds is a form error, not a 500."""
    for text in ("²", "١٢", "99999999999999999999", HUGE, "-1", "1e3"):
        assert roster.parse_rules({"notice_days": text})[1] == {"notice_days": "number"}, text
        assert grant_forms.parse_grant({"year": text}, partial=True)[1] == {"year": "number"}
    assert roster.parse_rules({"notice_days": " 15 "})[0]["notice_days"] == 15
    assert whole_number("0012", 1, 20) == 12 and whole_number("21", 1, 20) is None
    assert whole_number(str(MAX_ID)) == MAX_ID and whole_number(str(MAX_ID + 1)) is None
