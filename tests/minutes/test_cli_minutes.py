"""``quorum minutes scan | verify | export`` on a synced demo association."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import update

from sidecar.cli import cli
from sidecar.context import Services
from sidecar.demo import DemoServer
from sidecar.demo.seed import CA_FOLDER
from sidecar.storage.models import RegisterEntryRecord
from tests.minutes.documents import clean_pv, pdf
from tests.minutes.guard import lift_guard
from tests.minutes.test_register import past_meeting_day
from tests.sync.helpers import alice_files, sync


def test_scan_verify_export_and_a_tampered_register(
    fresh_demo_server: DemoServer, fresh_synced: tuple[Services, int], tmp_path: Path
) -> None:
    services, source_id = fresh_synced
    day = past_meeting_day(fresh_demo_server)
    alice_files(fresh_demo_server.url).put(
        f"{CA_FOLDER}/{day}/PV CA {day} signé.pdf", pdf(clean_pv(day)), if_none_match=True
    )
    sync(services, source_id)
    env = {
        "QUORUM_DATA_DIR": str(services.settings.data_dir),
        "QUORUM_DATABASE_URL": services.settings.effective_database_url,
        "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    runner = CliRunner()

    scanned = runner.invoke(cli, ["minutes", "scan"], env=env, catch_exceptions=False)
    assert "1 signed PDF approved" in scanned.output
    verified = runner.invoke(cli, ["minutes", "verify"], env=env)
    assert verified.exit_code == 0 and "1 entry, not altered" in verified.output
    for name in ("registre.pdf", "registre.csv"):
        done = runner.invoke(cli, ["minutes", "export", str(tmp_path / name)], env=env)
        assert done.exit_code == 0, done.output
    text = PdfReader(tmp_path / "registre.pdf").pages[0].extract_text()
    assert "Registre des délibérations" in text and "Page 1 sur 1" in text
    # the same words as the page's export (one wording, from the catalogue)
    assert "Chaîne vérifiée : 1 entrée," in text and "Empreinte de l'entrée" in text
    assert "(Europe/Paris)" in text and "(UTC)" not in text  # the association's zone
    assert (tmp_path / "registre.csv").read_text(encoding="utf-8").count("\n") == 2

    lift_guard(services)  # the database refuses the UPDATE otherwise
    with services.db.session() as session:
        session.execute(update(RegisterEntryRecord).values(approved_by="quelqu'un d'autre"))
    altered = runner.invoke(cli, ["minutes", "verify"], env=env)
    assert altered.exit_code == 1 and "entry 1 does not verify" in altered.output
