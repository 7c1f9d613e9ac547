"""Grants, obligations and the sharing audit against the demo Nextcloud (synced_demo once)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from markupsafe import escape

from sidecar.context import Services, resolve_association
from sidecar.demo.seed import SeedInfo
from sidecar.projection.grants import Dossier
from sidecar.projection.obligations import Obligation
from sidecar.services import document_changes as changes_service
from sidecar.services import dossiers as dossier_service
from sidecar.services import share_audit as audit_service

pytestmark = pytest.mark.usefixtures("signed_in_admin")  # pages and API need a user


@pytest.fixture(scope="module")
def dossiers(synced_demo: Services, seed_info: SeedInfo) -> dict[str, Dossier]:
    with synced_demo.db.session() as session:
        association = resolve_association(session, None)
        found = dossier_service.dossiers(session, association, seed_info.today)
    return {(d.folder or d.key).strip("/"): d for d in found}


def test_complete_dossier(dossiers: dict[str, Dossier], seed_info: SeedInfo) -> None:
    lyon = dossiers[seed_info.lyon_folder]
    assert lyon.completeness == 100
    assert lyon.submission_deadline == seed_info.lyon_deadline


def test_dossier_missing_rib_and_approved_accounts(
    dossiers: dict[str, Dossier], seed_info: SeedInfo
) -> None:
    region = dossiers[seed_info.region_folder]
    assert sorted(p.key for p in region.missing) == ["accounts", "rib"]
    assert region.completeness is not None and region.completeness < 100
    assert region.submission_deadline == seed_info.region_deadline


def test_report_due_six_months_after_financial_year_end(
    synced_demo: Services, seed_info: SeedInfo
) -> None:
    with synced_demo.db.session() as session:
        association = resolve_association(session, None)
        found: list[Obligation] = dossier_service.obligations(session, association, seed_info.today)
    [report] = [o for o in found if o.kind == "financial_report"]
    assert report.due == seed_info.cr_financier_due
    assert report.subject.rstrip("/").endswith(seed_info.lyon_previous_folder)


def test_sharing_audit_flags_the_public_accounts_link_not_the_board_share(
    synced_demo: Services, seed_info: SeedInfo
) -> None:
    with synced_demo.db.session() as session:
        association = resolve_association(session, None)
        result = audit_service.share_audit(session, association, synced_demo.vault, seed_info.today)
    assert result.share_count == 4
    flagged = {(f.kind, f.path) for f in result.findings}
    assert ("public_link_no_password", "/Comptabilité") in flagged
    assert not [f for f in result.findings if f.path == "/Subventions"]  # group CA = the board
    assert ("outside_members", "/Communication") in flagged  # marc.externe


def test_api_grants_json(synced_client: FlaskClient, seed_info: SeedInfo) -> None:
    answer = synced_client.get("/api/v1/grants")
    assert answer.status_code == 200
    grants: list[dict[str, Any]] = answer.get_json()["grants"]
    region = next(g for g in grants if (g["folder"] or "").strip("/") == seed_info.region_folder)
    states = {p["name"]: p["state"] for p in region["pieces"]}
    assert states["RIB"] == "missing"
    assert region["next_deadline"] == seed_info.region_deadline.isoformat()
    previous = next(
        g for g in grants if (g["folder"] or "").strip("/") == seed_info.lyon_previous_folder
    )
    assert previous["report_due"] == seed_info.cr_financier_due.isoformat()


def test_api_obligations_documents_and_audit(synced_client: FlaskClient) -> None:
    obligations = synced_client.get("/api/v1/obligations").get_json()["obligations"]
    assert any(o["kind"] == "financial_report" for o in obligations)
    since = datetime(2000, 1, 1, tzinfo=UTC).date().isoformat()
    documents = synced_client.get(f"/api/v1/documents?changed_since={since}").get_json()[
        "documents"
    ]
    assert documents == []  # a first sync mirrors the tree without logging it as activity
    assert synced_client.get("/api/v1/documents?changed_since=yesterday").status_code == 400
    audit = synced_client.get("/api/v1/shares/audit").get_json()  # first use: audits once
    assert audit["findings"][0]["kind"] == "public_link_no_password" and audit["at"]
    again = synced_client.get("/api/v1/shares/audit").get_json()
    assert again["at"] == audit["at"], "later reads come from the cache, not from Nextcloud"
    refreshed = synced_client.post("/api/v1/shares/audit").get_json()
    assert refreshed["at"] > audit["at"] and refreshed["findings"] == audit["findings"]


def test_grants_page_shows_completeness_and_next_deadline(
    synced_client: FlaskClient, seed_info: SeedInfo
) -> None:
    page = synced_client.get("/grants").get_data(as_text=True)
    assert "Région Auvergne-Rhône-Alpes" in page
    assert seed_info.region_deadline.isoformat() in page
    assert 'value="100"' in page
    for url in ("/documents", "/shares"):
        assert synced_client.get(url).status_code == 200


def test_open_url_keeps_the_fileid_number() -> None:
    assert changes_service.open_url("https://nc.example/", "00000173ocabcdef") == (
        "https://nc.example/index.php/f/173"
    )
    assert changes_service.open_url("https://nc.example", None) is None


def test_dossier_page_links_each_file_to_nextcloud(
    synced_client: FlaskClient, dossiers: dict[str, Dossier], seed_info: SeedInfo
) -> None:
    lyon = dossiers[seed_info.lyon_folder]
    files = [f for f in lyon.files if not f.is_folder]
    assert files and all(f.fileid for f in files)
    page = synced_client.get("/grants/" + quote(lyon.key, safe="/:")).get_data(as_text=True)
    for f in files:
        number = (changes_service.open_url("", f.fileid) or "").rsplit("/", 1)[-1]
        assert f'/index.php/f/{number}" translate="no">{escape(f.name)}</a>' in page
