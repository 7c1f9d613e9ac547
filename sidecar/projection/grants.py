"""Grant dossiers: found from the grants folder and the deadlines calendar, pieces matched to files.

A dossier is one sub-folder of the grants folder (``Subventions/Ville de Lyon 2027/``), one grant
recorded by an admin, or a deadline event clearly naming a funder that has neither. A deadline or
a to-do attaches to the dossiers it names by their funder, programme and year *words*, whatever
their order and accents ("Date limite dépôt – FDVA 2027 (Région AURA)" is the dossier
"Région AURA - FDVA 2027"); a to-do that names no dossier and no funder ("Déposer le dossier sur
le portail") makes no dossier of its own. Its required pieces
come from a checklist (by default the French common application, CERFA n°12156*06) and are matched
against the real files of the folder by accent- and case-insensitive patterns, because people
write "RIB Crédit Mutuel.pdf" or "cerfa_12156-06.pdf", never the official piece name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sidecar.projection.documents import FileIndex, files_under
from sidecar.projection.inputs import EventInstance, FileInfo

STATUSES = ("idea", "preparing", "submitted", "awarded", "refused", "reported")
OPEN_STATUSES = ("idea", "preparing", "submitted")
#: Awarded dossiers keep a completeness: what the funder asked for, the convention included.
AWARDED_STATUSES = ("awarded", "reported")
CONVENTION_THRESHOLD_CENTS = 23_000_00  # décret 2001-495: a convention is mandatory above
DEFAULT_GRANTS_FOLDER = "Subventions/"


@dataclass(frozen=True)
class PieceRule:
    """One required piece of a checklist and how to recognise it among file names."""

    key: str
    name: str
    patterns: tuple[str, ...]  # regular expressions on the normalised file name
    fresh: bool = False  # must be of the last closed financial year (approved accounts)
    min_amount_cents: int | None = None  # only required above this amount
    after_award: bool = False  # only once the grant is awarded (the signed convention)


DEFAULT_CHECKLIST: tuple[PieceRule, ...] = (
    PieceRule(
        "form", "Formulaire CERFA n°12156*06", (r"cerfa", r"12156", r"formulaire de demande")
    ),
    PieceRule("statuts", "Statuts", (r"\bstatuts?\b",)),
    PieceRule(
        "officers",
        "Liste des dirigeants",
        (r"dirigeant", r"composition du (bureau|conseil|ca)", r"liste des administrateurs"),
    ),
    PieceRule("rib", "RIB", (r"\brib\b", r"releve d identite bancaire", r"\biban\b")),
    PieceRule(
        "accounts",
        "Comptes approuvés du dernier exercice clos",
        (r"\bcomptes?\b.*\b(approuve|annuels?)", r"bilan comptable", r"compte de resultat"),
        fresh=True,
    ),
    PieceRule(
        "activity_report", "Rapport d'activité", (r"rapport d ?activite", r"bilan d activite")
    ),
    PieceRule("budget", "Budget prévisionnel", (r"\bbudget\b",)),
    PieceRule(
        "convention",
        "Convention signée",
        (r"\bconvention\b",),
        min_amount_cents=CONVENTION_THRESHOLD_CENTS,
        after_award=True,
    ),
)

# Files that show a dossier was awarded or reported, when no admin recorded its status.
_AWARDED = (r"\bconvention\b", r"notification d ?attribution", r"arrete d ?attribution")
_REPORTED = (r"compte ?rendu financier", r"\b15059\b")
_REPORT_TODO = (r"compte ?rendu financier", r"\b15059\b", r"bilan financier", r"rapport financier")


@dataclass(frozen=True)
class GrantRecord:
    """A dossier as an admin recorded or confirmed it (amounts in cents)."""

    id: int
    funder: str
    year: int | None
    status: str = "preparing"
    programme: str = ""
    amount_requested_cents: int | None = None
    amount_awarded_cents: int | None = None
    submission_deadline: date | None = None
    decision_date: date | None = None
    action_start: date | None = None
    action_end: date | None = None
    report_due: date | None = None  # an override of the computed deadline
    folder: str | None = None
    owner_member_id: int | None = None
    confirmed: bool = False


@dataclass(frozen=True)
class PieceTick:
    """A piece an admin ticked by hand (the file lives elsewhere, or on paper)."""

    grant_id: int
    piece_key: str
    link: str = ""


@dataclass(frozen=True)
class Piece:
    """The state of one required piece: present, stale (too old), ticked or missing."""

    key: str
    name: str
    state: str  # present | stale | ticked | missing
    file: FileInfo | None = None
    link: str = ""


@dataclass(frozen=True)
class Dossier:
    """One grant dossier with its pieces, completeness and dates."""

    key: str  # "g<id>" for a recorded grant, else "f:<folder>" or "e:<funder> <year>"
    funder: str
    year: int | None
    status: str
    folder: str | None
    record: GrantRecord | None = None
    submission_deadline: date | None = None
    deadline_events: tuple[EventInstance, ...] = ()
    report_event_due: date | None = None
    pieces: tuple[Piece, ...] = ()
    files: tuple[FileInfo, ...] = ()

    @property
    def completeness(self) -> int | None:
        """Percent of required pieces present or ticked; None for a refused request."""
        if not self.pieces:
            return None
        done = sum(1 for p in self.pieces if p.state in ("present", "ticked"))
        return round(100 * done / len(self.pieces))

    @property
    def missing(self) -> tuple[Piece, ...]:
        return tuple(p for p in self.pieces if p.state in ("missing", "stale"))

    @property
    def confirmed(self) -> bool:
        return self.record is not None and self.record.confirmed


@dataclass(frozen=True)
class GrantConventions:
    """The association's grant settings (``Association.settings``), with French defaults."""

    grants_folder: str = DEFAULT_GRANTS_FOLDER
    financial_year_end: str = "12-31"  # MM-DD
    checklists: Mapping[str, tuple[PieceRule, ...]] = field(default_factory=dict)

    @classmethod
    def from_settings(
        cls, settings: Mapping[str, Any], financial_year_end: str
    ) -> GrantConventions:
        """Read ``grants_folder`` and ``checklists`` ({funder: [{key, name, patterns...}]})."""
        folder = str(settings.get("grants_folder") or DEFAULT_GRANTS_FOLDER)
        checklists = {
            normalise(funder): tuple(_rule(item) for item in items)
            for funder, items in (settings.get("checklists") or {}).items()
        }
        return cls(folder.rstrip("/") + "/", financial_year_end, checklists)

    def checklist(self, funder: str) -> tuple[PieceRule, ...]:
        return self.checklists.get(normalise(funder)) or self.checklists.get(
            "default", DEFAULT_CHECKLIST
        )


def _rule(item: Mapping[str, Any]) -> PieceRule:
    minimum = item.get("min_amount_cents")
    return PieceRule(
        key=str(item["key"]),
        name=str(item.get("name") or item["key"]),
        patterns=tuple(
            str(p) for p in item.get("patterns") or (re.escape(normalise(item["key"])),)
        ),
        fresh=bool(item.get("fresh", False)),
        min_amount_cents=int(minimum) if minimum is not None else None,
        after_award=bool(item.get("after_award", False)),
    )


# --- text -----------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower-case, accents removed, punctuation as single spaces: "Crédit_Mutuel" → "credit mutuel"."""
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )
    return " ".join(re.sub(r"[^0-9a-z]+", " ", stripped.casefold()).split())


def years_in(text: str) -> tuple[int, ...]:
    """Four-digit years (1990-2099) written in ``text``."""
    return tuple(int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", text))


def split_funder_year(folder_name: str) -> tuple[str, int | None]:
    """ "Ville de Lyon 2027" → ("Ville de Lyon", 2027); a name without a year keeps None."""
    match = re.match(r"^(.*?)[\s_-]*((?:19|20)\d\d)\s*$", folder_name.strip())
    if match and match.group(1):
        return match.group(1).strip(), int(match.group(2))
    return folder_name.strip(), None


def _matches(patterns: Iterable[str], text: str) -> bool:
    return any(re.search(p, text) for p in patterns)


# --- financial years ------------------------------------------------------------------


def fy_end(year: int, financial_year_end: str) -> date:
    """The closing date, in calendar ``year``, of the financial year ending on MM-DD."""
    month, day = (int(part) for part in financial_year_end.split("-"))
    return date(year, month, day)


def last_closed_year(today: date, financial_year_end: str) -> int:
    """The calendar year in which the last financial year closed (before ``today``)."""
    end = fy_end(today.year, financial_year_end)
    return today.year if end < today else today.year - 1


# --- pieces ---------------------------------------------------------------------------


def match_pieces(
    rules: Sequence[PieceRule],
    files: Sequence[FileInfo],
    *,
    amount_cents: int | None,
    closed_year: int,
    ticks: Mapping[str, PieceTick] | None = None,
    awarded: bool = False,
) -> tuple[Piece, ...]:
    """Each required rule with the best file found for it, or its tick, or "missing".

    ``awarded``: the grant was awarded, so the pieces that follow the award (the convention
    signed above 23 000 €) are required too; an open request is never asked for them.
    """
    documents = [f for f in files if not f.is_folder]
    pieces = []
    for rule in rules:
        if rule.after_award and not awarded:
            continue  # the convention follows the award: nobody signs one for a request
        if rule.min_amount_cents is not None and (amount_cents or 0) <= rule.min_amount_cents:
            continue  # e.g. no convention under 23 000 €
        pieces.append(_piece(rule, documents, closed_year, (ticks or {}).get(rule.key)))
    return tuple(pieces)


def _piece(
    rule: PieceRule, files: Sequence[FileInfo], closed_year: int, tick: PieceTick | None
) -> Piece:
    found = [f for f in files if _matches(rule.patterns, normalise(f.name))]
    if rule.fresh:
        fresh = [f for f in found if _is_fresh(f, closed_year)]
        if fresh:
            return Piece(rule.key, rule.name, "present", _newest(fresh))
    elif found:
        return Piece(rule.key, rule.name, "present", _newest(found))
    if tick is not None:
        return Piece(rule.key, rule.name, "ticked", None, tick.link)
    if found:  # only older accounts: say so, they are not what the funder asks for
        return Piece(rule.key, rule.name, "stale", _newest(found))
    return Piece(rule.key, rule.name, "missing")


def _is_fresh(file: FileInfo, closed_year: int) -> bool:
    """Of the last closed year: by the year in its name, else by being modified after it."""
    written = years_in(file.name)
    if written:
        return max(written) >= closed_year
    return file.mtime is not None and file.mtime.year > closed_year


def _newest(files: Sequence[FileInfo]) -> FileInfo:
    return max(files, key=lambda f: (f.mtime.timestamp() if f.mtime else 0.0, f.path))


# --- dossiers -------------------------------------------------------------------------


def find_dossiers(
    files: Sequence[FileInfo],
    events: Sequence[EventInstance],
    records: Sequence[GrantRecord],
    ticks: Sequence[PieceTick],
    conventions: GrantConventions,
    today: date,
) -> list[Dossier]:
    """Every dossier: recorded grants, then grant sub-folders, then funders named by deadlines.

    A recorded grant claims its folder, so a folder is never shown twice; deadline events are
    matched by funder name (and year, when the summary carries one).
    """
    closed = last_closed_year(today, conventions.financial_year_end)
    by_folder = {r.folder.rstrip("/") + "/": r for r in records if r.folder}
    dossiers = [_from_record(r) for r in records]
    for folder in _grant_folders(files, conventions.grants_folder):
        if folder not in by_folder:
            funder, year = split_funder_year(folder.rstrip("/").rsplit("/", 1)[-1])
            dossiers.append(Dossier(f"f:{folder}", funder, year, "preparing", folder))
    deadlines = [e for e in events if _is_deadline(e)]
    matched = _best_matches(dossiers, deadlines)
    dossiers = [_attach_events(d, matched[i]) for i, d in enumerate(dossiers)]
    dossiers += _dossiers_from_events(deadlines, dossiers)
    ticked = _ticks_by_grant(ticks)
    index = FileIndex(files)  # once: each dossier then finds its files by look-up
    return [
        _complete(d, index, conventions, closed, ticked.get(d.record.id if d.record else -1, {}))
        for d in dossiers
    ]


def _from_record(record: GrantRecord) -> Dossier:
    folder = record.folder.rstrip("/") + "/" if record.folder else None
    return Dossier(
        f"g{record.id}", record.funder, record.year, record.status, folder, record=record
    )


def _grant_folders(files: Sequence[FileInfo], grants_folder: str) -> list[str]:
    """Direct sub-folders of the grants folder: one per dossier, by convention."""
    root = normalise(grants_folder)
    found = []
    for f in files:
        parent, _, _name = f.path.rstrip("/").rpartition("/")
        if f.is_folder and parent and normalise(parent) == root:
            found.append(f.path if f.path.endswith("/") else f.path + "/")
    return sorted(found)


def _is_deadline(event: EventInstance) -> bool:
    """An all-day event or a todo with a due date, not cancelled, on a deadlines calendar."""
    if event.calendar_role not in (None, "deadlines", "grants") or event.status == "CANCELLED":
        return False
    return (event.component == "VEVENT" and event.all_day) or (
        event.component == "VTODO" and bool(event.due or event.start)
    )


def event_day(event: EventInstance) -> date | None:
    """The day a deadline falls on: DUE for a todo, else the start date."""
    if event.component == "VTODO" and event.due:
        return date.fromisoformat(event.due[:10])
    return event.start.date() if event.start else None


#: Words that name no dossier by themselves: kinds of funders, and the words of deadlines.
GENERIC_WORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "d",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "pour",
        "sur",
        "the",
        "of",
        "for",
        "ville",
        "region",
        "departement",
        "conseil",
        "regional",
        "departemental",
        "fondation",
        "fonds",
        "commune",
        "mairie",
        "metropole",
        "communaute",
        "communes",
        "etat",
        "agence",
        "ministere",
        "dossier",
        "dossiers",
        "subvention",
        "subventions",
        "demande",
        "date",
        "limite",
        "depot",
        "deposer",
        "envoyer",
        "rendre",
        "portail",
        "ligne",
        "grant",
        "application",
        "deadline",
    ]
)
#: Kinds of funders (normalised): they name one only with its name after them ("Région AURA",
#: "Ville de Lyon", "Fondation de France"); a lone "Région" or "la mairie" says not which one.
FUNDER_KINDS = (
    "region", "departement", "conseil departemental", "conseil regional", "ville", "mairie",
    "commune", "metropole", "fondation", "fonds", "etat", "ministere", "communaute de communes",
    "agglomeration", "foundation",
)  # fmt: skip
#: Funders and programmes named by themselves (normalised). "ANS" counts only in capitals
#: (:data:`_ANS`): "ans" is French for "years" ("la fête des 10 ans du club").
FUNDER_NAMES = (
    "fdva", "psf", "caf", "drajes", "ddcs", "europe", "fse", "leader", "anct", "cget", "cnds",
    "politique de la ville", "agence nationale du sport",
)  # fmt: skip
FUNDER_WORDS = FUNDER_KINDS + FUNDER_NAMES
_ANS = re.compile(r"(?<![^\W_])ANS(?![^\W_])")
_KIND_WORDS = frozenset(w for kind in FUNDER_KINDS for w in kind.split())
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
#: Where a summary's parts end: dashes and bars between spaces, brackets, colons, commas.
_SEGMENTS = re.compile(r"\s+[-–—|/]\s+|[()\[\]:;,]")
#: Where the name in "le dossier X sur le portail" ends.
_AFTER_NAME = re.compile(r"\s+(?:sur|en ligne|via|avant|aupres|auprès)\b", re.IGNORECASE)


def names_funder(text: str) -> bool:
    """Whether ``text`` clearly names a funder: a programme or funder named by itself ("FDVA",
    "ANS", "CAF"), or a kind of funder followed by its name ("Région AURA", "Fondation de
    France", "Ville de Lyon"). A kind alone ("Région", "Envoyer à la mairie") does not."""
    plain = f" {normalise(text)} "
    if _ANS.search(text) or any(f" {word} " in plain for word in FUNDER_NAMES):
        return True
    for kind in FUNDER_KINDS:
        at = plain.find(f" {kind} ")
        if at >= 0 and _words(plain[at + len(kind) + 1 :]) - GENERIC_WORDS - _KIND_WORDS:
            return True
    return False


def _from_funder_word(text: str) -> str:
    """``text`` from its first funder word on ("Appel à projets Ville de Lyon" → "Ville de
    Lyon"), or "" when it has none."""
    tokens = text.split()
    for i, token in enumerate(tokens):
        rest = f" {normalise(' '.join(tokens[i:]))} "
        if _ANS.fullmatch(token.strip(".,;:!?()[]")) or any(
            rest.startswith(f" {word} ") for word in FUNDER_WORDS
        ):
            return " ".join(tokens[i:])
    return ""


def funder_named(summary: str, *, anywhere: bool = True) -> tuple[str, int | None] | None:
    """(funder, year) a deadline's summary clearly names, else None.

    "Date limite — dossier Fondation X 2027" names what follows "dossier"; otherwise (only when
    ``anywhere``) each part of the summary that names a funder counts, from its first funder
    word on: "Date limite dépôt – FDVA 2027 (Région AURA)" → ("FDVA Région AURA", 2027).
    """
    match = re.search(r"\bdossier\s+(.+)$", summary, flags=re.IGNORECASE)
    if match:
        named = _AFTER_NAME.split(match.group(1))[0]
        if names_funder(named):
            return split_funder_year(named)
    if not anywhere:
        return None
    parts = [_from_funder_word(_AFTER_NAME.split(part)[0]) for part in _SEGMENTS.split(summary)]
    kept = [" ".join(_YEAR.sub(" ", p).split()) for p in parts if p and names_funder(p)]
    funder = " ".join(p.strip(" -–—.") for p in kept if p.strip(" -–—."))
    if not funder:
        return None
    years = years_in(summary)
    return funder, years[0] if years else None


def _words(text: str) -> set[str]:
    return {w for w in normalise(text).split() if not w.isdigit()}


def dossier_words(dossier: Dossier) -> set[str]:
    """The words that name ``dossier``: its funder's and programme's, years left out."""
    programme = dossier.record.programme if dossier.record else ""
    return _words(f"{dossier.funder} {programme}")


def _match(dossier: Dossier, event: EventInstance) -> int:
    """How well ``event`` names ``dossier``: 2 every word of it, 1 a distinctive word, 0 not.

    Years must agree when both sides write one.
    """
    words = dossier_words(dossier)
    if not words:
        return 0
    written = years_in(event.summary)
    if written and dossier.year is not None and dossier.year not in written:
        return 0
    said = _words(event.summary)
    if words <= said:
        return 2
    return 1 if (words & said) - GENERIC_WORDS else 0


def _names(dossier: Dossier, event: EventInstance) -> bool:
    """Whether ``event`` names ``dossier`` at all (see :func:`_match`)."""
    return _match(dossier, event) > 0


def _is_report_event(event: EventInstance) -> bool:
    return _matches(_REPORT_TODO, normalise(event.summary))


def _best_matches(
    dossiers: Sequence[Dossier], deadlines: Sequence[EventInstance]
) -> dict[int, list[EventInstance]]:
    """Each event goes to the dossiers that name it best (all of them on a tie)."""
    chosen: dict[int, list[EventInstance]] = {i: [] for i in range(len(dossiers))}
    for event in deadlines:
        scores = [_match(d, event) for d in dossiers]
        best = max(scores, default=0)
        for i, score in enumerate(scores):
            if best and score == best:
                chosen[i].append(event)
    return chosen


def _attach_events(dossier: Dossier, deadlines: Sequence[EventInstance]) -> Dossier:
    mine = tuple(deadlines)
    submission = [day for e in mine if not _is_report_event(e) and (day := event_day(e))]
    reports = [day for e in mine if _is_report_event(e) and (day := event_day(e))]
    record_deadline = dossier.record.submission_deadline if dossier.record else None
    return replace(
        dossier,
        deadline_events=mine,
        submission_deadline=record_deadline or (min(submission) if submission else None),
        report_event_due=min(reports) if reports else None,
    )


def _dossiers_from_events(
    deadlines: Sequence[EventInstance], known: Sequence[Dossier]
) -> list[Dossier]:
    """Dossiers named only by a deadline or a to-do (see :func:`funder_named`).

    Only an event that no dossier claims and that clearly names a funder makes one: "Déposer
    le dossier X sur le portail" is a task about a dossier, not a dossier "X sur le portail",
    and "Envoyer le dossier Région" names no funder anyone could tell. Without the word
    "dossier", only events of a deadlines (or grants) calendar count: a calendar with no role
    yet may hold "Fête de la Ville de Lyon".
    """
    found: dict[str, Dossier] = {}
    for event in deadlines:
        if any(event in d.deadline_events for d in known) or _is_report_event(event):
            continue
        named = funder_named(event.summary, anywhere=event.calendar_role in ("deadlines", "grants"))
        if named is None:
            continue
        funder, year = named
        key = f"e:{normalise(funder)} {year or ''}".strip()
        if key in found:
            found[key] = replace(found[key], deadline_events=(*found[key].deadline_events, event))
            found[key] = _attach_events(found[key], found[key].deadline_events)
        else:
            found[key] = _attach_events(Dossier(key, funder, year, "idea", None), [event])
    return list(found.values())


def _ticks_by_grant(ticks: Sequence[PieceTick]) -> dict[int, dict[str, PieceTick]]:
    grouped: dict[int, dict[str, PieceTick]] = {}
    for tick in ticks:
        grouped.setdefault(tick.grant_id, {})[tick.piece_key] = tick
    return grouped


def _complete(
    dossier: Dossier,
    files: FileIndex,
    conventions: GrantConventions,
    closed_year: int,
    ticks: Mapping[str, PieceTick],
) -> Dossier:
    """Add the dossier's files, its inferred status and, while the request is open, its pieces."""
    mine = files_under(dossier.folder, files) if dossier.folder else ()
    status = dossier.status if dossier.record else _inferred_status(mine)
    pieces: tuple[Piece, ...] = ()
    awarded = status in AWARDED_STATUSES
    if status in OPEN_STATUSES or awarded:
        record = dossier.record
        amount = None
        if record:
            requested, given = record.amount_requested_cents, record.amount_awarded_cents
            amount = (given or requested) if awarded else (requested or given)
        if awarded and dossier.year is not None:
            # what the funder asked for then: the accounts closed before the dossier's year
            closed_year = min(closed_year, dossier.year - 1)
        pieces = match_pieces(
            conventions.checklist(dossier.funder),
            mine,
            amount_cents=amount,
            closed_year=closed_year,
            ticks=ticks,
            awarded=awarded,
        )
    return replace(dossier, status=status, files=mine, pieces=pieces)


def _inferred_status(files: Sequence[FileInfo]) -> str:
    names = [normalise(f.name) for f in files if not f.is_folder]
    if any(_matches(_REPORTED, n) for n in names):
        return "reported"
    if any(_matches(_AWARDED, n) for n in names):
        return "awarded"
    return "preparing"


def next_deadline(dossier: Dossier, today: date) -> date | None:
    """The next submission deadline still ahead (today included)."""
    if dossier.submission_deadline and dossier.submission_deadline >= today:
        return dossier.submission_deadline
    return None
