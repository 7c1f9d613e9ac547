"""The documents page and API against a demo Nextcloud of its own: day one, then real changes,
each document linked to its meeting and dossier and to Nextcloud."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from sidecar.context import Services
from sidecar.demo.seed import SeedInfo
from sidecar.demo.server import DemoServer
from tests.access_helpers import make_user, sign_in
from tests.sync.helpers import alice_files, sync


def _client(services: Services, role: str = "officer") -> FlaskClient:
    from sidecar.web import create_app

    app = create_app({"TESTING": True}, services=services)
    return sign_in(app.test_client(), *make_user(services, role))


def _info(server: DemoServer) -> SeedInfo:
    assert server.seed_info is not None
    return server.seed_info


def _json(client: FlaskClient, url: str) -> dict[str, Any]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert isinstance(answer.json, dict)
    return answer.json


def test_day_one_says_since_when_and_shows_recent_files(
    fresh_synced: tuple[Services, int], fresh_demo_server: DemoServer
) -> None:
    services, _ = fresh_synced
    client = _client(services)
    year = _info(fresh_demo_server).today.year

    html = client.get("/documents?lang=en").get_data(as_text=True)

    assert "Quorum started following these files on" in html
    assert "No change recorded in this period" in html
    recent = html.split('id="recent"', 1)[1]
    assert f"Grand livre {year}.ods" in recent  # modified 4 days before the seed's today
    assert re.search(r'href="http://[^"]+/index\.php/f/\d+"', recent)
    data = _json(client, "/api/v1/documents")
    assert data["documents"] == [] and data["following_since"]
    paths = [r["path"] for r in data["recently_modified"]]
    assert paths and f"/Comptabilité/Grand livre {year}.ods" in paths
    mtimes = [r["mtime"] for r in data["recently_modified"]]
    assert mtimes == sorted(mtimes, reverse=True)


def test_changes_are_listed_with_their_meeting_dossier_and_moves(
    fresh_synced: tuple[Services, int], fresh_demo_server: DemoServer
) -> None:
    services, source_id = fresh_synced
    info = _info(fresh_demo_server)
    day = info.ca_folder_dates[-1]
    files = alice_files(fresh_demo_server.url)
    added = f"/Conseil d'administration/{day.isoformat()}/Annexe budget.pdf"
    files.put(added, b"%PDF-1.4 annexe", if_none_match=True)
    src, dst = f"/{info.lyon_folder}/Statuts.pdf", f"/{info.lyon_folder}/Statuts 2024.pdf"
    files.http.request(
        "MOVE",
        files.url(src),
        headers={"Destination": files.url(dst), "Overwrite": "F"},
        expect=(201, 204),
    )
    sync(services, source_id)
    client = _client(services)

    data = _json(client, "/api/v1/documents?changed_since=2000-01-01")

    by_path = {d["path"]: d for d in data["documents"]}
    new = by_path[added]
    assert new["change"] == "added" and re.search(r"/index\.php/f/\d+$", new["url"])
    # a cancelled occurrence and its replacement may share the day: both hold the folder
    assert new["meetings"] and {(m["body"], m["day"]) for m in new["meetings"]} == {
        ("CA", day.isoformat())
    }
    assert new["dossier"] is None
    moved = by_path[dst]
    assert (moved["change"], moved["old_path"]) == ("moved", src)
    assert moved["dossier"]["funder"] == "Ville de Lyon" and moved["meetings"] == []

    html = client.get("/documents?days=7&lang=en").get_data(as_text=True)
    assert '<option value="7" selected>' in html
    changes = html.split('id="changes"', 1)[1].split("</ul>", 1)[0]
    assert "Annexe budget.pdf" in changes and f"/meetings/{new['meetings'][0]['id']}" in changes
    assert f"{src}</span> →" in changes.replace("&#39;", "'")
    meeting = client.get(f"/meetings/{new['meetings'][0]['id']}?lang=en").get_data(as_text=True)
    assert "Annexe budget.pdf" in meeting  # the meeting page lists it by the same rule


def test_documents_need_an_officer(fresh_synced: tuple[Services, int]) -> None:
    services, _ = fresh_synced
    member = _client(services, "member")
    assert member.get("/api/v1/documents").status_code == 403
    bad = _client(services).get("/api/v1/documents?changed_since=yesterday")
    assert bad.status_code == 400
