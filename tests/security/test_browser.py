"""In a real browser: a ``javascript:`` link planted in a synced event runs nothing when an
admin clicks it (issue 12, item 1), and the Content-Security-Policy would stop it anyway. Skips without /usr/bin/chromium (see browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sidecar.config import load_settings
from sidecar.context import Services, resolve_association
from sidecar.demo.server import DemoServer
from sidecar.services import accounts
from sidecar.web import create_app
from sidecar.web.access import public
from tests.security.browser import chromium_page, serve
from tests.security.helpers import meeting_id, plant_meeting, sync_demo

PASSWORD = "correct horse battery staple"
# What an attacker would run (no comma: CONFERENCE values are split at commas).
PAYLOAD = "javascript:document.title='pwned';void(0)"


@pytest.fixture
def synced(fresh_demo_server: DemoServer, tmp_path: Path) -> Iterator[Services]:
    services = Services.from_settings(
        load_settings(
            environ={},
            overrides={"data_dir": str(tmp_path / "q"), "allow_private_addresses": "true"},
        )
    )
    yield services
    services.db.dispose()


def test_clicking_a_javascript_conference_link_runs_nothing(
    browser: Any, synced: Services, fresh_demo_server: DemoServer
) -> None:
    plant_meeting(
        fresh_demo_server, "xss-browser", "Réunion piégée", [f"CONFERENCE;VALUE=URI:{PAYLOAD}"]
    )
    sync_demo(synced, fresh_demo_server)
    with synced.db.session() as session:
        accounts.create_local_admin(
            session, resolve_association(session, None), "secretaire", PASSWORD
        )
    app = create_app({}, services=synced)
    with serve(app) as base, chromium_page(browser) as page:
        page.goto(f"{base}/login")
        page.fill("input[name=login]", "secretaire")
        page.fill("input[name=password]", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/meetings/{meeting_id(synced, 'Réunion piégée')}")
        title = page.title()
        assert "Réunion piégée" in title
        shown = page.get_by_text("document.title='pwned'", exact=False).first
        shown.click()  # what a curious admin does
        page.wait_for_timeout(500)
        assert page.title() == title, "the payload ran"
        assert page.locator("a[href^='javascript:' i]").count() == 0, "shown as text, not a link"


def test_the_content_security_policy_alone_stops_inline_and_javascript_urls(
    browser: Any, tmp_path: Path
) -> None:
    """Defence in depth: a page that slipped script through escaping still runs none of it."""
    services = Services.from_settings(
        load_settings(environ={}, overrides={"data_dir": str(tmp_path / "q")})
    )
    app = create_app({}, services=services)
    hostile = (
        "<!doctype html><title>calm</title><script>document.title='inline'</script>"
        "<a id=x href=\"javascript:document.title='clicked'\">x</a>"
        "<img src=nothing onerror=\"document.title='handler'\">"
    )
    app.add_url_rule("/hostile", "hostile", public(lambda: hostile))
    try:
        with serve(app) as base, chromium_page(browser) as page:
            page.goto(f"{base}/hostile")
            page.click("#x")
            page.wait_for_timeout(500)
            assert page.title() == "calm"
    finally:
        services.db.dispose()
