"""Grant dossiers, pieces and obligations from plain inputs, with a fixed clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from itertools import count

import pytest

from sidecar.projection.grants import (
    DEFAULT_CHECKLIST,
    Dossier,
    GrantConventions,
    GrantRecord,
    PieceTick,
    find_dossiers,
    last_closed_year,
    match_pieces,
    normalise,
    split_funder_year,
)
from sidecar.projection.inputs import EventInstance, FileInfo
from sidecar.projection.obligations import (
    OfficerChange,
    accounts_publications,
    add_months,
    all_obligations,
    financial_reports,
)

TODAY = date(2026, 11, 26)
CONVENTIONS = GrantConventions()
LYON = "Subventions/Ville de Lyon 2027/"
REGION = "Subventions/Région Auvergne-Rhône-Alpes 2027/"
PREVIOUS = "Subventions/Ville de Lyon 2025/"
_IDS = count(1)
COMMON = (
    "Statuts.pdf",
    "Rapport d'activité 2025.pdf",
    "Liste des dirigeants.pdf",
    "Budget prévisionnel 2027.ods",
)


def _files(folder: str, names: tuple[str, ...]) -> list[FileInfo]:
    stamp = datetime(2026, 11, 1, tzinfo=UTC)
    folder_row = FileInfo(id=next(_IDS), path=folder, is_folder=True)
    return [folder_row] + [
        FileInfo(id=next(_IDS), path=folder + n, is_folder=False, mtime=stamp) for n in names
    ]


def _tree() -> list[FileInfo]:
    return [
        FileInfo(id=1, path="Subventions/", is_folder=True),
        *_files(
            LYON,
            ("cerfa_12156-06.pdf", "RIB Crédit Mutuel.pdf", "Comptes 2025 approuvés.pdf", *COMMON),
        ),
        *_files(REGION, ("Cerfa 12156 Région.pdf", *COMMON)),
        *_files(PREVIOUS, ("Convention signée.pdf", "Notification d'attribution.pdf")),
        FileInfo(id=900, path="Comptabilité/Comptes 2025 approuvés.pdf", is_folder=False),
    ]


def _deadline(summary: str, day: date, *, todo: bool = False, uid: str = "x") -> EventInstance:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return EventInstance(
        occurrence_id=next(_IDS),
        calendar_id=1,
        calendar_role="deadlines",
        calendar_name="Échéances",
        uid=uid,
        recurrence_id="",
        component="VTODO" if todo else "VEVENT",
        summary=summary,
        start=None if todo else start,
        end=None,
        all_day=not todo,
        status="NEEDS-ACTION" if todo else None,
        due=day.isoformat() if todo else None,
    )


EVENTS = [
    _deadline("Date limite — dossier Ville de Lyon 2027", date(2026, 12, 8)),
    _deadline("Date limite — dossier Région Auvergne-Rhône-Alpes 2027", date(2026, 12, 29)),
    _deadline("Compte-rendu financier Ville de Lyon 2025", date(2026, 6, 30), todo=True),
]


def _dossiers() -> dict[str, Dossier]:
    found = find_dossiers(_tree(), EVENTS, [], [], CONVENTIONS, TODAY)
    return {d.folder or d.key: d for d in found}


def test_names_are_normalised_without_accents_case_or_punctuation() -> None:
    assert normalise("RIB Crédit_Mutuel.PDF") == "rib credit mutuel pdf"
    assert split_funder_year("Région Auvergne-Rhône-Alpes 2027") == (
        "Région Auvergne-Rhône-Alpes",
        2027,
    )
    assert split_funder_year("Fondation de France") == ("Fondation de France", None)


def test_complete_dossier_finds_every_piece_in_real_file_names() -> None:
    lyon = _dossiers()[LYON]
    assert lyon.funder == "Ville de Lyon" and lyon.year == 2027
    assert lyon.completeness == 100
    files = {p.key: p.file.name for p in lyon.pieces if p.file}
    assert files["rib"] == "RIB Crédit Mutuel.pdf"
    assert files["form"] == "cerfa_12156-06.pdf"
    assert files["accounts"] == "Comptes 2025 approuvés.pdf"
    assert "convention" not in files  # no amount recorded: not above 23 000 €
    assert lyon.submission_deadline == date(2026, 12, 8)


def test_dossier_missing_rib_and_approved_accounts() -> None:
    region = _dossiers()[REGION]
    assert [p.key for p in region.missing] == ["rib", "accounts"]
    assert region.completeness == round(100 * 5 / 7)
    assert region.submission_deadline == date(2026, 12, 29)


def test_accounts_older_than_last_closed_year_are_stale() -> None:
    files = _files(LYON, ("Comptes 2024 approuvés.pdf",))
    pieces = match_pieces(DEFAULT_CHECKLIST, files, amount_cents=None, closed_year=2025)
    accounts = next(p for p in pieces if p.key == "accounts")
    assert accounts.state == "stale"
    assert accounts.file is not None and accounts.file.name == "Comptes 2024 approuvés.pdf"


def test_last_closed_year_follows_the_financial_year_end() -> None:
    assert last_closed_year(TODAY, "12-31") == 2025
    assert last_closed_year(TODAY, "06-30") == 2026
    assert last_closed_year(date(2026, 6, 30), "06-30") == 2025


def test_convention_follows_the_award_above_23000_euros_and_tick_by_hand() -> None:
    """An open request of 30 000 € is not asked for a convention; once awarded above
    23 000 € the signed convention is required (here ticked by hand)."""
    request = GrantRecord(
        id=7, funder="Ville de Lyon", year=2027, folder=LYON, amount_requested_cents=30_000_00
    )
    found = find_dossiers(_tree(), EVENTS, [request], [], CONVENTIONS, TODAY)
    lyon = next(d for d in found if d.key == "g7")
    assert "convention" not in {p.key for p in lyon.pieces} and lyon.completeness == 100
    awarded = replace(request, status="awarded", amount_awarded_cents=30_000_00, confirmed=True)
    found = find_dossiers(_tree(), EVENTS, [awarded], [], CONVENTIONS, TODAY)
    lyon = next(d for d in found if d.key == "g7")
    assert [p.key for p in lyon.missing] == ["convention"]
    tick = PieceTick(grant_id=7, piece_key="convention", link="https://example.org/conv.pdf")
    found = find_dossiers(_tree(), EVENTS, [awarded], [tick], CONVENTIONS, TODAY)
    lyon = next(d for d in found if d.key == "g7")
    convention = next(p for p in lyon.pieces if p.key == "convention")
    assert convention.state == "ticked" and convention.link.endswith("conv.pdf")
    assert lyon.completeness == 100
    assert sum(1 for d in found if d.folder == LYON) == 1  # the record claims the folder


def test_small_awarded_grant_needs_no_convention() -> None:
    small = GrantRecord(
        id=8, funder="Ville de Lyon", year=2027, folder=LYON, status="awarded",
        amount_awarded_cents=5_000_00,
    )  # fmt: skip
    [lyon] = [d for d in find_dossiers(_tree(), [], [small], [], CONVENTIONS, TODAY) if d.record]
    assert "convention" not in {p.key for p in lyon.pieces}


def test_awarded_dossier_still_has_a_completeness() -> None:
    previous = _dossiers()[PREVIOUS]
    assert previous.status == "awarded"
    assert previous.completeness is not None and previous.completeness < 100
    assert "rib" in {p.key for p in previous.missing}


def test_deadline_attaches_by_words_whatever_their_order_and_accents() -> None:
    folder = "Subventions/Région AURA - FDVA 2027/"
    tree = [FileInfo(id=1, path="Subventions/", is_folder=True), *_files(folder, ("RIB.pdf",))]
    events = [
        _deadline("Date limite dépôt – FDVA 2027 (Région AURA)", date(2027, 1, 15)),
        _deadline("REGION aura fdva : depot", date(2027, 1, 10), uid="y"),
    ]
    found = find_dossiers(tree, events, [], [], CONVENTIONS, TODAY)
    assert [d.folder for d in found] == [folder]
    assert len(found[0].deadline_events) == 2
    assert found[0].submission_deadline == date(2027, 1, 10)


def test_a_todo_about_a_dossier_makes_no_phantom_dossier() -> None:
    folder = "Subventions/Région AURA - FDVA 2027/"
    tree = [FileInfo(id=1, path="Subventions/", is_folder=True), *_files(folder, ("RIB.pdf",))]
    todo = _deadline("Déposer le dossier FDVA sur le portail", date(2027, 1, 12), todo=True)
    vague = _deadline("Déposer le dossier sur le portail", date(2027, 1, 13), todo=True, uid="v")
    found = find_dossiers(tree, [todo, vague], [], [], CONVENTIONS, TODAY)
    assert [d.folder for d in found] == [folder]  # neither "FDVA sur le portail" nor "sur le…"
    assert found[0].deadline_events == (todo,)


def test_a_deadline_naming_a_new_funder_makes_a_dossier() -> None:
    """A lone kind of funder ("Région", "la mairie") says which dossier nobody can tell: it
    makes none; a name or a programme does ("Région AURA", "Fondation Sport Avenir", "FDVA")."""
    event = _deadline("Date limite — dossier Fondation Sport Avenir 2027", date(2027, 2, 1))
    task = _deadline("Envoyer le dossier Région sur le portail", date(2027, 2, 3), uid="r")
    found = {d.funder: d for d in find_dossiers([], [event, task], [], [], CONVENTIONS, TODAY)}
    assert set(found) == {"Fondation Sport Avenir"}
    assert found["Fondation Sport Avenir"].year == 2027


@pytest.mark.parametrize(
    ("summary", "funder", "year"),
    [
        ("Date limite dépôt – FDVA 2027 (Région AURA)", "FDVA Région AURA", 2027),
        ("Date limite FDVA 2027", "FDVA", 2027),
        ("Fondation de France : date limite 2027", "Fondation de France", 2027),
        ("Appel à projets Ville de Lyon", "Ville de Lyon", None),
        ("Date limite ANS 2027", "ANS", 2027),
        ("Dépôt Agence nationale du sport 2027", "Agence nationale du sport", 2027),
    ],
)
def test_a_deadline_naming_a_funder_without_the_word_dossier_makes_one(
    summary: str, funder: str, year: int | None
) -> None:
    [dossier] = find_dossiers(
        [], [_deadline(summary, date(2027, 1, 15))], [], [], CONVENTIONS, TODAY
    )
    assert (dossier.funder, dossier.year, dossier.folder) == (funder, year, None)
    todo = _deadline(summary, date(2027, 1, 15), todo=True)
    assert [d.funder for d in find_dossiers([], [todo], [], [], CONVENTIONS, TODAY)] == [funder]


@pytest.mark.parametrize(
    "summary",
    [
        "Dossier fête des 10 ans du club",  # "ans": years, not the Agence nationale du sport
        "Date limite inscriptions — tournoi des 20 ans",
        "Envoyer le dossier Région sur le portail",  # which Région?
        "Relancer la mairie",
        "Déclaration en préfecture — changement de bureau",  # an obligation, not a grant
        "Date limite dépôt",
    ],
)
def test_no_dossier_without_a_clearly_named_funder(summary: str) -> None:
    assert (
        find_dossiers([], [_deadline(summary, date(2027, 1, 15))], [], [], CONVENTIONS, TODAY) == []
    )


def test_same_funder_other_year_is_not_attached() -> None:
    folder = "Subventions/Région AURA - FDVA 2027/"
    tree = [FileInfo(id=1, path="Subventions/", is_folder=True), *_files(folder, ("RIB.pdf",))]
    old = _deadline("Date limite dépôt – FDVA 2026 (Région AURA)", date(2026, 1, 15))
    found = find_dossiers(tree, [old], [], [], CONVENTIONS, TODAY)
    assert found[0].folder == folder and found[0].deadline_events == ()


def test_awarded_dossier_report_due_six_months_after_financial_year_end() -> None:
    previous = _dossiers()[PREVIOUS]
    assert previous.status == "awarded"
    assert previous.report_event_due == date(2026, 6, 30)
    [report] = financial_reports(list(_dossiers().values()), "12-31", TODAY)
    assert report.due == date(2026, 6, 30)
    assert report.status == "overdue"
    assert report.subject == previous.key


def test_report_brought_forward_to_a_new_request_to_the_same_funder() -> None:
    today = date(2026, 1, 10)
    events = [_deadline("Date limite — dossier Ville de Lyon 2027", date(2026, 3, 1))]
    found = find_dossiers(_tree(), events, [], [], CONVENTIONS, today)
    [report] = financial_reports(found, "12-31", today)
    assert report.due == date(2026, 3, 1)
    assert report.reason == "before the new request to the same funder"


def test_prefecture_declaration_and_accounts_publication() -> None:
    records = [
        GrantRecord(
            id=i, funder=f"Funder {i}", year=2025, status="awarded", amount_awarded_cents=80_000_00
        )
        for i in (1, 2)
    ]
    found = find_dossiers([], [], records, [], CONVENTIONS, TODAY)
    [publication] = accounts_publications(found, "12-31", TODAY)
    assert publication.due == date(2026, 9, 30)
    change = OfficerChange(id=3, changed_on=date(2026, 10, 4), description="New treasurer")
    everything = all_obligations(found, [change], "12-31", TODAY)
    declaration = next(o for o in everything if o.kind == "prefecture_declaration")
    assert declaration.due == date(2027, 1, 4) and declaration.status == "upcoming"
    assert [o.due for o in everything] == sorted(o.due for o in everything)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [(date(2025, 8, 31), 6, date(2026, 2, 28)), (date(2025, 12, 31), 6, date(2026, 6, 30))],
)
def test_add_months_clamps_to_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_deadline_event_without_folder_makes_a_dossier() -> None:
    events = [_deadline("Date limite — dossier Fondation de France 2027", date(2027, 2, 1))]
    [dossier] = find_dossiers([], events, [], [], CONVENTIONS, TODAY)
    assert (dossier.funder, dossier.year, dossier.folder) == ("Fondation de France", 2027, None)
    assert dossier.completeness == 0
