"""Guided setup: what each calendar and top folder of a new source is for, with the evidence.

After a source is added, :mod:`sidecar.services.setup_apply` reads a sample of what it holds
(event names, attendees, folder and file names) into :class:`SourceSample`; :func:`propose`
turns it into one :class:`Proposal` per calendar and per top folder — a role and the evidence
behind it ("12 events named “Conseil d'administration”") — plus the bodies its meetings show.
Nothing is left without a role: a calendar nothing speaks for is proposed ``ignore`` and says
so, so the admin sees it and decides. Pure: samples in, proposals out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sidecar.projection.grants import names_funder
from sidecar.projection.meetings import KIND_WORDS, ORDINARY_WORDS
from sidecar.projection.readiness import has_word, normalise

CALENDAR_ROLES = ("meetings", "deadlines", "activities", "ignore")
FOLDER_ROLES = ("governance", "grants", "sensitive", "communication", "documents")

#: Calendar names that say what a calendar is for (normalised, whole words).
CALENDAR_NAME_HINTS: Mapping[str, tuple[str, ...]] = {
    "meetings": (
        "conseil", "ca", "bureau", "ag", "instances", "reunions", "reunion", "gouvernance",
        "vie associative", "vie du club", "comite", "board", "meetings", "governance",
    ),
    "deadlines": (
        "echeances", "echeance", "dates limites", "date limite", "deadlines", "deadline",
        "subventions", "subvention", "dossiers", "grants", "taches", "todo", "tasks",
    ),
    "activities": (
        "activites", "activite", "entrainements", "entrainement", "evenements", "agenda",
        "planning", "matchs", "animations", "ateliers", "activities", "events", "training",
    ),
    "ignore": (
        "personnel", "personal", "perso", "prive", "private", "anniversaires", "birthdays",
        "contact birthdays", "jours feries", "holidays", "vacances",
    ),
}  # fmt: skip
#: Words that make an event a deadline or a to-do about a dossier.
DEADLINE_WORDS = (
    "date limite", "echeance", "depot", "deposer", "dossier", "subvention", "rapport",
    "compte rendu financier", "declaration", "cerfa", "deadline", "due", "submit", "report",
    "renouvellement", "cotisation",
)  # fmt: skip
#: Words of ordinary activities, beyond the meetings projection's own.
ACTIVITY_WORDS = (
    *ORDINARY_WORDS, "entrainement", "match", "tournoi", "stage", "competition", "cours",
    "seance", "concert", "repetition", "permanence", "chantier", "visite", "game", "practice",
)  # fmt: skip

FOLDER_NAME_HINTS: Mapping[str, tuple[str, ...]] = {
    "governance": (
        "instances", "gouvernance", "vie associative", "vie statutaire", "conseil", "ca",
        "bureau", "ag", "assemblee generale", "assemblees", "comite directeur", "comite",
        "administration", "governance", "board", "statuts",
    ),
    "grants": (
        "subventions", "subvention", "financements", "financement", "financeurs", "partenaires",
        "dossiers de subvention", "grants", "funding", "mecenat",
    ),
    "sensitive": (
        "tresorerie", "comptabilite", "compta", "finances", "finance", "banque", "bank",
        "accounting", "treasury", "paie", "salaires", "rh", "ressources humaines", "adherents",
        "licencies", "membres", "payroll", "juridique",
    ),
    "communication": (
        "communication", "com", "presse", "press", "newsletter", "affiches", "photos", "media",
        "medias", "reseaux sociaux", "site web", "site internet", "logo", "flyers",
    ),
}  # fmt: skip
#: File and folder names below a top folder that tell its role (normalised, whole words).
FOLDER_CONTENT_HINTS: Mapping[str, tuple[str, ...]] = {
    "governance": (
        "proces verbal", "pv", "ordre du jour", "odj", "convocation", "compte rendu", "minutes",
        "agenda", "feuille de presence", "pouvoir", "statuts",
    ),
    "grants": (
        "cerfa", "12156", "rib", "budget previsionnel", "convention", "notification",
        "compte rendu financier", "15059", "demande de subvention", "attribution",
    ),
    "sensitive": (
        "bilan", "compte de resultat", "grand livre", "releve", "releves", "facture", "factures",
        "fiche de paie", "bulletin de salaire", "banque", "rapprochement", "comptes annuels",
        "liste des adherents", "adherents", "licencies",
    ),
    "communication": (
        "affiche", "flyer", "logo", "communique", "newsletter", "charte graphique", "photo",
        "plaquette", "banniere", "poster",
    ),
}  # fmt: skip
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".svg", ".gif", ".webp")
_DATE_RE = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2}|\d{2}[-.]\d{2}[-.]\d{4}|\d{8})(?!\d)")
_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_SMALL_WORDS = frozenset({"d", "de", "des", "du", "l", "la", "le", "les", "of", "the", "et"})


def N_(message: str) -> str:
    """Mark ``message`` for translation; pages translate it when they show the evidence."""
    return message


# --- samples (what was read from the source) --------------------------------------------


@dataclass(frozen=True)
class SampleEvent:
    """One calendar object as the setup needs it (the first instance of a series)."""

    summary: str
    component: str  # VEVENT | VTODO
    all_day: bool = False
    attendees: tuple[tuple[str, str], ...] = ()  # (e-mail, name)
    organizer: str = ""
    recurring: bool = False  # a series (RRULE or RDATE)


@dataclass(frozen=True)
class CalendarSample:
    href: str
    name: str
    display_name: str
    components: tuple[str, ...] = ("VEVENT",)
    events: tuple[SampleEvent, ...] = ()

    @property
    def label(self) -> str:
        return self.display_name or self.name


@dataclass(frozen=True)
class FolderSample:
    """A top folder and the paths below it (relative to the folder, folders end with "/")."""

    path: str  # "/Trésorerie/"
    below: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.path.strip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class SourceSample:
    calendars: tuple[CalendarSample, ...] = ()
    folders: tuple[FolderSample, ...] = ()
    #: Nextcloud user ids by e-mail, from the groups the account may list (may be empty).
    users_by_email: Mapping[str, str] = field(default_factory=dict)


# --- proposals --------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """One reason for a proposal: an English msgid with ``%(name)s`` params (pages translate)."""

    message: str
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self) -> str:
        return self.message % dict(self.params)


@dataclass(frozen=True)
class Proposal:
    """The role proposed for one calendar (``kind`` "calendar") or top folder ("folder")."""

    kind: str
    key: str  # the calendar's href or the folder's path
    label: str
    role: str
    evidence: tuple[Evidence, ...]
    choices: tuple[str, ...]


@dataclass(frozen=True)
class BodyProposal:
    """A body its meetings show, where its folder is, and who attended its meetings."""

    code: str
    name: str
    kind: str
    folder: str | None
    members: tuple[tuple[str, str, str], ...]  # (e-mail, name, Nextcloud user id or "")
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class SetupProposal:
    calendars: tuple[Proposal, ...]
    folders: tuple[Proposal, ...]
    bodies: tuple[BodyProposal, ...]
    meeting_folder: str | None  # a convention other than the default, when folders show one


def propose(sample: SourceSample) -> SetupProposal:
    """Every calendar and top folder with a role and its evidence, and the bodies seen."""
    calendars = tuple(propose_calendar(c) for c in sample.calendars)
    folders = tuple(propose_folder(f) for f in sample.folders)
    meeting_cals = [
        c for c, p in zip(sample.calendars, calendars, strict=True) if p.role == "meetings"
    ]
    governance = [f for f, p in zip(sample.folders, folders, strict=True) if p.role == "governance"]
    bodies = propose_bodies(meeting_cals, governance, sample.folders, sample.users_by_email)
    pattern = propose_meeting_folder(bodies, sample.folders)
    return SetupProposal(calendars, folders, bodies, pattern)


#: Date formats seen in meeting folder names, and the convention each one means.
FOLDER_DATE_FORMATS = (
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), None),  # the default: {body_folder}/{date:%Y-%m-%d}/
    (re.compile(r"^\d{2}-\d{2}-\d{4}$"), "{body_folder}/{date:%d-%m-%Y}/"),
    (re.compile(r"^\d{2}\.\d{2}\.\d{4}$"), "{body_folder}/{date:%d.%m.%Y}/"),
    (re.compile(r"^\d{8}$"), "{body_folder}/{date:%Y%m%d}/"),
)


def propose_meeting_folder(
    bodies: Sequence[BodyProposal], folders: Sequence[FolderSample]
) -> str | None:
    """The convention the bodies' dated sub-folders follow, when it is not the default.

    Meetings find their documents under any of these date forms anyway; the convention decides
    where "Prepare a meeting" creates the next folder, so it should be the one in use.
    """
    votes: Counter[str | None] = Counter()
    for body in bodies:
        if not body.folder:
            continue
        for top in folders:
            root = top.path.strip("/")
            if body.folder != root and not body.folder.startswith(root + "/"):
                continue
            prefix = body.folder.removeprefix(root).strip("/")
            for path in top.below:
                rest = path.removeprefix(prefix + "/") if prefix else path
                if rest == path and prefix:
                    continue
                name = rest.strip("/")
                if rest.endswith("/") and "/" not in name:
                    for form, pattern in FOLDER_DATE_FORMATS:
                        if form.match(name):
                            votes[pattern] += 1
    return votes.most_common(1)[0][0] if votes else None


# --- calendars ---------------------------------------------------------------------------


def meeting_kind(summary: str) -> str | None:
    """The body kind an event's name points to ("ca", "bureau", "ag"...), None otherwise."""
    if has_word(summary, ACTIVITY_WORDS):
        return None
    for kind, words in KIND_WORDS:
        if has_word(summary, words):
            return "ag" if kind == "age" else kind
    return None


def _named(events: Sequence[SampleEvent]) -> list[Evidence]:
    """ "12 events named “Conseil d'administration”" for the most frequent names."""
    counts = Counter(_clean_title(e.summary) for e in events if e.summary.strip())
    series = Counter(_clean_title(e.summary) for e in events if e.recurring)
    found = []
    ranked = sorted(counts, key=lambda name: (-counts[name] - 5 * series[name], name))
    for name, n in ((name, counts[name]) for name in ranked[:2]):
        if series[name]:
            message = N_("%(count)s events named “%(name)s”, %(series)s of them recurring")
        else:
            message = N_("%(count)s events named “%(name)s”")
        found.append(Evidence(message, {"count": n, "name": name, "series": series[name]}))
    return found


def propose_calendar(cal: CalendarSample) -> Proposal:
    """Meetings when events carry body names, deadlines for to-dos and due dates, activities
    for other events, ignore for a personal or empty calendar; the name weighs in too."""
    events = cal.events
    meetings = [e for e in events if e.component == "VEVENT" and meeting_kind(e.summary)]
    todos = [e for e in events if e.component == "VTODO"]
    dated = [
        e
        for e in events
        if e.component == "VEVENT" and has_word(e.summary, DEADLINE_WORDS) and e not in meetings
    ]
    others = [e for e in events if e not in meetings and e not in todos and e not in dated]
    hint = _name_hint(cal.label + " " + cal.name, CALENDAR_NAME_HINTS)
    score = {
        "meetings": 2 * len(meetings) + (2 if hint == "meetings" else 0),
        "deadlines": len(todos) + len(dated) + (2 if hint == "deadlines" else 0),
        "activities": len([e for e in others if e.component == "VEVENT"])
        + (2 if hint == "activities" else 0),
    }
    evidence: list[Evidence] = []
    if hint:
        evidence.append(Evidence(N_("its name “%(name)s” suggests it"), {"name": cal.label}))
    if hint == "ignore" and len(meetings) < 3:
        role = "ignore"
    elif not events and not hint:
        role = "ignore"
        evidence.append(Evidence(N_("it is empty and its name says nothing of its use"), {}))
    else:
        role = max(score, key=lambda r: (score[r], r == "meetings"))
        if score[role] == 0:
            role = hint or "ignore"
    if role == "meetings":
        evidence += _named(meetings)
    elif role == "deadlines":
        if todos:
            evidence.append(Evidence(N_("%(count)s to-dos"), {"count": len(todos)}))
        evidence += _named(dated)
    elif events:
        evidence += _named(others or list(events))
    if meetings and role != "meetings":
        evidence.append(
            Evidence(N_("also %(count)s events named like meetings"), {"count": len(meetings)})
        )
    return Proposal("calendar", cal.href, cal.label, role, tuple(evidence), CALENDAR_ROLES)


def _name_hint(text: str, hints: Mapping[str, tuple[str, ...]]) -> str | None:
    for role, words in hints.items():
        if has_word(text, words):
            return role
    return None


# --- folders -----------------------------------------------------------------------------


def propose_folder(folder: FolderSample) -> Proposal:
    """The role of a top folder from its name and the names of what it holds."""
    hint = _name_hint(folder.name, FOLDER_NAME_HINTS)
    names = [p.rstrip("/").rsplit("/", 1)[-1] for p in folder.below]
    counts = {role: _count(names, words) for role, words in FOLDER_CONTENT_HINTS.items()}
    counts["communication"] += sum(1 for n in names if n.lower().endswith(IMAGE_EXTENSIONS))
    funders = [p for p in folder.below if _is_child_folder(p) and names_funder(p)]
    counts["grants"] += 2 * len(funders)
    bodies = [p for p in folder.below if _is_child_folder(p) and meeting_kind(p.strip("/"))]
    counts["governance"] += 2 * len(bodies)
    score = {role: counts[role] + (3 if hint == role else 0) for role in counts}
    role = max(score, key=lambda r: (score[r], r == hint))
    evidence: list[Evidence] = []
    if score[role] == 0:
        role = "documents"
        evidence.append(Evidence(N_("neither its name nor its files say more"), {}))
    if hint == role:
        evidence.append(Evidence(N_("its name “%(name)s” suggests it"), {"name": folder.name}))
    if role == "grants" and funders:
        evidence.append(
            _listed(N_("%(count)s sub-folders named after a funder (%(names)s)"), funders)
        )
    if role == "governance" and bodies:
        evidence.append(_listed(N_("%(count)s sub-folders named after a body (%(names)s)"), bodies))
    if role in FOLDER_CONTENT_HINTS and counts[role]:
        evidence.append(
            Evidence(N_("%(count)s files whose names fit this role"), {"count": counts[role]})
        )
    return Proposal("folder", folder.path, folder.name, role, tuple(evidence), FOLDER_ROLES)


def _is_child_folder(path: str) -> bool:
    return path.endswith("/") and "/" not in path.strip("/")


def _count(names: Iterable[str], words: Sequence[str]) -> int:
    return sum(1 for name in names if has_word(_stem(name), words))


def _stem(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name.strip(".") else name


def _listed(message: str, paths: Sequence[str]) -> Evidence:
    shown = ", ".join(f"“{p.strip('/')}”" for p in paths[:3])
    return Evidence(
        message, {"count": len(paths), "names": shown + ("…" if len(paths) > 3 else "")}
    )


# --- bodies ------------------------------------------------------------------------------

_DEFAULT_NAMES = {"ca": "Conseil d'administration", "bureau": "Bureau", "ag": "Assemblée générale"}


def propose_bodies(
    calendars: Sequence[CalendarSample],
    governance: Sequence[FolderSample],
    folders: Sequence[FolderSample],
    users_by_email: Mapping[str, str],
) -> tuple[BodyProposal, ...]:
    """One body per kind of meeting seen, named as the association names it."""
    by_kind: dict[str, list[SampleEvent]] = {}
    for cal in calendars:
        for event in cal.events:
            kind = meeting_kind(event.summary) if event.component == "VEVENT" else None
            if kind:
                by_kind.setdefault(kind, []).append(event)
    proposals = []
    for kind, events in sorted(by_kind.items(), key=lambda kv: ("ca", "bureau", "ag").index(kv[0])):
        name = _body_name(kind, events)
        folder = _body_folder(kind, name, governance, folders)
        evidence = list(_named(events))
        if folder:
            evidence.append(Evidence(N_("its documents are in “%(folder)s”"), {"folder": folder}))
        members = _attendees(events, users_by_email)
        if members:
            evidence.append(
                Evidence(N_("%(count)s people invited to its meetings"), {"count": len(members)})
            )
        proposals.append(
            BodyProposal(body_code(name), name, kind, folder, members, tuple(evidence))
        )
    return tuple(proposals)


def _clean_title(summary: str) -> str:
    """A meeting's name without dates, years and numbering: "AGO 2027" → "AGO"."""
    text = _YEAR_RE.sub(" ", _DATE_RE.sub(" ", summary))
    text = re.sub(r"\s*(?:[-–—:(#]|n°)+\s*\d*\s*\)?\s*$", "", text.strip())
    return " ".join(text.split()) or summary.strip()


#: How associations name their bodies in full, as the body's name (normalised phrase → name).
BODY_NAMES = (
    ("conseil d administration", "Conseil d'administration"),
    ("assemblee generale", "Assemblée générale"),
    ("comite directeur", "Comité directeur"),
    ("bureau", "Bureau"),
    ("board of directors", "Board of directors"),
    ("general assembly", "General assembly"),
    ("general meeting", "General meeting"),
    ("executive committee", "Executive committee"),
)


def _body_name(kind: str, events: Sequence[SampleEvent]) -> str:
    """The association's own name for the body: the full name its meetings use most (a
    recurring series weighs more than a single meeting), else the usual French one."""
    counts: Counter[str] = Counter()
    for event in events:
        plain = f" {normalise(event.summary).replace(chr(39), ' ')} "
        for phrase, name in BODY_NAMES:
            if f" {phrase} " in plain:
                counts[name] += 5 if event.recurring else 1
                break
    return counts.most_common(1)[0][0] if counts else _DEFAULT_NAMES[kind]


def body_code(name: str) -> str:
    """A short code: "Conseil d'administration" → "CA", "Comité directeur" → "CD"."""
    words = [w for w in normalise(name).replace("'", " ").split() if w not in _SMALL_WORDS]
    if len(words) == 1:
        return words[0].upper()[:32]
    return "".join(w[0] for w in words).upper()[:32] or "BODY"


def _body_folder(
    kind: str,
    name: str,
    governance: Sequence[FolderSample],
    folders: Sequence[FolderSample],
) -> str | None:
    """A governance sub-folder (or a top folder) named after the body."""
    words = [normalise(name), body_code(name).lower(), *dict(KIND_WORDS).get(kind, ())]
    for top in governance:
        for path in top.below:
            if _is_child_folder(path) and has_word(path.strip("/"), words):
                return f"{top.path.strip('/')}/{path.strip('/')}"
    for top in (*governance, *folders):
        if has_word(top.name, words):
            return top.path.strip("/")
    return None


def _attendees(
    events: Sequence[SampleEvent], users_by_email: Mapping[str, str]
) -> tuple[tuple[str, str, str], ...]:
    """Everyone invited to these meetings (organizer included), by e-mail."""
    seen: dict[str, str] = {}
    for event in events:
        for email, name in (*event.attendees, (event.organizer, "")):
            address = email.strip().lower()
            if "@" in address and "/" not in address:
                seen[address] = seen.get(address) or name
    return tuple(
        (email, name or email.split("@", 1)[0], users_by_email.get(email, ""))
        for email, name in sorted(seen.items())
    )
