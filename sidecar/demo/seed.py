"""Deterministic sample association for the demo server.

`seed(data_dir, today)` writes "Jardins partagés de la Croix-Rousse" straight to disk: a
Nextcloud-like file tree for WsgiDAV, Radicale's multifilesystem calendars and `ocs.json`
for the OCS endpoints. Every date is relative to `today`, and the same `today` always gives
the same bytes (fixed UIDs, no randomness), so tests can assert exact facts about it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TZID = "Europe/Paris"
PARIS = ZoneInfo(TZID)
DOMAIN = "jardins-partages.example"
ASSOCIATION = "Jardins partagés de la Croix-Rousse"
OWNER = "alice"
MARKER = ".quorum-demo-seeded"
PRODID = "-//Jardins partages Croix-Rousse//Quorum demo//FR"
VISIO = "https://visio.jardins-partages.example/b/ca-mensuel-7k2p"
CA_LOCATION = "Maison des associations, 28 rue Denfert-Rochereau, 69004 Lyon — Visio : " + VISIO
CA_FOLDER = "Conseil d'administration"

# The VTIMEZONE is written by hand (RRULE form, as Nextcloud clients send it) rather than
# generated from tzdata, so the bytes do not depend on the machine's tzdata version.
VTIMEZONE = (
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Paris",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
)


@dataclass(frozen=True)
class Member:
    """One member of the association (Nextcloud id, display name, e-mail, role)."""

    uid: str
    name: str
    email: str
    role: str


MEMBERS: tuple[Member, ...] = (
    Member("alice", "Alice Example", f"alice@{DOMAIN}", "présidente"),
    Member("bernard", "Bernard Lefèvre", f"bernard.lefevre@{DOMAIN}", "trésorier"),
    Member("chloe", "Chloé Dubois-Hérault", f"chloe.dubois-herault@{DOMAIN}", "secrétaire"),
    Member("etienne", "Étienne Nguyễn", f"etienne.nguyen@{DOMAIN}", "administrateur"),
    Member("francoise", "Françoise Mérieux", f"francoise.merieux@{DOMAIN}", "administratrice"),
    Member("gerard", "Gérard Thévenin", f"gerard.thevenin@{DOMAIN}", "administrateur"),
    Member("helene", "Hélène Roussel", f"helene.roussel@{DOMAIN}", "administratrice"),
)
BY_UID: Mapping[str, Member] = {m.uid: m for m in MEMBERS}
CA_MEMBERS = tuple(m.uid for m in MEMBERS)
BUREAU_MEMBERS = ("alice", "bernard", "chloe")

CALENDARS: Mapping[str, tuple[str, str, str | None]] = {
    # name: (display name, components, colour)
    "conseil": ("Conseil d'administration", "VEVENT", "#0082c9"),
    "bureau": ("Bureau", "VEVENT", "#c98900"),
    "echeances": ("Échéances", "VEVENT,VTODO", "#d9534f"),
    "personal": ("Personnel", "VEVENT,VTODO", None),
}


@dataclass(frozen=True)
class SeedInfo:
    """Facts about a seeded association that tests and the benchmark rely on."""

    data_dir: Path
    today: date
    login: str
    calendars: tuple[str, ...]
    ca_dates: tuple[date, ...]  # every generated date of the monthly series (RRULE COUNT=12)
    ca_next: date  # first occurrence strictly after today
    ca_exdate: date  # second upcoming occurrence, removed by EXDATE
    ca_override_original: date  # third upcoming occurrence, moved by a RECURRENCE-ID override
    ca_override_start: datetime  # its new start (the following Tuesday 18:30, Paris)
    ca_folder_dates: tuple[date, ...]  # dated folders under "Conseil d'administration/"
    ca_minutes_missing: date | None  # the past meeting without PV (more than 30 days old)
    ca_budget_start: datetime
    ca_extra_start: datetime
    formation_start: datetime
    ag_start: datetime
    bureau_first: date
    lyon_deadline: date
    region_deadline: date
    cr_financier_due: date
    prefecture_due: date
    dentist_start: datetime
    lyon_folder: str  # "Subventions/Ville de Lyon {Y+1}" (complete dossier)
    region_folder: str  # "Subventions/Région Auvergne-Rhône-Alpes {Y+1}" (incomplete)
    lyon_previous_folder: str  # "Subventions/Ville de Lyon {Y-1}" (awarded, report owed)

    @property
    def files_root(self) -> Path:
        """Alice's file tree on disk."""
        return self.data_dir / "files" / self.login

    @property
    def calendar_root(self) -> Path:
        """Alice's calendars in Radicale's multifilesystem layout."""
        return self.data_dir / "radicale" / "collection-root" / self.login


# --- dates ----------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """Return the first day of the month `months` away from `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def first_saturday(month_start: date) -> date:
    """Return the first Saturday of the month starting at `month_start`."""
    return month_start + timedelta(days=(5 - month_start.weekday()) % 7)


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    """Return an aware datetime at a wall-clock time in Lyon."""
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def _epoch(day: date, hour: int = 9) -> float:
    return paris(day, hour).timestamp()


def _info(data_dir: Path, today: date) -> SeedInfo:
    """Compute every date of the sample association from `today` (pure)."""
    year = today.year
    ca_dates = tuple(first_saturday(add_months(today, k - 4)) for k in range(12))
    upcoming = [d for d in ca_dates if d > today]
    past = [d for d in ca_dates if d < today]
    late = [d for d in past if (today - d).days > 30]
    override = upcoming[2]
    bureau_anchor = today - timedelta(weeks=10)
    next_monday = today + timedelta(days=7 - today.weekday())
    return SeedInfo(
        data_dir=data_dir,
        today=today,
        login=OWNER,
        calendars=tuple(CALENDARS),
        ca_dates=ca_dates,
        ca_next=upcoming[0],
        ca_exdate=upcoming[1],
        ca_override_original=override,
        ca_override_start=paris(override + timedelta(days=3), 18, 30),
        ca_folder_dates=tuple(d for d in ca_dates if d <= upcoming[0]),
        ca_minutes_missing=late[-1] if late else None,
        ca_budget_start=paris(today + timedelta(days=9), 18, 30),
        ca_extra_start=paris(today + timedelta(days=20), 18),
        formation_start=paris(today + timedelta(days=6), 14),
        ag_start=paris(today + timedelta(days=45), 14),
        bureau_first=bureau_anchor - timedelta(days=(bureau_anchor.weekday() - 1) % 7),
        lyon_deadline=today + timedelta(days=12),
        region_deadline=today + timedelta(days=33),
        cr_financier_due=date(year, 6, 30),
        prefecture_due=today + timedelta(days=50),
        dentist_start=paris(next_monday + timedelta(days=3), 17),
        lyon_folder=f"Subventions/Ville de Lyon {year + 1}",
        region_folder=f"Subventions/Région Auvergne-Rhône-Alpes {year + 1}",
        lyon_previous_folder=f"Subventions/Ville de Lyon {year - 1}",
    )


# --- iCalendar text -------------------------------------------------------------------


def _fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (RFC 5545 3.1)."""
    raw = line.encode()
    parts: list[bytes] = []
    limit = 75
    while len(raw) > limit:
        cut = limit
        while raw[cut] & 0xC0 == 0x80:  # continuation byte: back up to a character start
            cut -= 1
        parts.append(raw[:cut])
        raw = raw[cut:]
        limit = 74  # continuation lines start with one space
    parts.append(raw)
    return "\r\n ".join(p.decode() for p in parts)


def _text(value: str) -> str:
    """Escape a TEXT value."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _param(value: str) -> str:
    """Quote a parameter value when it holds a character that ends a parameter."""
    return f'"{value}"' if any(c in value for c in ",;:") else value


def _local(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _utc(day: date) -> str:
    return day.strftime("%Y%m%dT090000Z")


def _attendee(uid: str, partstat: str, extra: str = "") -> str:
    member = BY_UID[uid]
    cn = (
        f"{member.name.split(' ', 1)[1]}, {member.name.split(' ', 1)[0]}"
        if uid == "bernard"
        else member.name
    )
    rsvp = ";RSVP=TRUE" if partstat == "NEEDS-ACTION" else ""
    return (
        f"ATTENDEE;CN={_param(cn)};CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;"
        f"PARTSTAT={partstat}{rsvp}{extra}:mailto:{member.email}"
    )


def _organizer() -> str:
    return f"ORGANIZER;CN=Alice Example:mailto:{BY_UID['alice'].email}"


def _ca_attendees(bernard: str = "ACCEPTED") -> list[str]:
    """The monthly board meeting's attendees, with one delegation (Gérard → Hélène)."""
    helene = f"mailto:{BY_UID['helene'].email}"
    gerard = f"mailto:{BY_UID['gerard'].email}"
    return [
        _organizer(),
        _attendee("alice", "ACCEPTED"),
        _attendee("bernard", bernard),
        _attendee("chloe", "DECLINED"),
        _attendee("etienne", "TENTATIVE"),
        _attendee("francoise", "NEEDS-ACTION"),
        _attendee("gerard", "DELEGATED", f';DELEGATED-TO="{helene}"'),
        _attendee("helene", "ACCEPTED", f';DELEGATED-FROM="{gerard}"'),
    ]


def _calendar(components: Iterable[list[str]], with_tz: bool = True) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    if with_tz:
        lines.extend(VTIMEZONE)
    for component in components:
        lines.extend(component)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()


def _event(
    uid: str,
    summary: str,
    start: datetime,
    end: datetime,
    stamp: date,
    extra: Iterable[str] = (),
) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}@{DOMAIN}",
        f"DTSTAMP:{_utc(stamp)}",
        f"CREATED:{_utc(stamp)}",
        f"LAST-MODIFIED:{_utc(stamp)}",
        f"SUMMARY:{_text(summary)}",
        f"DTSTART;TZID={TZID}:{_local(start)}",
        f"DTEND;TZID={TZID}:{_local(end)}",
        *extra,
        "END:VEVENT",
    ]


def _ca_monthly(info: SeedInfo) -> bytes:
    created = add_months(info.today, -5).replace(day=min(info.today.day, 28))
    first = info.ca_dates[0]
    common = [f"LOCATION:{_text(CA_LOCATION)}", "CATEGORIES:Conseil d'administration"]
    master = _event(
        "ca-mensuel",
        "Conseil d'administration mensuel",
        paris(first, 10),
        paris(first, 12),
        created,
        [
            *common,
            "RRULE:FREQ=MONTHLY;BYDAY=1SA;COUNT=12",
            f"EXDATE;TZID={TZID}:{_local(paris(info.ca_exdate, 10))}",
            "STATUS:CONFIRMED",
            *_ca_attendees(),
        ],
    )
    moved = info.ca_override_start
    override = _event(
        "ca-mensuel",
        "Conseil d'administration mensuel",
        moved,
        moved + timedelta(hours=2),
        created,
        [
            f"RECURRENCE-ID;TZID={TZID}:{_local(paris(info.ca_override_original, 10))}",
            *common,
            "STATUS:CONFIRMED",
            *_ca_attendees(bernard="DECLINED"),
        ],
    )
    return _calendar([master, override])


def _conseil_objects(info: SeedInfo) -> dict[str, bytes]:
    """The `conseil` calendar: the monthly series plus single meetings and one ordinary event."""
    year, today = info.today.year, info.today
    budget_attendees = [_organizer(), _attendee("alice", "ACCEPTED")] + [
        _attendee(uid, "NEEDS-ACTION") for uid in CA_MEMBERS if uid != "alice"
    ]
    ca_cat = "CATEGORIES:Conseil d'administration"
    return {
        "ca-mensuel.ics": _ca_monthly(info),
        "ca-budget.ics": _calendar(
            [
                _event(
                    "ca-budget",
                    f"Réunion du CA — budget {year + 1}",
                    info.ca_budget_start,
                    info.ca_budget_start + timedelta(hours=2),
                    today - timedelta(days=2),  # a late convocation: sent 11 days ahead
                    [f"LOCATION:{_text(CA_LOCATION)}", ca_cat, *budget_attendees],
                )
            ]
        ),
        "ca-extra.ics": _calendar(
            [
                _event(
                    "ca-extra",
                    "CA extraordinaire",
                    info.ca_extra_start,
                    info.ca_extra_start + timedelta(hours=2),
                    today - timedelta(days=5),
                    [ca_cat, "STATUS:CANCELLED"],
                )
            ]
        ),
        "formation-compostage.ics": _calendar(
            [
                _event(
                    "formation-compostage",
                    "Formation compostage",
                    info.formation_start,
                    info.formation_start + timedelta(hours=3),
                    today - timedelta(days=20),
                    ["LOCATION:Jardin de la Muette\\, Lyon 4e"],
                )
            ]
        ),
        "ag-ordinaire.ics": _calendar(
            [
                _event(
                    "ag-ordinaire",
                    f"Assemblée générale ordinaire {year}",
                    info.ag_start,
                    info.ag_start + timedelta(hours=3),
                    today - timedelta(days=30),
                    [f"LOCATION:{_text(CA_LOCATION)}", "CATEGORIES:Assemblée générale"],
                )
            ]
        ),
    }


def _bureau_objects(info: SeedInfo) -> dict[str, bytes]:
    start = paris(info.bureau_first, 18, 30)
    attendees = [_organizer()] + [_attendee(uid, "ACCEPTED") for uid in BUREAU_MEMBERS]
    event = _event(
        "bureau",
        "Réunion de bureau",
        start,
        start + timedelta(hours=1),
        info.bureau_first - timedelta(days=7),
        ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=20", *attendees],
    )
    return {"bureau.ics": _calendar([event])}


def _all_day(uid: str, summary: str, day: date, stamp: date) -> bytes:
    return _calendar(
        [
            [
                "BEGIN:VEVENT",
                f"UID:{uid}@{DOMAIN}",
                f"DTSTAMP:{_utc(stamp)}",
                f"SUMMARY:{_text(summary)}",
                "CATEGORIES:Subventions",
                f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
                "TRANSP:TRANSPARENT",
                "END:VEVENT",
            ]
        ],
        with_tz=False,
    )


def _todo(uid: str, summary: str, due: date, stamp: date) -> bytes:
    return _calendar(
        [
            [
                "BEGIN:VTODO",
                f"UID:{uid}@{DOMAIN}",
                f"DTSTAMP:{_utc(stamp)}",
                f"SUMMARY:{_text(summary)}",
                f"DUE;VALUE=DATE:{due:%Y%m%d}",
                "STATUS:NEEDS-ACTION",
                "END:VTODO",
            ]
        ],
        with_tz=False,
    )


def _echeances_objects(info: SeedInfo) -> dict[str, bytes]:
    year, stamp = info.today.year, info.today - timedelta(days=40)
    return {
        "depot-lyon.ics": _all_day(
            "depot-lyon",
            f"Date limite — dossier Ville de Lyon {year + 1}",
            info.lyon_deadline,
            stamp,
        ),
        "depot-region.ics": _all_day(
            "depot-region",
            f"Date limite — dossier Région Auvergne-Rhône-Alpes {year + 1}",
            info.region_deadline,
            stamp,
        ),
        "cr-financier-lyon.ics": _todo(
            "cr-financier-lyon",
            f"Compte-rendu financier Ville de Lyon {year - 1}",
            info.cr_financier_due,
            stamp,
        ),
        "declaration-prefecture.ics": _todo(
            "declaration-prefecture",
            "Déclaration en préfecture — changement de bureau",
            info.prefecture_due,
            stamp,
        ),
    }


def _personal_objects(info: SeedInfo) -> dict[str, bytes]:
    start = info.dentist_start
    event = _event(
        "dentiste", "Dentiste", start, start + timedelta(minutes=30), info.today, ["CLASS:PRIVATE"]
    )
    return {"dentiste.ics": _calendar([event])}


def _calendar_objects(info: SeedInfo) -> dict[str, dict[str, bytes]]:
    return {
        "conseil": _conseil_objects(info),
        "bureau": _bureau_objects(info),
        "echeances": _echeances_objects(info),
        "personal": _personal_objects(info),
    }


# --- files ----------------------------------------------------------------------------


def _content(name: str) -> bytes:
    """A tiny fake document whose first bytes match its extension."""
    headers = {
        ".pdf": b"%PDF-1.4\n% demo\n",
        ".ods": b"PK\x03\x04 demo ods\n",
        ".png": b"\x89PNG\r\n\x1a\n demo\n",
        ".jpg": b"\xff\xd8\xff\xe0 demo\n",
        ".txt": b"",
    }
    return headers.get(Path(name).suffix, b"demo\n") + name.encode() + b"\n"


def _file_plan(info: SeedInfo) -> dict[str, date]:
    """Every file of alice as relative path → the day it was last modified."""
    today, year = info.today, info.today.year
    plan: dict[str, date] = {
        "Association/Statuts.pdf": date(year - 3, 3, 14),
        "Association/Liste des dirigeants.pdf": today - timedelta(days=95),
        f"Association/Rapport d'activité {year - 1}.pdf": date(year, 3, 20),
        "Bureau/Compte rendu bureau " + f"{info.bureau_first}.pdf": info.bureau_first
        + timedelta(days=2),
        "Bureau/Compte rendu bureau "
        + f"{info.bureau_first + timedelta(weeks=2)}.pdf": info.bureau_first + timedelta(days=16),
        f"Assemblée générale/{year}/Convocation AG {year}.pdf": today - timedelta(days=3),
        f"Comptabilité/Comptes {year - 1} approuvés.pdf": date(year, 4, 12),
        f"Comptabilité/Grand livre {year}.ods": today - timedelta(days=4),
        "Communication/Affiche fête des jardins.png": today - timedelta(days=60),
        f"Photos/Récolte {year}/IMG_0001.jpg": today - timedelta(days=75),
    }
    for month in range(1, 4):
        plan[f"Comptabilité/Relevés/Relevé {year}-{month:02d}.pdf"] = date(year, month, 5)
    plan.update(_ca_file_plan(info))
    plan.update(_grant_file_plan(info))
    return {path: min(day, today - timedelta(days=1)) for path, day in plan.items()}


def _ca_file_plan(info: SeedInfo) -> dict[str, date]:
    plan: dict[str, date] = {}
    for day in info.ca_folder_dates:
        folder = f"{CA_FOLDER}/{day.isoformat()}"
        plan[f"{folder}/Ordre du jour.pdf"] = day - timedelta(days=10)
        if day == info.ca_next:
            # Its own evidence of a convocation in time: a series' stamps prove nothing.
            plan[f"{folder}/Convocation CA.pdf"] = day - timedelta(days=16)
        if day < info.today and day != info.ca_minutes_missing:
            plan[f"{folder}/PV CA {day.isoformat()}.pdf"] = day + timedelta(days=6)
    return plan


def _grant_file_plan(info: SeedInfo) -> dict[str, date]:
    year, today = info.today.year, info.today
    shared = {
        "Statuts.pdf": date(year - 3, 3, 14),
        f"Rapport d'activité {year - 1}.pdf": date(year, 3, 20),
        "Liste des dirigeants.pdf": today - timedelta(days=95),
        f"Budget prévisionnel {year + 1}.ods": today - timedelta(days=8),
    }
    lyon = {
        "cerfa_12156-06.pdf": today - timedelta(days=6),
        "RIB Crédit Mutuel.pdf": date(year - 1, 9, 2),
        f"Comptes {year - 1} approuvés.pdf": date(year, 4, 12),
        **shared,
    }
    region = {"Cerfa 12156 Région.pdf": today - timedelta(days=5), **shared}
    previous = {
        "Convention signée.pdf": date(year - 1, 5, 20),
        "Notification d'attribution.pdf": date(year - 1, 4, 28),
    }
    plan: dict[str, date] = {}
    for folder, files in (
        (info.lyon_folder, lyon),
        (info.region_folder, region),
        (info.lyon_previous_folder, previous),
    ):
        plan.update({f"{folder}/{name}": day for name, day in files.items()})
    return plan


def _write(path: Path, content: bytes, day: date) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    stamp = _epoch(day)
    os.utime(path, (stamp, stamp))


def _stamp_folders(root: Path) -> None:
    """Give each folder the newest mtime below it, as Nextcloud's propagation would."""
    for folder, _subdirs, _files in sorted(os.walk(root), key=lambda t: -len(t[0])):
        newest = max((p.stat().st_mtime for p in Path(folder).iterdir()), default=None)
        if newest is not None:
            os.utime(folder, (newest, newest))


# --- calendars on disk ----------------------------------------------------------------


def _write_calendars(info: SeedInfo) -> None:
    stamp = info.today - timedelta(days=1)
    for name, objects in _calendar_objects(info).items():
        folder = info.calendar_root / name
        display, components, colour = CALENDARS[name]
        props: dict[str, str] = {
            "tag": "VCALENDAR",
            "D:displayname": display,
            "C:supported-calendar-component-set": components,
        }
        if colour is not None:
            props["ICAL:calendar-color"] = colour
        _write(folder / ".Radicale.props", json.dumps(props, ensure_ascii=False).encode(), stamp)
        for filename, body in objects.items():
            _write(folder / filename, body, stamp)


# --- OCS data -------------------------------------------------------------------------


def _ocs_user(member: Member, groups: list[str]) -> dict[str, Any]:
    return {
        "id": member.uid,
        "displayname": member.name,
        "email": member.email,
        "groups": groups,
        "role": member.role,
        "organisation": ASSOCIATION,
    }


def _ocs_users() -> dict[str, Any]:
    users = {}
    for member in MEMBERS:
        groups = ["CA"] + (["Bureau"] if member.uid in BUREAU_MEMBERS else [])
        users[member.uid] = _ocs_user(member, groups)
    # the association's account administers its groups, so it may import their members
    users[OWNER]["subadmin"] = ["CA", "Bureau"]
    users["admin"] = {"id": "admin", "displayname": "admin", "email": None, "groups": ["admin"]}
    return users


def _share(share_id: int, path: str, share_type: int, day: date, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(share_id),
        "share_type": share_type,
        "path": path,
        "stime": int(_epoch(day)),
        "permissions": 17 if share_type == 3 else 31,
        "expiration": None,
        "password": None,
        "label": None,
        "share_with": None,
        "share_with_displayname": None,
        "token": None,
        **extra,
    }


def _ocs_shares(info: SeedInfo) -> list[dict[str, Any]]:
    today = info.today
    expiry = (today + timedelta(days=60)).strftime("%Y-%m-%d 00:00:00")
    link = {"share_with_displayname": "(Shared link)", "label": ""}
    password_hash = "$2y$10$demoDemoDemoDemoDemoDeO1UTpMvPwCMAxRr8mHyzGNsz9bD4/Ke"
    return [
        _share(
            27,
            "/Subventions",
            1,
            today - timedelta(days=90),
            share_with="CA",
            share_with_displayname="Conseil d'administration",
        ),
        _share(30, "/Comptabilité", 3, today - timedelta(days=70), token="dEmOcOmPtA2026", **link),
        _share(
            31,
            "/" + info.lyon_folder,
            3,
            today - timedelta(days=7),
            token="dEmOlYoNdOsSiEr",
            expiration=expiry,
            password=password_hash,
            share_with=password_hash,
            share_with_displayname="(Shared link)",
            label="Dossier Ville de Lyon",
        ),
        _share(
            35,
            "/Communication",
            0,
            today - timedelta(days=50),
            share_with="marc.externe",
            share_with_displayname="Marc Externe",
        ),
    ]


def _capabilities() -> dict[str, Any]:
    """Capabilities shaped like Nextcloud 29's (fixture 14): no `spreed`, no `activity`."""
    flag = {"enabled": True}
    return {
        "version": {
            "major": 29,
            "minor": 0,
            "micro": 6,
            "string": "29.0.6",
            "edition": "",
            "extendedSupport": False,
        },
        "capabilities": {
            "core": {
                "pollinterval": 60,
                "webdav-root": "remote.php/webdav",
                "reference-api": True,
                "mod-rewrite-working": False,
            },
            "bruteforce": {"delay": 0, "allow-listed": True},
            "files": {
                "bigfilechunking": True,
                "blacklisted_files": [".htaccess"],
                "forbidden_filename_characters": ["\\", "/"],
                "comments": True,
                "undelete": True,
                "versioning": True,
            },
            "dav": {"chunking": "1.0", "bulkupload": "1.0"},
            "files_sharing": {
                "api_enabled": True,
                "public": {
                    "enabled": True,
                    "password": {"enforced": False, "askForOptionalPassword": False},
                    "expire_date": {"enabled": False},
                    "multiple_links": True,
                    "send_mail": False,
                    "upload": True,
                    "upload_files_drop": True,
                },
                "resharing": True,
                "user": {"send_mail": False, "expire_date": flag},
                "group_sharing": True,
                "group": {"enabled": True, "expire_date": flag},
                "default_permissions": 31,
            },
            "notifications": {
                "ocs-endpoints": ["list", "get", "delete", "delete-all", "icons", "rich-strings"],
                "push": ["devices", "object-data", "delete"],
                "admin-notifications": ["ocs", "cli"],
            },
            "provisioning_api": {"version": "1.19.0", "AccountPropertyScopesVersion": 2},
            "systemtags": flag,
            "theming": {
                "name": "Nextcloud",
                "url": "https://nextcloud.com",
                "slogan": "a safe home for all your data",
                "color": "#00679e",
            },
            "user_status": {"enabled": True, "restore": True, "supports_emoji": True},
        },
    }


def ocs_document(info: SeedInfo) -> dict[str, Any]:
    """The content of `ocs.json`: users, groups and alice's shares."""
    return {
        "capabilities": _capabilities(),
        "users": _ocs_users(),
        "groups": {
            "CA": {"displayname": "Conseil d'administration", "members": list(CA_MEMBERS)},
            "Bureau": {"displayname": "Bureau", "members": list(BUREAU_MEMBERS)},
            "admin": {"displayname": "admin", "members": ["admin"]},
        },
        "shares": {OWNER: _ocs_shares(info)},
    }


# --- entry point ----------------------------------------------------------------------


def seed(data_dir: Path, today: date) -> SeedInfo:
    """Write the sample association under `data_dir` (once) and describe it.

    A marker file makes this idempotent: on an already seeded directory nothing is written
    and the facts are computed for the `today` it was seeded with.
    """
    marker = data_dir / MARKER
    if marker.exists():
        return _info(data_dir, date.fromisoformat(marker.read_text().strip()))
    info = _info(data_dir, today)
    for path, day in _file_plan(info).items():
        _write(info.files_root / path, _content(path), day)
    _write(
        data_dir / "files" / "admin" / "Lisez-moi.txt",
        _content("Lisez-moi.txt"),
        today - timedelta(days=1),
    )
    _write_calendars(info)
    ocs = json.dumps(ocs_document(info), ensure_ascii=False, indent=1) + "\n"
    _write(data_dir / "ocs.json", ocs.encode(), today - timedelta(days=1))
    for root in (data_dir / "files", data_dir / "radicale"):
        _stamp_folders(root)
    _write(marker, (today.isoformat() + "\n").encode(), today - timedelta(days=1))
    return info
