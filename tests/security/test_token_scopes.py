"""A write-only API token learns whether its writes worked, never data (issue 12, item 5):
``POST /api/v1/shares/audit`` used to answer the whole audit to a token without ``read``."""

from __future__ import annotations

from sidecar.context import Services
from sidecar.demo.server import DemoServer
from sidecar.services import api_tokens
from sidecar.storage.models import User
from sidecar.web import create_app
from tests.access_helpers import make_user
from tests.security.helpers import sync_demo


def _token(services: Services, scopes: tuple[str, ...]) -> str:
    user_id, _ = make_user(services, "officer")
    with services.db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return api_tokens.create_token(session, user, "scoped", scopes)


def test_a_write_only_token_cannot_read_by_post(
    services: Services, demo_server: DemoServer
) -> None:
    sync_demo(services, demo_server)
    client = create_app({"TESTING": True}, services=services).test_client()
    write_only = {"Authorization": f"Bearer {_token(services, ('write',))}"}
    read_write = {"Authorization": f"Bearer {_token(services, ('read', 'write'))}"}
    assert client.get("/api/v1/shares/audit", headers=write_only).status_code == 403
    answer = client.post("/api/v1/shares/audit", headers=write_only)
    assert answer.status_code == 200 and answer.get_json() == {"done": True}
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    full = client.post("/api/v1/shares/audit", headers=read_write).get_json()
    assert "findings" in full, "a token that may read still gets the audit"
    key = client.get("/api/v1/grants", headers=read_write).get_json()["grants"][0]["key"]
    ticked = client.post(
        "/api/v1/grants/tick",
        json={"key": key, "piece": "rib", "link": "https://x.example/rib"},
        headers=write_only,
    )
    assert ticked.status_code == 200 and ticked.get_json() == {"done": True}
    refused = client.post("/api/v1/grants/tick", json={"key": key}, headers=write_only)
    assert refused.status_code == 400, "errors still say what to fix"
