"""Grants, obligations and the sharing audit against the demo Nextcloud (synced once)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from sidecar import grants as service
from sidecar.config import load_settings
from sidecar.context import Services, resolve_association
from sidecar.demo.seed import SeedInfo
from sidecar.demo.server import DemoServer
from sidecar.demo_run import connect_demo_source
from sidecar.projection.grants import Dossier
from sidecar.projection.obligations import Obligation
from sidecar.sync.runner import run_source

pytestmark = pytest.mark.usefixtures("signed_in_admin")  # pages and API need a user


@pytest.fixture(scope="module")
def synced(demo_server: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """One database synced from the shared demo server, for every test of this module."""
    data_dir: Path = tmp_path_factory.mktemp("grants-demo")
    services = Services.from_settings(
        load_settings(
            environ={}, overrides={"data_dir": str(data_dir), "allow_private_addresses": "true"}
        )
    )
    source_id = connect_demo_source(services, demo_server.url)
    run_source(services.db, services.vault, source_id)
    yield services
    services.db.dispose()


@pytest.fixture(scope="module")
def info(demo_server: DemoServer) -> SeedInfo:
    assert demo_server.seed_info is not None
    return demo_server.seed_info


@pytest.fixture(scope="module")
def dossiers(synced: Services, info: SeedInfo) -> dict[str, Dossier]:
    with synced.db.session() as session:
        association = resolve_association(session, None)
        found = service.dossiers(session, association, info.today)
    return {(d.folder or d.key).strip("/"): d for d in found}


@pytest.fixture(scope="module")
def client(synced: Services) -> FlaskClient:
    from sidecar.web import create_app

    return create_app({"TESTING": True}, services=synced).test_client()


def test_complete_dossier(dossiers: dict[str, Dossier], info: SeedInfo) -> None:
    lyon = dossiers[info.lyon_folder]
    assert lyon.completeness == 100
    assert lyon.submission_deadline == info.lyon_deadline


def test_dossier_missing_rib_and_approved_accounts(
    dossiers: dict[str, Dossier], info: SeedInfo
) -> None:
    region = dossiers[info.region_folder]
    assert sorted(p.key for p in region.missing) == ["accounts", "rib"]
    assert region.completeness is not None and region.completeness < 100
    assert region.submission_deadline == info.region_deadline


def test_report_due_six_months_after_financial_year_end(synced: Services, info: SeedInfo) -> None:
    with synced.db.session() as session:
        association = resolve_association(session, None)
        found: list[Obligation] = service.obligations(session, association, info.today)
    [report] = [o for o in found if o.kind == "financial_report"]
    assert report.due == info.cr_financier_due
    assert report.subject.rstrip("/").endswith(info.lyon_previous_folder)


def test_sharing_audit_flags_the_public_accounts_link_not_the_board_share(
    synced: Services, info: SeedInfo
) -> None:
    with synced.db.session() as session:
        association = resolve_association(session, None)
        result = service.share_audit(session, association, synced.vault, info.today)
    assert result.share_count == 4
    flagged = {(f.kind, f.path) for f in result.findings}
    assert ("public_link_no_password", "/Comptabilité") in flagged
    assert not [f for f in result.findings if f.path == "/Subventions"]  # group CA = the board
    assert ("outside_members", "/Communication") in flagged  # marc.externe


def test_api_grants_json(client: FlaskClient, info: SeedInfo) -> None:
    answer = client.get("/api/v1/grants")
    assert answer.status_code == 200
    grants: list[dict[str, Any]] = answer.get_json()["grants"]
    region = next(g for g in grants if (g["folder"] or "").strip("/") == info.region_folder)
    states = {p["name"]: p["state"] for p in region["pieces"]}
    assert states["RIB"] == "missing"
    assert region["next_deadline"] == info.region_deadline.isoformat()
    previous = next(
        g for g in grants if (g["folder"] or "").strip("/") == info.lyon_previous_folder
    )
    assert previous["report_due"] == info.cr_financier_due.isoformat()


def test_api_obligations_documents_and_audit(client: FlaskClient) -> None:
    obligations = client.get("/api/v1/obligations").get_json()["obligations"]
    assert any(o["kind"] == "financial_report" for o in obligations)
    since = datetime(2000, 1, 1, tzinfo=UTC).date().isoformat()
    documents = client.get(f"/api/v1/documents?changed_since={since}").get_json()["documents"]
    assert documents == []  # a first sync mirrors the tree without logging it as activity
    assert client.get("/api/v1/documents?changed_since=yesterday").status_code == 400
    audit = client.get("/api/v1/shares/audit").get_json()
    assert audit["findings"][0]["kind"] == "public_link_no_password"


def test_grants_page_shows_completeness_and_next_deadline(
    client: FlaskClient, info: SeedInfo
) -> None:
    page = client.get("/grants").get_data(as_text=True)
    assert "Région Auvergne-Rhône-Alpes" in page
    assert info.region_deadline.isoformat() in page
    assert 'value="100"' in page
    for url in ("/documents", "/shares"):
        assert client.get(url).status_code == 200


def test_open_url_keeps_the_fileid_number() -> None:
    assert service.open_url("https://nc.example/", "00000173ocabcdef") == (
        "https://nc.example/index.php/f/173"
    )
    assert service.open_url("https://nc.example", None) is None
