"""Every page, for each role, at desktop and phone width, in headless Chromium.

For each role the suite opens every page of the app's url_map that the role may use (pages
with arguments are reached by following the links of the pages before them), at 1280 and 360
px, and checks: it answers 200 in French (``lang="fr"``), nothing sticks out sideways, no
untranslated English or raw code is shown, axe-core finds no violation, and no link or form
leads to something the role may not do. Problems of all pages are reported together.

Screenshots go to ``$QUORUM_TEST_SCREENSHOTS`` (a folder) when it is set.
"""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from sidecar.alerts import links as alert_links
from sidecar.storage.models import Alert
from sidecar.web.access import role_of
from sidecar.web.navigation import _MENU
from tests.browser.conftest import PERSONAS, LiveApp
from tests.browser.pages import (
    WIDTHS,
    Findings,
    axe_problems,
    axe_script,
    chart_figures,
    current_menu_entries,
    endpoint_of,
    forbidden_text,
    is_page,
    links,
    overflow,
    page_rules,
    rank,
    visible_text,
)

SHOTS = os.environ.get("QUORUM_TEST_SCREENSHOTS")
AXE = axe_script()
MENU_PAGES = frozenset(endpoint for endpoint, _label, _others in _MENU)
# What the seeded data must put on a page (tests/browser/conftest.py), by endpoint: the crawl
# sees each page with data in it, not only its empty state.
SHOWN = {
    "alerts.index": ("Lien public", "partagé avec"),
    "register.index": ("Chaîne vérifiée : 1 entrée,",),
    "admin.audit_log": ("Réglages d’accès enregistrés", "Bureau → responsable (bureau)"),
    "handovers.show": ("Passation de",),
    "grants.pipeline": ("pas encore décidé",),
}


def _contexts(browser: Any, live: LiveApp, role: str) -> dict[int, Any]:
    """One browser context per width, signed in as ``role``, French."""
    contexts = {}
    for width in WIDTHS:
        context = browser.new_context(
            viewport={"width": width, "height": 800}, locale="fr-FR", base_url=live.url
        )
        cookie = live.cookies[role]
        context.add_cookies([{**cookie, "url": live.url}])
        context.add_init_script(script=AXE)
        contexts[width] = context
    return contexts


def _check_data(page: Any, endpoint: str, where: str, findings: Findings) -> None:
    """The current page marked in the menu; the seeded data shown; the chart's figures as text."""
    marked = current_menu_entries(page)
    if len(marked) > 1 or (endpoint in MENU_PAGES and marked != [urlsplit(page.url).path]):
        findings.add(where, f"the menu marks {marked or 'nothing'} as the current page")
    text = page.inner_text("main")
    for expected in SHOWN.get(endpoint, ()):
        if expected not in text:
            findings.add(where, f"does not show « {expected} »")
    if endpoint == "grants.pipeline":
        figures = chart_figures(page)
        if not figures or not all(shown and text for text, shown in figures):
            findings.add(where, f"the chart's figures are not all shown as text: {figures}")


def _check_page(page: Any, where: str, findings: Findings) -> None:
    lang = page.evaluate("document.documentElement.lang")
    if lang != "fr":
        findings.add(where, f'lang="{lang}" instead of "fr"')
    for problem in forbidden_text(visible_text(page)):
        findings.add(where, problem)
    wide = overflow(page)
    if wide:
        findings.add(where, f"overflows sideways: {wide}")
    for problem in axe_problems(page):
        findings.add(where, problem)


def _allowed_links(
    page: Any, live: LiveApp, role: str, where: str, findings: Findings
) -> list[str]:
    """Check the page's links and forms against the role; return its same-site page links."""
    adapter = live.app.url_map.bind("127.0.0.1")
    here = urlsplit(page.url).path
    found = []
    for method, url in links(page):
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != live.url:
            continue
        if method == "GET" and parts.path == here:
            continue  # the page itself (the language switch): nothing new is offered
        endpoint = endpoint_of(adapter, parts.path, method)
        if endpoint is None:
            findings.add(where, f"{method} {parts.path} leads nowhere")
            continue
        needed = role_of(live.app.view_functions[endpoint])
        if needed is None or rank(needed) > rank(role):
            findings.add(where, f"shows {method} {parts.path}, which needs the {needed} role")
        elif method == "GET":
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("role", list(PERSONAS))
def test_every_page_for_every_role(browser: Any, live_app: LiveApp, role: str) -> None:
    adapter = live_app.app.url_map.bind("127.0.0.1")
    allowed = page_rules(live_app.app, role)
    queue = deque(["/"] + [r.rule for r in allowed if not r.arguments and r.rule != "/"])
    seen: set[str] = set()
    contexts = _contexts(browser, live_app, role)
    findings = Findings()
    try:
        pages = {width: context.new_page() for width, context in contexts.items()}
        while queue:
            path = queue.popleft()
            endpoint = endpoint_of(adapter, urlsplit(path).path, "GET")
            if endpoint is None or endpoint in seen:
                continue
            if not is_page(next(adapter.map.iter_rules(endpoint))):
                continue
            seen.add(endpoint)
            answer = contexts[WIDTHS[0]].request.get(path)
            if "text/html" not in answer.headers.get("content-type", ""):
                continue  # a download or a feed reached by a link: not a page to look at
            for width, page in pages.items():
                where = f"{role} {width}px {path}"
                # "load" waits for the stylesheet: measured before it applied, a loaded CI
                # machine saw the phone layout's hidden table header 492 px wide.
                response = page.goto(path, wait_until="load")
                if response is None or response.status != 200:
                    findings.add(where, f"answered {response.status if response else 'nothing'}")
                    continue
                if urlsplit(page.url).path != urlsplit(path).path:  # e.g. sent to sign in
                    findings.add(where, f"ended at {urlsplit(page.url).path}")
                    continue
                _check_page(page, where, findings)
                _check_data(page, endpoint, where, findings)
                if SHOTS:
                    name = f"{role}-{width}-{endpoint}.png"
                    page.screenshot(path=str(Path(SHOTS) / name), full_page=True)
                queue.extend(_allowed_links(page, live_app, role, where, findings))
    finally:
        for context in contexts.values():
            context.close()
    must = {r.endpoint for r in allowed if not r.arguments}
    assert must <= seen, f"pages never opened: {must - seen}"
    if role != "member":  # the crawl reached pages with arguments through links
        assert {"meetings.show", "grants.dossier", "handovers.show"} <= seen
    assert not findings.problems, findings.report()


@pytest.mark.slow
def test_error_pages_are_quorum_pages(browser: Any, live_app: LiveApp) -> None:
    """A refused page and a missing page, as a member on a phone and a desktop: translated,
    with the header and the member's menu, a way back, and no access problem."""
    contexts = _contexts(browser, live_app, "member")
    findings = Findings()
    try:
        for width, context in contexts.items():
            page = context.new_page()
            for path, status in (("/grants", 403), ("/meetings/999999", 404), ("/nowhere", 404)):
                where = f"member {width}px {path}"
                response = page.goto(path)
                assert response is not None and response.status == status, where
                _check_page(page, where, findings)
                _allowed_links(page, live_app, "member", where, findings)
                assert page.locator("header nav a").count() >= 1 or path == "/nowhere", where
                assert page.get_by_role("link", name="Retour à la vue d’ensemble").count() == 1
                if status == 403:
                    assert "Comment les rôles sont décidés" in page.inner_text("main")
                if SHOTS:
                    page.screenshot(path=str(Path(SHOTS) / f"error-{status}-{width}.png"))
    finally:
        for context in contexts.values():
            context.close()
    assert not findings.problems, findings.report()


@pytest.mark.slow
def test_the_signed_alert_link_page(browser: Any, live_app: LiveApp) -> None:
    """The page a link in an e-mail opens (public, signed): the alert in French, a button to
    confirm, and then the outcome, at both widths."""
    settings = live_app.services.settings
    secret = alert_links.link_secret(settings.secret_key, settings.data_dir)
    with live_app.services.db.session() as session:
        share = session.scalars(
            select(Alert).where(Alert.rule == "risky_share", Alert.state == "open")
        ).first()
        assert share is not None, "the seeded sharing audit opened share alerts"
        token = alert_links.sign(secret, share.id, "snooze", "etienne@example.org")
    contexts = _contexts(browser, live_app, "member")
    findings = Findings()
    try:
        for width, context in contexts.items():
            page = context.new_page()
            where = f"signed link {width}px"
            response = page.goto(f"/alerts/act/{token}", wait_until="load")
            assert response is not None and response.status == 200, where
            _check_page(page, where, findings)
            text = page.inner_text("main")
            if not any(words in text for words in SHOWN["alerts.index"]):
                findings.add(where, f"the alert is not shown in words: {text[:200]}")
            if width == WIDTHS[0]:
                page.locator("main form button[type=submit]").first.click()
                page.wait_for_load_state("load")
                _check_page(page, f"{where} after confirming", findings)
            if SHOTS:
                page.screenshot(path=str(Path(SHOTS) / f"signed-link-{width}.png"))
    finally:
        for context in contexts.values():
            context.close()
    assert not findings.problems, findings.report()
