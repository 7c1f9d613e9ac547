"""The register's exports write times in the association's time zone, naming it, and agree
with their counts (« 1 entrée », « 2 entrées »)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from pypdf import PdfReader

from sidecar.projection.register import ChainCheck, RegisterEntry
from sidecar.services import register_export

APPROVED = datetime(2026, 7, 1, 16, 5, tzinfo=UTC)  # 18:05 in Paris (summer time)


def _entry(seq: int) -> RegisterEntry:
    return RegisterEntry(
        seq, "uid", "2026-06-30", "CA", "/CA/PV.pdf", "1", "e", "a" * 64, "officer",
        "officer", APPROVED, "0" * 64, "b" * 64,
    )  # fmt: skip


def _pdf_text(entries: list[RegisterEntry], language: str) -> str:
    data = register_export.pdf_in(
        entries,
        ChainCheck(True, len(entries)),
        name="Club",
        language=language,
        made_at=APPROVED,
        tz="Europe/Paris",
    )
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_shows_times_in_the_association_zone_with_its_name() -> None:
    text = _pdf_text([_entry(1)], "fr")
    assert "UTC" not in text and "16:05" not in text
    assert "18:05" in text and "Europe/Paris" in text
    assert "1 entrée," in text, "the count agrees with its noun"
    assert "2 entrées" in _pdf_text([_entry(1), _entry(2)], "fr")


def test_the_csv_adds_the_local_time_beside_the_hashed_one() -> None:
    rows = list(
        csv.DictReader(io.StringIO(register_export.to_csv([_entry(1)], tz="Europe/Paris")[1:]))
    )
    assert rows[0]["approved_at"] == APPROVED.isoformat(), "the hashed value stays as it is"
    assert rows[0]["approved_at_local"] == "2026-07-01 18:05 Europe/Paris"
