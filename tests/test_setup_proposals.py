"""Guided setup proposals from names and contents, French and English (pure, no server)."""

from __future__ import annotations

import pytest

from sidecar.services.setup import (
    CalendarSample,
    FolderSample,
    SampleEvent,
    SourceSample,
    body_code,
    propose,
    propose_calendar,
    propose_folder,
)


def _cal(name: str, *summaries: str, todo: bool = False) -> CalendarSample:
    events = tuple(SampleEvent(s, "VTODO" if todo else "VEVENT") for s in summaries)
    return CalendarSample(f"/cal/{name}/", name.lower(), name, events=events)


@pytest.mark.parametrize(
    ("calendar", "role"),
    [
        (_cal("Agenda partagé", *["Conseil d'administration"] * 12, "Pique-nique"), "meetings"),
        (_cal("Shared", "Board meeting", "Board meeting", "Annual general meeting"), "meetings"),
        (_cal("Club", "Entraînement U11", "Match contre Lyon", "Tournoi"), "activities"),
        (_cal("Tasks", "Submit the report", "Renew insurance", todo=True), "deadlines"),
        (_cal("Misc", "Date limite dépôt FDVA", "Déclaration en préfecture"), "deadlines"),
        (_cal("Anniversaires", "Anniversaire Paul"), "ignore"),
        (_cal("Sans nom"), "ignore"),  # empty and says nothing: ignored, visibly
    ],
)
def test_calendar_roles_from_names_and_contents(calendar: CalendarSample, role: str) -> None:
    proposal = propose_calendar(calendar)
    assert proposal.role == role
    assert proposal.evidence  # always a reason shown


def test_evidence_counts_the_meetings_by_name() -> None:
    proposal = propose_calendar(_cal("Agenda", *["Conseil d'administration"] * 12))
    texts = [e.text() for e in proposal.evidence]
    assert "12 events named “Conseil d'administration”" in texts


@pytest.mark.parametrize(
    ("folder", "role"),
    [
        (FolderSample("/Vie statutaire/", ("CA/", "AG/", "CA/2026-03-07/PV.pdf")), "governance"),
        (FolderSample("/Board/", ("Minutes 2026-03-07.pdf", "Agenda.pdf")), "governance"),
        (
            FolderSample("/Dossiers/", ("Ville de Lyon 2027/", "Fondation de France 2026/")),
            "grants",
        ),
        (FolderSample("/Funding/", ("cerfa.pdf", "RIB.pdf")), "grants"),
        (FolderSample("/Compta/", ("Bilan 2025.pdf", "Grand livre.ods")), "sensitive"),
        (FolderSample("/Treasury/", ()), "sensitive"),
        (FolderSample("/Com/", ("affiche.png", "logo.svg")), "communication"),
        (FolderSample("/Divers/", ("notes.txt",)), "documents"),
    ],
)
def test_folder_roles_from_names_and_contents(folder: FolderSample, role: str) -> None:
    assert propose_folder(folder).role == role


def test_bodies_from_the_meetings_with_folder_and_attendees() -> None:
    attendees = (("karim@vbc.example", "Karim"), ("lea@vbc.example", "Léa"))
    meetings = CalendarSample(
        "/cal/vie/",
        "vie",
        "Vie du club",
        events=(
            SampleEvent("Comité directeur", "VEVENT", attendees=attendees, recurring=True),
            SampleEvent("AGO 2026", "VEVENT", attendees=attendees[:1]),
        ),
    )
    folders = (FolderSample("/Instances/", ("AG/", "Comité directeur/")),)
    sample = SourceSample((meetings,), folders, {"karim@vbc.example": "karim"})
    bodies = {b.code: b for b in propose(sample).bodies}
    assert set(bodies) == {"CD", "AG"}
    assert bodies["CD"].name == "Comité directeur" and bodies["CD"].kind == "bureau"
    assert bodies["CD"].folder == "Instances/Comité directeur"
    assert bodies["AG"].folder == "Instances/AG"
    assert ("karim@vbc.example", "Karim", "karim") in bodies["CD"].members


def test_body_codes() -> None:
    assert body_code("Conseil d'administration") == "CA"
    assert body_code("Assemblée générale") == "AG"
    assert body_code("Bureau") == "BUREAU"


def test_meeting_folder_convention_follows_the_dated_folders() -> None:
    meetings = CalendarSample(
        "/cal/ca/", "ca", "CA", events=(SampleEvent("Conseil d'administration", "VEVENT"),)
    )
    french = FolderSample("/CA/", ("07-03-2026/", "07-03-2026/PV.pdf", "04-04-2026/"))
    assert propose(SourceSample((meetings,), (french,))).meeting_folder == (
        "{body_folder}/{date:%d-%m-%Y}/"
    )
    iso = FolderSample("/CA/", ("2026-03-07/", "2026-04-04/"))
    assert propose(SourceSample((meetings,), (iso,))).meeting_folder is None  # the default
