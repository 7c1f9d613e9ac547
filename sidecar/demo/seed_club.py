"""A second sample association, unlike the first: a basketball club with its own names.

"Villeurbanne Basket Club" keeps its board ("Comité directeur") and its general assembly in
``Instances/``, names its AG folders after the meeting (``Instances/AG/AGO 2026/``), keeps its
grant dossiers in ``Financements/`` ("Région AURA - FDVA 2027"), its accounts in
``Trésorerie/`` (shared by a public link without password), and its calendars "Vie du club",
"Dates limites", "Entraînements" and "Anniversaires". Nothing in it follows the names the
first sample or Quorum's defaults use, so a setup that only works on those fails here.

``seed_club(data_dir, today)`` writes it in the demo server's layout (files for WsgiDAV,
Radicale's collections, ``ocs.json``); :class:`ClubInfo` gives the facts tests check.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from sidecar.demo.seed import _capabilities as nextcloud_capabilities

CLUB = "Villeurbanne Basket Club"
CLUB_LOGIN = "secretariat"
CLUB_USERS = {CLUB_LOGIN: "club-app-password"}
DOMAIN = "vbc.example"
LYON = ZoneInfo("Europe/Paris")
CD_FOLDER = "Instances/Comité directeur"
BOARD = (  # uid, name, e-mail
    ("secretariat", "Secrétariat VBC", f"secretariat@{DOMAIN}"),
    ("karim", "Karim Belkacem", f"karim.belkacem@{DOMAIN}"),
    ("lea", "Léa Fontaine", f"lea.fontaine@{DOMAIN}"),
    ("marc", "Marc Oliveira", f"marc.oliveira@{DOMAIN}"),
    ("nadia", "Nadia Perret", f"nadia.perret@{DOMAIN}"),
)
OUTSIDER = ("photographe", "Julie Lumière", "julie@photo.example")


@dataclass(frozen=True)
class ClubInfo:
    """Facts about the seeded club (dates relative to ``today``)."""

    data_dir: Path
    today: date
    cd_dates: tuple[date, ...]  # the monthly Comité directeur (first Thursday, 20:00)
    cd_minutes_missing: date  # the one past meeting, over 30 days old, without minutes
    cd_minutes_by_name: date  # its minutes sit in the body folder, named with the date
    cd_late_convocation: date  # the last past one: its convocation file is dated 5 days before
    ag_day: date  # the past AG, "AGO <year>", documents in Instances/AG/AGO <year>/
    fdva_folder: str  # "Financements/Région AURA - FDVA <Y+1>"
    fdva_deadline: date
    ans_folder: str  # "Financements/ANS PSF <Y>" (awarded)
    fondation_deadline: date  # a deadline naming a funder that has no folder

    @property
    def files_root(self) -> Path:
        return self.data_dir / "files" / CLUB_LOGIN

    @property
    def ag_title(self) -> str:
        return f"AGO {self.ag_day.year}"


def _first_thursday(month_start: date) -> date:
    return month_start + timedelta(days=(3 - month_start.weekday()) % 7)


def _month(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def club_info(data_dir: Path, today: date) -> ClubInfo:
    """Every date of the club, from ``today`` (pure)."""
    cd = tuple(_first_thursday(_month(today, k - 4)) for k in range(10))
    past = [d for d in cd if d < today]
    late = [d for d in past if (today - d).days > 30 and d != past[-1]]
    year = today.year
    return ClubInfo(
        data_dir=data_dir,
        today=today,
        cd_dates=cd,
        cd_minutes_missing=late[-1],
        cd_minutes_by_name=late[-2],
        cd_late_convocation=past[-1],
        ag_day=today - timedelta(days=60),
        fdva_folder=f"Financements/Région AURA - FDVA {year + 1}",
        fdva_deadline=today + timedelta(days=25),
        ans_folder=f"Financements/ANS PSF {year}",
        fondation_deadline=today + timedelta(days=40),
    )


# --- calendars ---------------------------------------------------------------------------


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LYON)


def _vcal(*components: icalendar.cal.Component) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Villeurbanne Basket Club//Quorum demo//FR")
    cal.add("version", "2.0")
    for comp in components:
        cal.add_component(comp)
    return bytes(cal.to_ical())


def _event(uid: str, summary: str, start: datetime, hours: int, stamp: date) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"{uid}@{DOMAIN}")
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(hours=hours))
    moment = datetime.combine(stamp, time(9), tzinfo=LYON)
    for name in ("dtstamp", "created", "last-modified"):
        event.add(name, moment)
    return event


def _invite(event: icalendar.Event) -> icalendar.Event:
    event.add("organizer", f"mailto:{BOARD[0][2]}", parameters={"CN": BOARD[0][1]})
    for _uid, name, email in BOARD:
        event.add("attendee", f"mailto:{email}", parameters={"CN": name, "PARTSTAT": "ACCEPTED"})
    return event


def _all_day(uid: str, summary: str, day: date, stamp: date) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"{uid}@{DOMAIN}")
    event.add("summary", summary)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("dtstamp", datetime.combine(stamp, time(9), tzinfo=LYON))
    return event


def _todo(uid: str, summary: str, due: date, stamp: date) -> icalendar.Todo:
    todo = icalendar.Todo()
    todo.add("uid", f"{uid}@{DOMAIN}")
    todo.add("summary", summary)
    todo.add("due", due)
    todo.add("status", "NEEDS-ACTION")
    todo.add("dtstamp", datetime.combine(stamp, time(9), tzinfo=LYON))
    return todo


def _calendars(info: ClubInfo) -> dict[str, tuple[str, str, dict[str, bytes]]]:
    """name → (display name, components, {file: ICS})."""
    today, year = info.today, info.today.year
    series = _invite(_event("cd", "Comité directeur", _at(info.cd_dates[0], 20), 2, today))
    series.add("rrule", {"freq": "monthly", "byday": "1TH", "count": len(info.cd_dates)})
    series["CREATED"] = icalendar.vDDDTypes(_at(info.cd_dates[0] - timedelta(days=40), 9))
    ag = _invite(_event("ago", info.ag_title, _at(info.ag_day, 18), 3, info.ag_day))
    tournoi = _event("tournoi", "Tournoi de Noël", _at(today + timedelta(days=20), 9), 8, today)
    training = _event("u13", "Entraînement U13", _at(today - timedelta(days=30), 18), 2, today)
    training.add("rrule", {"freq": "weekly", "count": 30})
    birthday = _all_day("anniv-karim", "Anniversaire Karim", today + timedelta(days=3), today)
    birthday.add("rrule", {"freq": "yearly"})
    stamp = today - timedelta(days=20)
    return {
        "vie-du-club": (
            "Vie du club",
            "VEVENT",
            {"cd.ics": _vcal(series), "ago.ics": _vcal(ag), "tournoi.ics": _vcal(tournoi)},
        ),
        "dates-limites": (
            "Dates limites",
            "VEVENT,VTODO",
            {
                "fdva.ics": _vcal(
                    _all_day(
                        "fdva",
                        f"Date limite dépôt – FDVA {year + 1} (Région AURA)",
                        info.fdva_deadline,
                        stamp,
                    )
                ),
                "portail.ics": _vcal(
                    _todo(
                        "portail",
                        "Déposer le dossier FDVA sur le portail",
                        info.fdva_deadline - timedelta(days=2),
                        stamp,
                    )
                ),
                "fondation.ics": _vcal(
                    _all_day(
                        "fondation",
                        f"Date limite — dossier Fondation Sport Avenir {year + 1}",
                        info.fondation_deadline,
                        stamp,
                    )
                ),
            },
        ),
        "entrainements": ("Entraînements", "VEVENT", {"u13.ics": _vcal(training)}),
        "anniversaires": ("Anniversaires", "VEVENT", {"karim.ics": _vcal(birthday)}),
    }


# --- files -------------------------------------------------------------------------------


def _file_plan(info: ClubInfo) -> dict[str, date]:
    today, year = info.today, info.today.year
    plan: dict[str, date] = {}
    for day in info.cd_dates:
        if day >= today:
            continue
        folder = f"{CD_FOLDER}/{day.isoformat()}"
        plan[f"{folder}/Ordre du jour.pdf"] = day - timedelta(days=16)
        if day < today and day not in (info.cd_minutes_missing, info.cd_minutes_by_name):
            plan[f"{folder}/PV comité directeur.pdf"] = day + timedelta(days=5)
    plan[f"{CD_FOLDER}/{info.cd_late_convocation.isoformat()}/Convocation.pdf"] = (
        info.cd_late_convocation - timedelta(days=5)
    )
    by_name = info.cd_minutes_by_name
    plan[f"{CD_FOLDER}/PV CD {by_name:%d-%m-%Y}.pdf"] = by_name + timedelta(days=4)
    ag = f"Instances/AG/{info.ag_title}"
    plan[f"{ag}/Convocation {info.ag_title}.pdf"] = info.ag_day - timedelta(days=21)
    plan[f"{ag}/PV {info.ag_title}.pdf"] = info.ag_day + timedelta(days=7)
    plan["Instances/Statuts VBC.pdf"] = date(year - 4, 6, 1)
    plan.update(
        {
            f"{info.fdva_folder}/Cerfa 12156.pdf": today - timedelta(days=3),
            f"{info.fdva_folder}/RIB Banque Populaire.pdf": date(year - 1, 2, 1),
            f"{info.fdva_folder}/Statuts.pdf": date(year - 4, 6, 1),
            f"{info.fdva_folder}/Budget prévisionnel {year + 1}.ods": today - timedelta(days=2),
            f"{info.ans_folder}/Notification d'attribution ANS.pdf": date(year, 6, 10),
            f"{info.ans_folder}/Convention ANS signée.pdf": date(year, 7, 1),
            f"{info.ans_folder}/Cerfa 12156 ANS.pdf": date(year, 2, 1),
            f"{info.ans_folder}/RIB.pdf": date(year, 2, 1),
            f"Trésorerie/Bilan {year - 1}.pdf": date(year, 4, 2),
            f"Trésorerie/Relevés bancaires/Relevé {year}-01.pdf": date(year, 1, 5),
            f"Trésorerie/Factures/Facture équipements {year}.pdf": date(year, 3, 9),
            "Communication/Affiche tournoi.png": today - timedelta(days=8),
            "Communication/Logo VBC.svg": date(year - 2, 1, 1),
        }
    )
    return {path: min(day, today - timedelta(days=1)) for path, day in plan.items()}


def _write(path: Path, content: bytes, day: date) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    stamp = datetime.combine(day, time(9), tzinfo=LYON).timestamp()
    os.utime(path, (stamp, stamp))


def _stamp_folders(root: Path) -> None:
    for folder, _dirs, _files in sorted(os.walk(root), key=lambda t: -len(t[0])):
        newest = max((p.stat().st_mtime for p in Path(folder).iterdir()), default=None)
        if newest is not None:
            os.utime(folder, (newest, newest))


# --- OCS ---------------------------------------------------------------------------------


def _share(share_id: int, path: str, share_type: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(share_id),
        "share_type": share_type,
        "path": path,
        "stime": 1_700_000_000,
        "permissions": 1 if share_type == 3 else 31,
        "expiration": None,
        "password": None,
        "label": None,
        "share_with": None,
        "share_with_displayname": None,
        "token": None,
        **extra,
    }


def _ocs_document() -> dict[str, Any]:
    users: dict[str, Any] = {
        uid: {"id": uid, "displayname": name, "email": email, "groups": ["comite-directeur"]}
        for uid, name, email in BOARD
    }
    users[OUTSIDER[0]] = {
        "id": OUTSIDER[0],
        "displayname": OUTSIDER[1],
        "email": OUTSIDER[2],
        "groups": [],
    }
    shares = [
        _share(71, "/Trésorerie", 3, token="vBcTrEsO", share_with_displayname="(Shared link)"),
        _share(
            72,
            "/Financements",
            1,
            share_with="comite-directeur",
            share_with_displayname="Comité directeur",
        ),
        _share(73, "/Instances", 0, share_with="karim", share_with_displayname=BOARD[1][1]),
        _share(74, "/Communication", 0, share_with=OUTSIDER[0], share_with_displayname=OUTSIDER[1]),
    ]
    return {
        "capabilities": nextcloud_capabilities(),
        "users": users,
        "groups": {
            "comite-directeur": {
                "displayname": "Comité directeur",
                "members": [uid for uid, _n, _e in BOARD],
            },
            "admin": {"displayname": "admin", "members": [CLUB_LOGIN]},
        },
        "shares": {CLUB_LOGIN: shares},
    }


def seed_club(data_dir: Path, today: date) -> ClubInfo:
    """Write the club under ``data_dir`` for the demo server, and describe it."""
    info = club_info(data_dir, today)
    for path, day in _file_plan(info).items():
        _write(info.files_root / path, b"%PDF-1.4\n% club\n" + path.encode(), day)
    calendars = data_dir / "radicale" / "collection-root" / CLUB_LOGIN
    for name, (display, components, objects) in _calendars(info).items():
        props = {
            "tag": "VCALENDAR",
            "D:displayname": display,
            "C:supported-calendar-component-set": components,
        }
        _write(calendars / name / ".Radicale.props", json.dumps(props).encode(), today)
        for filename, body in objects.items():
            _write(calendars / name / filename, body, today)
    document = json.dumps(_ocs_document(), ensure_ascii=False, indent=1)
    _write(data_dir / "ocs.json", document.encode(), today)
    for root in (data_dir / "files", data_dir / "radicale"):
        _stamp_folders(root)
    return info
