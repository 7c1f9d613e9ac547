"""Pages say a refused entry in the reader's language, from the same catalogue as the command
line (:mod:`sidecar.error_texts`): the jobs page after a bad entry, a missing handover."""

from __future__ import annotations

from flask import Flask

from sidecar.context import Services, resolve_association
from sidecar.services import sources
from tests.access_helpers import signed_in_client


def _source(services: Services) -> None:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        sources.add_source(
            session, services.vault, association, "s", "http://127.0.0.1:9", "a", "x",
            allow_private=True,
        )  # fmt: skip


def test_the_jobs_page_says_a_bad_entry_in_french(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    client = signed_in_client(app)  # an admin
    _source(app.extensions["quorum"])
    entries = [
        ({"name": "j", "source": "s", "every": "3parsecs"}, "« 3parsecs » n’est pas un intervalle"),
        ({"name": "j", "source": "nope", "every": "15m"}, "Aucune source nommée « nope »"),
        ({"name": "j", "source": "s", "cron": "99 * * * *"}, "n’est pas une expression cron"),
    ]
    for form, french in entries:
        page = client.post("/jobs/", data=form, follow_redirects=True).get_data(as_text=True)
        assert french in page, page
        assert "is not" not in page and "No source" not in page, page
    english = client.post(
        "/jobs/?lang=en", data={"name": "j", "source": "s", "every": "3parsecs"},
        follow_redirects=True,
    ).get_data(as_text=True)  # fmt: skip
    assert "“3parsecs” is not an interval" in english, english


def test_a_missing_handover_is_said_in_french(app: Flask) -> None:
    officer = signed_in_client(app, "officer")
    answer = officer.get("/handovers/999")
    assert answer.status_code == 404
    page = answer.get_data(as_text=True)
    assert "Aucune passation n° 999." in page and "No handover" not in page, page
    english = officer.get("/handovers/999?lang=en").get_data(as_text=True)
    assert "No handover #999." in english, english
