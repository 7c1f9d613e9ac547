"""Minutes (procès-verbaux): read the usual fields out of a PV's text, check them against the meeting.

Pure: the text of one PV (already extracted from Markdown, ODT, DOCX or PDF by the minutes
service) and the projected :class:`~sidecar.projection.meetings.Meeting` in, :class:`MinutesFacts`
and :class:`MinutesFinding` values out. French wording first ("Présents", "Pouvoir",
"Secrétaire de séance"), English accepted where the word is obvious.

A field is found from a labelled line ("Lieu : …") or, for counts, from a phrase ("5 membres
présents"). What the PV says is compared with what Quorum recorded (answers to the invitation,
proxies, the body's roster and quorum rule); each difference is a finding, never a correction:
the PV is the board's document, Quorum only points at what does not add up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sidecar.projection.meetings import Meeting
from sidecar.projection.readiness import ACCEPTED, normalise, required

#: The fields a PV usually carries, in the order a PV gives them.
FIELDS = (
    "date",
    "place",
    "convocation",
    "agenda",
    "present",
    "represented",
    "quorum",
    "chair",
    "secretary",
    "resolutions",
    "signatures",
)
MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}  # fmt: skip
_MONTH_RE = "|".join(MONTHS)
_DATE_WORDS = re.compile(rf"\b(\d{{1,2}})(?:er)?\s+({_MONTH_RE})\s+(\d{{4}})\b")
_DATE_NUM = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_LABEL = re.compile(
    r"^\s*(?:[-*#>|]\s*)*(?:\*\*)?([^:|]{2,60}?)(?:\*\*)?\s*(?:\(\s*(\d+)\s*\))?\s*:\s*(.*)$"
)
_COUNT_PHRASE = re.compile(r"(\d+)\s+(?:membres?\s+|administrat\w+\s+)?(presents?|representes?)\b")
_VOTE = re.compile(r"\b(pour|contre|abstentions?|for|against|abstain\w*)\s*:?\s*(\d+)")
_PROXY = re.compile(r"(?:pouvoir|procuration|proxy)\s+(?:a|donne a|to)\s+([^,;)]+)")
_SEPARATORS = re.compile(r"\s*(?:,|;|\bet\b|\band\b)\s*")

#: Labels (normalised) of each field; the first that matches a line's label wins.
LABELS: dict[str, tuple[str, ...]] = {
    "date": ("date", "date et heure", "date de la reunion", "seance du"),
    "place": ("lieu", "adresse", "place", "location", "lieu de la reunion"),
    "convocation": ("convocation", "convoques", "convocation envoyee", "notice"),
    "agenda": ("ordre du jour", "agenda", "odj"),
    "present": ("presents", "present", "membres presents", "presents ou representes"),
    "represented": ("representes", "represente", "membres representes", "pouvoirs", "procurations", "proxies", "represented"),
    "absent": ("absents", "excuses", "absents excuses", "absent"),
    "quorum": ("quorum",),
    "chair": ("president de seance", "presidente de seance", "presidence", "presidence de seance", "preside par", "chair", "president e de seance"),
    "secretary": ("secretaire de seance", "secretaire", "secretary", "secretariat de seance"),
    "signatures": ("signatures", "signature", "signe", "signed", "signataires"),
}  # fmt: skip


@dataclass(frozen=True)
class Resolution:
    """One resolution (délibération) and its vote counts; ``unanimous`` when said so."""

    text: str
    votes_for: int | None = None
    against: int | None = None
    abstentions: int | None = None
    unanimous: bool = False

    @property
    def counted(self) -> int | None:
        """The votes cast (for + against + abstentions), when the PV gives them."""
        parts = (self.votes_for, self.against, self.abstentions)
        return None if all(p is None for p in parts) else sum(p or 0 for p in parts)


@dataclass(frozen=True)
class MinutesFacts:
    """What one PV says; a field left None (or empty) was not found."""

    day: date | None = None
    place: str | None = None
    convocation: str | None = None
    agenda: tuple[str, ...] = ()
    present: tuple[str, ...] = ()
    present_count: int | None = None
    represented: tuple[str, ...] = ()
    represented_count: int | None = None
    proxies: tuple[tuple[str, str], ...] = ()  # (giver, holder) as written
    quorum: str | None = None  # the quorum line as written
    quorum_reached: bool | None = None
    chair: str | None = None
    secretary: str | None = None
    resolutions: tuple[Resolution, ...] = ()
    signatures: str | None = None
    labels: frozenset[str] = field(default_factory=frozenset)  # fields found by a label

    def has(self, name: str) -> bool:
        """Whether the PV carries the field ``name`` (one of :data:`FIELDS`)."""
        values = {
            "date": self.day,
            "place": self.place,
            "convocation": self.convocation,
            "agenda": self.agenda,
            "present": self.present_count,
            "represented": self.represented_count is not None or "represented" in self.labels,
            "quorum": self.quorum,
            "chair": self.chair,
            "secretary": self.secretary,
            "resolutions": self.resolutions,
            "signatures": self.signatures,
        }
        value = values[name]
        return value is not None and value is not False and value != ()


@dataclass(frozen=True)
class MinutesFinding:
    """A problem of one PV: ``code`` names it, ``params`` fill its sentence.

    Codes: ``missing`` (params ``field``), ``unreadable``, ``date_differs``, ``count_differs``,
    ``more_than_seats``, ``not_on_roster``, ``quorum_contradiction``, ``votes_exceed``.
    """

    code: str
    params: tuple[tuple[str, str], ...] = ()

    def param(self, name: str) -> str:
        return dict(self.params).get(name, "")


def finding(code: str, **params: object) -> MinutesFinding:
    return MinutesFinding(code, tuple((k, str(v)) for k, v in sorted(params.items())))


# --- reading ---------------------------------------------------------------------------


def find_date(text: str) -> date | None:
    """The first date written as "7 mars 2026", "07/03/2026" or "2026-03-07" in ``text``."""
    plain = normalise(text)
    candidates: list[tuple[int, date]] = []
    for match in _DATE_WORDS.finditer(plain):
        day, month, year = int(match.group(1)), MONTHS[match.group(2)], int(match.group(3))
        candidates += _dated(match.start(), year, month, day)
    for match in _DATE_NUM.finditer(plain):
        day, month, year = (int(g) for g in match.groups())
        candidates += _dated(match.start(), year, month, day)
    for match in _DATE_ISO.finditer(plain):
        year, month, day = (int(g) for g in match.groups())
        candidates += _dated(match.start(), year, month, day)
    return min(candidates)[1] if candidates else None


def _dated(position: int, year: int, month: int, day: int) -> list[tuple[int, date]]:
    try:
        return [(position, date(year, month, day))]
    except ValueError:
        return []  # "31/02/2026" is no date: ignore it rather than guess


def _field_of(label: str) -> str | None:
    plain = normalise(label).replace("(", "").replace(")", "").strip(" *#-")
    for name, labels in LABELS.items():
        if plain in labels:
            return name
    return None


def names(text: str) -> tuple[str, ...]:
    """The people listed in ``text`` ("Alice, Bernard et Hélène"), proxies' tails removed."""
    cleaned = re.sub(r"\([^)]*\)", "", text)
    found = [part.strip(" .-–—*") for part in _SEPARATORS.split(cleaned)]
    return tuple(
        n for n in found if n and not n.isdigit() and normalise(n) not in ("aucun", "neant", "none")
    )


def _count(explicit: str | None, listed: tuple[str, ...]) -> int | None:
    if explicit:
        return int(explicit)
    return len(listed) if listed else None


def _proxies(text: str) -> tuple[tuple[str, str], ...]:
    """(giver, holder) for "Françoise (pouvoir à Alice)" and "Françoise donne pouvoir à Alice"."""
    pairs = []
    for part in re.split(r"[;,](?![^(]*\))", text):
        plain = normalise(part)
        holder = _PROXY.search(plain)
        if holder is None:
            continue
        giver = re.split(r"\(|\bdonne\b|\bpouvoir\b|\bprocuration\b", part, maxsplit=1)[0]
        pairs.append((giver.strip(" .-–—"), _original(part, holder.group(1)).strip(" .)")))
    return tuple(pairs)


def _original(text: str, plain_tail: str) -> str:
    """The words of ``text`` that normalise to ``plain_tail`` (keeps accents for display)."""
    words = text.split()
    wanted = len(plain_tail.split())
    return " ".join(words[-wanted:]) if wanted else plain_tail


def resolution(text: str) -> Resolution | None:
    """A resolution line: votes ("Pour : 5, Contre : 1, Abstention : 0") or "à l'unanimité"."""
    plain = normalise(text)
    votes: dict[str, int] = {}
    for word, number in _VOTE.findall(plain):
        key = (
            "for"
            if word in ("pour", "for")
            else "against"
            if word in ("contre", "against")
            else "abst"
        )
        votes.setdefault(key, int(number))
    unanimous = "unanimite" in plain or "unanimous" in plain
    if not votes and not unanimous:
        return None
    return Resolution(
        text.strip(" -*#"),
        votes.get("for"),
        votes.get("against"),
        votes.get("abst"),
        unanimous,
    )


def _quorum_reached(text: str) -> bool | None:
    plain = normalise(text)
    if re.search(r"\b(non|pas|not)\s+(atteint|reached|reuni)", plain):
        return False
    if re.search(r"\b(atteint|reached|reuni|constate|present)\b", plain):
        return True
    return None


@dataclass
class _Reading:
    values: dict[str, str] = field(default_factory=dict)
    counts: dict[str, str] = field(default_factory=dict)
    agenda: list[str] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    section: str | None = None


def _read_line(line: str, state: _Reading) -> None:
    match = _LABEL.match(line)
    name = _field_of(match.group(1)) if match else None
    if match and name:
        state.section = name
        state.values.setdefault(name, match.group(3).strip())
        if match.group(2):
            state.counts.setdefault(name, match.group(2))
        if name == "agenda" and match.group(3).strip():
            state.agenda.append(match.group(3).strip())
        return
    found = resolution(line)
    if found is not None:
        state.resolutions.append(found)
        state.section = None
        return
    stripped = line.strip(" -*#\t")
    if state.section == "agenda" and stripped and re.match(r"^\s*(?:[-*]|\d+[.)])", line):
        state.agenda.append(stripped)
    elif state.section in ("present", "represented", "absent") and stripped and line[:1] in "-* ":
        state.values[state.section] = ", ".join(
            filter(None, (state.values[state.section], stripped))
        )
    elif not stripped:
        state.section = None


def read_minutes(text: str) -> MinutesFacts:
    """The fields of a PV's plain text (see :data:`FIELDS`)."""
    state = _Reading()
    lines = [line.rstrip() for line in text.replace("\r", "\n").split("\n")]
    for line in lines:
        _read_line(line, state)
    values, counts = state.values, state.counts
    for number, word in _COUNT_PHRASE.findall(normalise(text)):
        counts.setdefault("present" if word.startswith("present") else "represented", number)
    present = names(values.get("present", ""))
    represented_text = values.get("represented", "")
    represented = names(represented_text)
    signatures = values.get("signatures") or _signed_at_end(lines)
    return MinutesFacts(
        day=find_date(values["date"]) if values.get("date") else find_date("\n".join(lines[:8])),
        place=values.get("place") or None,
        convocation=values.get("convocation") or None,
        agenda=tuple(state.agenda),
        present=present,
        present_count=_count(counts.get("present"), present),
        represented=represented,
        represented_count=_count(counts.get("represented"), represented)
        if "represented" in values or "represented" in counts
        else None,
        proxies=_proxies(represented_text),
        quorum=values.get("quorum") or None,
        quorum_reached=_quorum_reached(values["quorum"]) if values.get("quorum") else None,
        chair=values.get("chair") or None,
        secretary=values.get("secretary") or None,
        resolutions=tuple(state.resolutions),
        signatures=signatures or None,
        labels=frozenset(values),
    )


def _signed_at_end(lines: Sequence[str]) -> str:
    """ "Signé : …" or "(signature)" near the end of the PV counts as signed."""
    tail = [line for line in lines if line.strip()][-6:]
    for line in tail:
        plain = normalise(line)
        if "signe" in plain.split() or "(signature)" in plain or plain.startswith("signature"):
            return line.strip()
    return ""


# --- checking --------------------------------------------------------------------------


def _matches(written: str, candidates: Iterable[str]) -> bool:
    """Whether a name written in the PV is one of the roster's (any order of its words)."""
    words = set(normalise(written).replace("-", " ").split())
    for candidate in candidates:
        theirs = set(normalise(candidate).replace("-", " ").split())
        if words and (words <= theirs or theirs <= words):
            return True
    return False


def check_minutes(facts: MinutesFacts, meeting: Meeting) -> tuple[MinutesFinding, ...]:
    """Missing fields, then what contradicts the meeting Quorum knows, in a stable order."""
    found = [finding("missing", field=name) for name in FIELDS if not facts.has(name)]
    if facts.day is not None and facts.day != meeting.day:
        found.append(
            finding("date_differs", written=facts.day.isoformat(), known=meeting.day.isoformat())
        )
    found += _count_findings(facts, meeting)
    roster = [s.member.name for s in meeting.body.seats] + [
        s.member.email for s in meeting.body.seats
    ]
    for person in (*facts.present, *facts.represented):
        if not _matches(person, roster):
            found.append(finding("not_on_roster", name=person, body=meeting.body.code))
    found += _vote_findings(facts)
    return tuple(found)


def _count_findings(facts: MinutesFacts, meeting: Meeting) -> list[MinutesFinding]:
    found: list[MinutesFinding] = []
    seats = len(meeting.body.seats)
    accepted = sum(1 for a in meeting.answers if a.answer == ACCEPTED)
    proxies = sum(1 for p in meeting.readiness.proxies if p.valid)
    present = facts.present_count
    represented = facts.represented_count or 0
    if present is not None and (present != accepted or represented != proxies):
        found.append(
            finding(
                "count_differs",
                present=present,
                represented=represented,
                accepted=accepted,
                proxies=proxies,
            )
        )
    if present is not None and present + represented > seats:
        found.append(finding("more_than_seats", counted=present + represented, seats=seats))
    need = required(meeting.body.quorum_first, seats)
    if facts.quorum_reached and present is not None and present + represented < need:
        found.append(finding("quorum_contradiction", counted=present + represented, required=need))
    return found


def _vote_findings(facts: MinutesFacts) -> list[MinutesFinding]:
    if facts.present_count is None:
        return []
    voters = facts.present_count + (facts.represented_count or 0)
    return [
        finding("votes_exceed", resolution=index, counted=item.counted, voters=voters)
        for index, item in enumerate(facts.resolutions, start=1)
        if item.counted is not None and item.counted > voters
    ]


def is_signed_pdf(name: str) -> bool:
    """A PV file whose name says it is the signed copy ("PV CA 2026-03-07 signé.pdf")."""
    plain = normalise(name)
    return plain.endswith(".pdf") and bool(re.search(r"\b(signe|signee|signed)\b", plain))
