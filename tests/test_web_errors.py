"""Errors are mapped in one place: JSON for the API, a Quorum page (in French by default) else."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.access_helpers import LoginAs


def test_an_unknown_page_is_a_quorum_page_in_french(client: FlaskClient) -> None:
    answer = client.get("/no-such-page")
    assert answer.status_code == 404
    page = answer.get_data(as_text=True)
    assert '<html lang="fr">' in page and "Cette page n’existe pas" in page
    assert "Retour à la vue d’ensemble" in page and "Not Found" not in page


def test_a_page_above_ones_role_is_a_quorum_page(login_as: LoginAs) -> None:
    client = login_as("member")
    client.environ_base.pop("HTTP_AUTHORIZATION", None)  # the page, with the session only
    answer = client.get("/admin/users")
    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert "Cette page n’est pas ouverte à votre rôle" in page and "Forbidden" not in page


def test_the_api_answers_errors_in_json(login_as: LoginAs) -> None:
    client = login_as("admin")
    unknown_route = client.get("/api/v1/no-such-endpoint")
    assert unknown_route.status_code == 404 and "error" in unknown_route.get_json()
    unknown_job = client.get("/api/v1/jobs/987654")  # a domain NotFound, mapped once
    assert unknown_job.status_code == 404
    assert unknown_job.get_json() == {"error": unknown_job.get_json()["error"]}
    assert unknown_job.get_json()["error"]
