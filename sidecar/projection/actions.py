"""Actions decided in the minutes: who does what, by when.

Pure: a PV's plain text, the meeting's day and the body's roster in, :class:`ActionItem` values
out. Three ways of writing an action are understood, as boards write them:

- a line ``Action : Marie — relancer la mairie avant le 15/01`` (also "À faire", "Action (Marie)");
- a table whose header names who, what and when (``| Qui | Action | Échéance |``), as Markdown
  or as the rows the ODT/DOCX reader emits (cells joined by ``|``);
- checkboxes ``- [ ] Bernard : envoyer le budget (échéance 31/01/2027)`` or ``☐ …``.

A due date without a year is the first such date on or after the meeting. Each action gets a
stable ``key`` (owner + what, normalised) so re-reading an edited PV never duplicates a task.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sidecar.projection.inputs import Seat
from sidecar.projection.minutes import MONTHS, find_date
from sidecar.projection.readiness import normalise

_ACTION_LINE = re.compile(
    r"^\s*(?:[-*•]\s*)?(?:\*\*)?(?:action|a faire|todo|to do)(?:\*\*)?\s*(?:\(([^)]+)\))?\s*:\s*(.+)$",
    re.IGNORECASE,
)
_CHECKBOX = re.compile(r"^\s*(?:[-*]\s*)?(\[[ xX]\]|☐|☑|☒)\s*(.+)$")
_OWNER_SPLIT = re.compile(r"\s+[—–-]\s+|\s*:\s+")
_DUE_WORDS = r"(?:avant le|avant|pour le|d'ici le|d'ici au|au plus tard le|echeance|due|by|le)"
_DAY_MONTH = re.compile(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?\b")
_DAY_MONTH_WORDS = re.compile(rf"\b(\d{{1,2}})(?:er)?\s+({'|'.join(MONTHS)})(?:\s+(\d{{4}}))?\b")
OWNER_WORDS = ("qui", "responsable", "porteur", "porteuse", "owner", "who", "pilote")
WHAT_WORDS = ("action", "actions", "quoi", "tache", "taches", "task", "what", "a faire")
WHEN_WORDS = ("echeance", "date", "quand", "delai", "due", "when", "pour le", "avant le")


@dataclass(frozen=True)
class ActionItem:
    """One action: ``owner`` as written, ``owner_email`` when it matches one seat of the body."""

    key: str
    owner: str
    owner_email: str | None
    title: str
    due: date | None
    done: bool = False  # ticked in the PV itself ("[x]")


def action_key(owner: str, title: str) -> str:
    """Stable across re-readings: the owner and the words of the action, normalised."""
    basis = f"{normalise(owner)}|{normalise(title)}"
    return hashlib.sha256(basis.encode()).hexdigest()[:24]


def due_date(text: str, after: date) -> date | None:
    """A due date in ``text``; "15/01" means the first 15 January on or after ``after``."""
    full = find_date(text)
    if full is not None:
        return full
    plain = normalise(text)
    match = _DAY_MONTH.search(plain)
    if match:
        day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
        return _on_or_after(day, month, _year(year), after)
    match = _DAY_MONTH_WORDS.search(plain)
    if match:
        return _on_or_after(
            int(match.group(1)), MONTHS[match.group(2)], _year(match.group(3)), after
        )
    return None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year


def _on_or_after(day: int, month: int, year: int | None, after: date) -> date | None:
    for candidate_year in [year] if year else [after.year, after.year + 1]:
        try:
            found = date(candidate_year, month, day)
        except ValueError:
            return None
        if year or found >= after:
            return found
    return None


def _strip_due(text: str) -> str:
    """The action without its "avant le 15/01" tail."""
    cut = re.split(rf"[\s(,;]+{_DUE_WORDS}\s*:?\s*\d", text, maxsplit=1, flags=re.IGNORECASE)[0]
    plain = re.split(
        r"[\s(,;]+(?:avant le|pour le|d'ici le|échéance|echeance)\b",
        cut,
        maxsplit=1,
        flags=re.IGNORECASE,
    )[0]
    return plain.strip(" .;,()—–-")


def owner_email(owner: str, seats: Sequence[Seat]) -> str | None:
    """The e-mail of the only seat ``owner`` names: by full name, first name, e-mail or
    Nextcloud id first; failing that, by some of the words of a full name."""
    wanted = normalise(owner).replace("-", " ")
    if not wanted:
        return None
    exact, partial = set(), set()
    for seat in seats:
        member = seat.member
        plain = normalise(member.name)
        full, first = plain.replace("-", " "), plain.split(" ", 1)[0].replace("-", " ")
        email = member.email.lower()
        if wanted in (full, first, email, email.split("@", 1)[0], normalise(member.nc_user or "")):
            exact.add(email)
        elif set(wanted.split()) <= set(full.split()):
            partial.add(email)
    found = exact or partial
    return found.pop() if len(found) == 1 else None


def _item(
    owner: str, rest: str, after: date, seats: Sequence[Seat], done: bool
) -> ActionItem | None:
    title = _strip_due(rest)
    owner = owner.strip(" *:—–-")
    if not title or not owner:
        return None
    return ActionItem(
        key=action_key(owner, title),
        owner=owner,
        owner_email=owner_email(owner, seats),
        title=title,
        due=due_date(rest, after),
        done=done,
    )


def _split_owner(text: str) -> tuple[str, str] | None:
    parts = _OWNER_SPLIT.split(text.strip(), maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else None


def _from_line(line: str, after: date, seats: Sequence[Seat]) -> ActionItem | None:
    match = _ACTION_LINE.match(line)
    if match:
        if match.group(1):
            return _item(match.group(1), match.group(2), after, seats, False)
        split = _split_owner(match.group(2))
        return _item(split[0], split[1], after, seats, False) if split else None
    match = _CHECKBOX.match(line)
    if match:
        split = _split_owner(match.group(2))
        done = match.group(1).lower() in ("[x]", "☑", "☒")
        return _item(split[0], split[1], after, seats, done) if split else None
    return None


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _header(cells: Sequence[str]) -> tuple[int, int, int | None] | None:
    """Columns of (who, what, when) when ``cells`` is an actions table's header."""
    plain = [normalise(c).strip("* ") for c in cells]

    def column(words: Iterable[str]) -> int | None:
        return next((i for i, c in enumerate(plain) if c in words), None)

    who, what, when = column(OWNER_WORDS), column(WHAT_WORDS), column(WHEN_WORDS)
    return (who, what, when) if who is not None and what is not None else None


def _from_tables(lines: Sequence[str], after: date, seats: Sequence[Seat]) -> list[ActionItem]:
    found: list[ActionItem] = []
    columns: tuple[int, int, int | None] | None = None
    for line in lines:
        if "|" not in line:
            columns = None
            continue
        cells = _cells(line)
        if columns is None:
            columns = _header(cells)
            continue
        if all(set(c) <= set("-: ") for c in cells):
            continue  # the Markdown separator row
        who, what, when = columns
        if max(who, what, when or 0) >= len(cells):
            continue
        rest = cells[what] + (
            f" avant le {cells[when]}" if when is not None and cells[when] else ""
        )
        item = _item(cells[who], rest, after, seats, False)
        if item is not None:
            found.append(item)
    return found


def read_actions(
    text: str, meeting_day: date, seats: Sequence[Seat] = ()
) -> tuple[ActionItem, ...]:
    """Every action of a PV, once each (by key), in the order written."""
    lines = text.replace("\r", "\n").split("\n")
    found = [item for line in lines if (item := _from_line(line, meeting_day, seats))]
    found += _from_tables(lines, meeting_day, seats)
    unique = {item.key: item for item in reversed(found)}  # the first writing wins
    return tuple(unique[k] for k in dict.fromkeys(i.key for i in found))
