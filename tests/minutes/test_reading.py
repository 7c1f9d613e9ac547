"""The pure readers: fields of a PV, actions, the hash chain, the handover checklist."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecar.projection.actions import action_key, due_date, owner_email, read_actions
from sidecar.projection.handover import ChecklistItem, Holding, is_closed, merge
from sidecar.projection.inputs import MemberInfo, Seat
from sidecar.projection.minutes import find_date, is_signed_pdf, read_minutes, resolution
from sidecar.projection.register import (
    GENESIS,
    ChainHead,
    RegisterEntry,
    entry_fields,
    hash_of,
    verify,
)
from sidecar.services.minutes_text import UnreadableMinutes, extract_text
from tests.minutes.documents import docx, odt, pdf

SEATS = (
    Seat(MemberInfo(1, "Marie Curie", "marie@example.org", "marie"), "présidente"),
    Seat(MemberInfo(2, "Bernard Lefèvre", "bernard@example.org", "bernard"), "trésorier"),
    Seat(MemberInfo(3, "Marie-Hélène Roux", "mh@example.org", None), "membre"),
)


def test_markdown_pv_with_bold_labels_and_phrases() -> None:
    facts = read_minutes(
        "# PV de l'assemblée générale du 7 mars 2026\n"
        "**Lieu** : salle des fêtes\n"
        "**Convocation** : courrier du 20 février 2026\n"
        "**Ordre du jour** :\n- rapport moral\n- rapport financier\n\n"
        "12 membres présents et 3 membres représentés.\n"
        "**Représentés** : Jean (pouvoir à Marie), Paul (procuration à Bernard)\n"
        "Quorum : non atteint\n"
        "Présidence : Marie Curie\nSecrétaire : Bernard Lefèvre\n"
        "Le rapport moral est adopté à l'unanimité.\n"
        "Fait à Lyon. Signé : la présidente\n"
    )
    assert facts.day == date(2026, 3, 7)
    assert facts.place == "salle des fêtes" and facts.agenda == (
        "rapport moral",
        "rapport financier",
    )
    assert facts.present_count == 12 and facts.represented_count == 3  # a number written wins
    assert facts.proxies == (("Jean", "Marie"), ("Paul", "Bernard"))
    assert facts.quorum_reached is False
    assert facts.chair == "Marie Curie" and facts.secretary == "Bernard Lefèvre"
    assert facts.resolutions[0].unanimous and facts.signatures


def test_votes_and_dates() -> None:
    found = resolution("Résolution 2 : pour 10 ; contre 2 ; abstentions 1")
    assert found is not None and (found.votes_for, found.against, found.abstentions) == (10, 2, 1)
    assert found.counted == 13
    assert resolution("Point d'information, pas de vote.") is None
    assert find_date("séance du 1er avril 2026") == date(2026, 4, 1)
    assert find_date("le 31/02/2026 puis le 2026-03-01") == date(2026, 3, 1)
    assert is_signed_pdf("PV AG 2026 signé.pdf") and not is_signed_pdf("PV AG 2026.pdf")


def test_actions_three_ways_and_year_inference() -> None:
    text = (
        "Action : Marie — relancer la mairie avant le 15/01\n"
        "- [x] Bernard : payer la cotisation (échéance 28/02/2027)\n"
        "☐ Marie-Hélène : réserver la salle pour le 3 mars\n"
        "| Qui | Quoi | Échéance |\n|---|---|---|\n| Bernard | Déposer le dossier | 30/06/2027 |\n"
    )
    items = read_actions(text, date(2026, 12, 5), SEATS)
    assert [(i.owner, i.title, i.due, i.done) for i in items] == [
        ("Marie", "relancer la mairie", date(2027, 1, 15), False),
        ("Bernard", "payer la cotisation", date(2027, 2, 28), True),
        ("Marie-Hélène", "réserver la salle", date(2027, 3, 3), False),
        ("Bernard", "Déposer le dossier", date(2027, 6, 30), False),
    ]
    assert [i.owner_email for i in items] == [
        "marie@example.org",
        "bernard@example.org",
        "mh@example.org",
        "bernard@example.org",
    ]
    # the key ignores case and accents, so re-typing the PV does not make a new task
    assert action_key("Marie", "Relancer la MAIRIE") == action_key("marie", "relancer la mairie")
    assert due_date("avant le 10/12", date(2026, 12, 5)) == date(2026, 12, 10)
    assert owner_email("Paul", SEATS) is None


def _chain(n: int) -> list[RegisterEntry]:
    entries: list[RegisterEntry] = []
    previous = GENESIS
    for seq in range(1, n + 1):
        draft = RegisterEntry(seq, f"uid{seq}", "2026-03-07", "CA", f"/PV {seq}.pdf", str(seq),
                              f'"e{seq}"', "a" * 64, "chloe", "officer",
                              datetime(2026, 3, 14, tzinfo=UTC), previous, "")  # fmt: skip
        entry = replace(draft, entry_hash=hash_of(entry_fields(draft)))
        entries.append(entry)
        previous = entry.entry_hash
    return entries


FIELDS = ("meeting_uid", "meeting_day", "body_code", "path", "fileid", "etag", "sha256", "approved_by", "approved_via")  # fmt: skip


@given(st.integers(1, 6), st.data())
def test_any_changed_field_or_removed_entry_breaks_the_chain(n: int, data: st.DataObject) -> None:
    entries = _chain(n)
    head = ChainHead(n, entries[-1].entry_hash)
    assert verify(entries, head).ok
    index = data.draw(st.integers(0, n - 1))
    name = data.draw(st.sampled_from(FIELDS))
    tampered = list(entries)
    tampered[index] = replace(entries[index], **{name: getattr(entries[index], name) + "x"})
    check = verify(tampered, head)
    assert not check.ok and check.broken_at == index + 1 and check.reason == "hash"
    removed = entries[:index] + entries[index + 1 :]
    assert not verify(removed, head).ok  # the last entry too: the head shows the lost tail
    # the tail cut off: a valid chain, shorter than its head
    check = verify(entries[:index], head)
    assert not check.ok and check.broken_at == index + 1 and check.reason == "head"
    assert not verify(entries, None).ok and verify([], None).ok


def test_checklist_merge() -> None:
    recorded = [
        ChecklistItem("dossier", "1", "Ville", "", False),
        ChecklistItem("share", "9", "/Compta", "", True, "marked"),
    ]
    merged = merge(
        recorded, [Holding("share", "9", "/Compta"), Holding("api_token", "4", "tableur")]
    )
    assert [(i.kind, i.done, i.done_how, i.held) for i in merged] == [
        ("dossier", True, "gone", False),
        ("share", True, "marked", True),  # ticked by hand, but the inventory still finds it
        ("api_token", False, None, True),
    ]
    # the ticked share still held keeps the checklist open
    assert not is_closed(merged) and not is_closed(merged[:2]) and is_closed(merged[:1])
    # once the inventory no longer finds it, the tick stands
    again = merge(merged[:2], [])
    assert [(i.done, i.done_how, i.held) for i in again] == [
        (True, "gone", False),
        (True, "marked", False),
    ]
    assert is_closed(again) and is_closed([])


def test_unreadable_files_say_what_to_do() -> None:
    assert "Présents (3)" in extract_text("pv.odt", odt(["Présents (3) : A, B, C"]))
    assert "Qui | Quoi" in extract_text("pv.docx", docx(["x"], [["Qui", "Quoi"], ["A", "B"]]))
    assert "Lieu : Lyon" in extract_text("pv.pdf", pdf(["Lieu : Lyon"]))
    assert extract_text("pv.md", b"# PV\nLieu : Lyon") == "# PV\nLieu : Lyon"
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("content.xml", b"\0" * (60 * 1024 * 1024))
    with pytest.raises(UnreadableMinutes, match="inflates"):
        extract_text("pv.odt", bomb.getvalue())
    with pytest.raises(UnreadableMinutes, match="save it again"):
        extract_text("pv.docx", b"not a zip")
    with pytest.raises(UnreadableMinutes, match=r"could not be opened|no text layer"):
        extract_text("pv.pdf", b"%PDF-1.4\n% demo\n")


def test_the_pdf_export_is_paginated_and_the_csv_defuses_formulas() -> None:
    from pypdf import PdfReader

    from sidecar.services.register_export import to_csv, to_pdf

    entries = _chain(60)
    data = to_pdf(
        entries,
        title="Registre des délibérations — Jardins",
        headers=(
            "Réunion",
            "Instance",
            "Fichier",
            "Approuvé le",
            "Approuvé par",
            "SHA-256",
            "Empreinte",
        ),
        verdict="Chaîne vérifiée",
        made_at=datetime(2026, 12, 3, tzinfo=UTC),
        footer="Page {page} sur {pages}",
    )
    pages = PdfReader(io.BytesIO(data)).pages
    assert len(pages) >= 3
    last = pages[-1].extract_text()
    assert f"Page {len(pages)} sur {len(pages)}" in last and entries[-1].entry_hash in last
    csv_text = to_csv([replace(entries[0], path="=HYPERLINK(1)")])
    assert csv_text.startswith("\ufeffseq,") and ",'=HYPERLINK(1)," in csv_text
