"""The register, actions and handover pages and their JSON API on a synced demo association:
French sentences for the findings, approval through a CSRF-protected form, exports (a PDF that
pypdf reads back, page numbers included; a CSV), and each role seeing what it may."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from sidecar.context import Services
from sidecar.demo import DemoServer
from sidecar.demo.seed import BY_UID, CA_FOLDER
from sidecar.services import api_tokens, minutes_cycle
from sidecar.storage.models import Member, Membership
from sidecar.web import create_app
from tests.access_helpers import make_user, signed_in_client
from tests.minutes.documents import clean_pv, docx, pdf
from tests.minutes.test_register import association_id, past_meeting_day
from tests.sync.helpers import alice_files, sync


def _app(services: Services) -> Flask:
    return create_app({"TESTING": True}, services=services)


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def test_register_page_approve_export_and_api(
    fresh_demo_server: DemoServer, fresh_synced: tuple[Services, int]
) -> None:
    services, source_id = fresh_synced
    day = past_meeting_day(fresh_demo_server)
    folder = f"{CA_FOLDER}/{day.isoformat()}"
    wrong = [
        line.replace("Présents (3)", "Présents (5)") + (", Chloé Dubois-Hérault, Étienne Nguyen" if line.startswith("Présents") else "")
        for line in clean_pv(day, ["Action : Bernard — relancer la mairie avant le 15/01"])
    ]  # fmt: skip
    files = alice_files(fresh_demo_server.url)
    files.put(f"{folder}/PV CA contradictoire.docx", docx(wrong), if_none_match=True)
    files.put(f"{folder}/PV CA {day} signé.pdf", pdf(clean_pv(day)), if_none_match=True)
    sync(services, source_id)
    app = _app(services)
    officer = signed_in_client(app, "officer")

    page = officer.get("/register").get_data(as_text=True)
    scanned = officer.post("/register/scan", data={"csrf_token": _csrf(page)})
    assert scanned.status_code == 302
    page = officer.get("/register").get_data(as_text=True)
    assert (
        "Le PV indique 5 présents et 1 représentés ; 3 acceptations et 1 pouvoirs sont enregistrés."
        in page
    )
    assert "Chaîne vérifiée : 1 entrée, aucune modifiée." in page
    assert "UTC" not in page and re.search(r"\d{4} à \d\d:\d\d", page), "the zone's time"
    assert "PDF signé" in page and "Approuver cette version" in page

    api = officer.get("/api/v1/register").get_json()
    assert api["chain"] == {"ok": True, "entries": 1, "broken_at": None, "reason": None}
    contradicting = next(m for m in api["minutes"] if m["path"].endswith("contradictoire.docx"))
    assert [f["code"] for f in contradicting["findings"]] == ["count_differs"]
    assert not contradicting["approved"]

    # approval is a form post: refused without its CSRF token, recorded with it
    assert officer.post(f"/register/{contradicting['id']}/approve").status_code == 400
    done = officer.post(
        f"/register/{contradicting['id']}/approve", data={"csrf_token": _csrf(page)}
    )
    assert done.status_code == 302
    api = officer.get("/api/v1/register").get_json()
    assert api["chain"]["entries"] == 2 and api["entries"][1]["approved_by"].startswith("officer")
    assert [m["approved"] for m in api["minutes"] if m["path"].endswith(".docx")] == [True]
    again = officer.post(f"/api/v1/register/{contradicting['id']}/approve", json={})
    assert again.status_code == 409  # the same version is never frozen twice

    listed = officer.get("/register/export.csv")
    assert listed.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(listed.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["seq"] for r in rows] == ["1", "2"] and rows[1]["prev_hash"] == rows[0]["entry_hash"]
    assert rows[0]["approved_at_local"].endswith(" Europe/Paris")
    exported = officer.get("/register/export.pdf")
    assert exported.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(exported.data))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Registre des délibérations" in text and "Page 1 sur" in text
    assert "UTC" not in text and "(Europe/Paris)" in text
    assert rows[0]["sha256"] in text.replace("\n", "")

    actions = officer.get("/api/v1/actions").get_json()["actions"]
    assert [(a["owner"], a["owner_email"], a["done"]) for a in actions] == [
        ("Bernard", BY_UID["bernard"].email, False)
    ]
    assert "relancer la mairie" in officer.get("/actions").get_data(as_text=True)


def test_members_see_their_bodies_only_and_may_not_approve(
    fresh_demo_server: DemoServer, fresh_synced: tuple[Services, int]
) -> None:
    services, source_id = fresh_synced
    day = past_meeting_day(fresh_demo_server)
    alice_files(fresh_demo_server.url).put(
        f"{CA_FOLDER}/{day}/PV CA {day} signé.pdf", pdf(clean_pv(day)), if_none_match=True
    )
    sync(services, source_id)
    minutes_cycle.run(services, association_id(services), datetime.now(UTC))
    app = _app(services)

    etienne = signed_in_client(app, "member", nc_user="etienne")  # sits on the CA
    seen = etienne.get("/api/v1/register").get_json()
    assert {m["body"] for m in seen["minutes"]} == {"CA"} and len(seen["entries"]) == 1
    page = etienne.get("/register").get_data(as_text=True)
    assert "Approuver cette version" not in page and "Exporter en PDF" not in page
    assert etienne.get("/register/export.pdf").status_code == 403
    assert etienne.get("/api/v1/handovers").status_code == 403
    stranger = signed_in_client(app, "member", nc_user="nobody")
    assert stranger.get("/api/v1/register").get_json()["minutes"] == []


def test_handover_pages_list_and_close(fresh_synced: tuple[Services, int]) -> None:
    services, _source_id = fresh_synced
    aid = association_id(services)
    now = datetime.now(UTC)
    minutes_cycle.run(services, aid, now)  # snapshot of the roster
    make_user(services, "officer", nc_user="chloe", email=BY_UID["chloe"].email)
    with services.db.session() as session:
        chloe = session.scalars(select(Member).where(Member.email == BY_UID["chloe"].email)).one()
        for seat in session.scalars(select(Membership).where(Membership.member_id == chloe.id)):
            if seat.role == "secrétaire":
                session.delete(seat)
    opened = minutes_cycle.run(services, aid, now)
    assert opened.handovers_opened == 1
    officer = signed_in_client(_app(services), "officer")
    [handover] = officer.get("/api/v1/handovers").get_json()["handovers"]
    assert handover["member"] == BY_UID["chloe"].name, handover
    assert handover["closed_at"] is None, handover
    assert [(i["kind"], i["label"]) for i in handover["items"]] == [("api_token", "tests")]
    page = officer.get(f"/handovers/{handover['id']}").get_data(as_text=True)
    assert "Passation de Chloé Dubois-Hérault" in page
    for item in handover["items"]:
        answer = officer.post(
            f"/handovers/{handover['id']}/items/{item['id']}/done", data={"csrf_token": _csrf(page)}
        )
        assert answer.status_code == 302
    # ticked, but the token is still chloe's: still held, the handover stays open
    marked = officer.get(f"/api/v1/handovers/{handover['id']}").get_json()
    assert marked["closed_at"] is None and [i["still_held"] for i in marked["items"]] == [True]
    page = officer.get(f"/handovers/{handover['id']}").get_data(as_text=True)
    assert "Toujours détenu par son compte : transférez-le dans Nextcloud." in page
    with services.db.session() as session:  # the token is revoked: the next look closes it
        api_tokens.revoke_token(session, aid, int(handover["items"][0]["ref"]))
    minutes_cycle.run(services, aid, now)
    closed = officer.get(f"/api/v1/handovers/{handover['id']}").get_json()
    assert closed["closed_at"] is not None and all(i["done_by"] for i in closed["items"])
    assert [i["still_held"] for i in closed["items"]] == [False]
    assert officer.get("/handovers/999999").status_code == 404
