"""The anonymous sign-in page never lists the associations a shared install serves (issue 12,
item 5): a visitor names theirs."""

from __future__ import annotations

from sidecar.context import Services
from sidecar.services import accounts
from sidecar.storage.models import Association
from sidecar.web import create_app

PASSWORD = "correct horse battery staple"


def test_the_sign_in_page_lists_no_association(services: Services) -> None:
    with services.db.session() as session:
        for slug, name in (("jardins-secrets", "Jardins secrets"), ("velo-club", "Vélo club")):
            association = Association(slug=slug, name=name, settings={})
            session.add(association)
            session.flush()
            accounts.create_local_admin(session, association, "root", PASSWORD)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)
    page = app.test_client().get("/login").get_data(as_text=True)
    for secret in ("jardins-secrets", "Jardins secrets", "velo-club", "Vélo club"):
        assert secret not in page
    assert 'name="association"' in page, "the visitor names their association"
    form = {"login": "root", "password": PASSWORD, "association": "velo-club"}
    assert app.test_client().post("/login", data=form).status_code == 302
    wrong = app.test_client().post("/login", data={**form, "association": "nope"})
    assert wrong.status_code == 401 and "nope" not in wrong.get_data(as_text=True).split("<main")[0]
