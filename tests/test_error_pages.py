"""Error answers: Quorum pages in French for people (403, 404, 405, 500, expired form), JSON
under /api/; a refused page says which role it needs and how roles are decided."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from sidecar.web.access import public
from tests.access_helpers import LoginAs


def test_a_refused_page_is_a_french_quorum_page(client: FlaskClient, login_as: LoginAs) -> None:
    login_as("member")
    page = client.get("/grants")
    html = page.get_data(as_text=True)
    assert page.status_code == 403
    assert '<html lang="fr">' in html and "Forbidden" not in html
    assert "Cette page n’est pas ouverte à votre rôle" in html
    assert "Comment les rôles sont décidés" in html
    assert "responsable (bureau)" in html, "the role the page needs, in words"
    assert 'href="/"' in html and "Retour à la vue d’ensemble" in html
    assert 'aria-label="Navigation principale"' in html, "the header and the member's menu"
    assert 'href="/grants"' not in html, "no link the member may not follow"


def test_missing_pages_and_wrong_methods(client: FlaskClient, login_as: LoginAs) -> None:
    login_as("admin")
    missing = client.get("/meetings/999999")
    assert missing.status_code == 404 and "Cette page n’existe pas" in missing.get_data(
        as_text=True
    )
    wrong = client.delete("/meetings")
    assert wrong.status_code == 405 and "Allow" in wrong.headers
    assert "Action impossible ici" in wrong.get_data(as_text=True)
    english = client.get("/nowhere?lang=en")
    assert english.status_code == 404
    assert "This page does not exist" in english.get_data(as_text=True)


def test_api_errors_stay_json(client: FlaskClient, login_as: LoginAs) -> None:
    login_as("member")
    refused = client.get("/api/v1/grants")
    assert refused.status_code == 403 and set(refused.get_json()) == {"error"}
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and "error" in missing.get_json()
    assert client.get("/api/v1/meetings/999999").status_code == 404


def test_an_unexpected_error_is_a_500_page_that_hides_the_details(
    app: Flask, login_as: LoginAs
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @public
    def boom() -> str:
        raise RuntimeError("secret detail")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    client = login_as("member")
    page = client.get("/boom")
    html = page.get_data(as_text=True)
    assert page.status_code == 500 and "Un problème est survenu de notre côté" in html
    assert "secret detail" not in html and "Traceback" not in html
    api = client.get("/api/v1/boom")
    assert api.status_code == 500 and "secret detail" not in api.get_json()["error"]


def test_an_expired_form_says_to_reload(app: Flask, login_as: LoginAs) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client = login_as("admin")
    refused = client.post("/admin/access", data={"groups": ""})
    assert refused.status_code == 400
    assert "Formulaire expiré" in refused.get_data(as_text=True)
