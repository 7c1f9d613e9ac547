"""Benchmark: Quorum's incremental sync against a naive client, on the demo Nextcloud.

For each size it generates a dataset into a fresh demo server data directory (files and .ics
written straight to disk), starts the demo server in a process of its own
(``python -m sidecar.demo``), and runs, from this process and on the same data:

- ``initial``: the first sync;
- ``nochange``: a resync with nothing changed;
- ``changes``: a resync after 10 file changes (WebDAV PUT, in different folders, so folder ETags
  propagate as on Nextcloud) and 10 event changes (CalDAV PUT, spread over the calendars);

for Quorum (``run_source`` on a temporary SQLite database), for a naive client written the way
the declared libraries invite (webdavclient3 ``list()``/``info()`` walk of the whole tree, caldav
``calendar.events()`` for each calendar) and, with ``--clients quorum,raw``, for the raw lower
bound (one ``PROPFIND`` per folder and one ``sync-collection`` per calendar, no parsing): the
issue-14 target is an initial sync within 1.2 times the raw client's wall time.

What is measured: requests, counted by the server; wall time (``perf_counter``); CPU time of the
client process, all threads (``process_time``: an idle poll's must not grow with the mirror); memory, as the
peak resident size this client process reached during the phase above what it held when the
phase started (Linux ``VmHWM``, reset before each phase through ``/proc/self/clear_refs``; the
server's memory is its own process's and is not counted). tracemalloc is not used: it slows
allocation-heavy code several times and would skew the times measured beside it. ``matched``
says whether the mirrored result equals the server's state: every file path with its ETag, and
every event UID. ``--latency-ms`` adds a delay to every server answer, standing for the network
and a real Nextcloud's own per-request cost (PHP, database), which the demo server lacks.

    .venv/bin/python bench/sync.py --sizes small,medium --json bench.json
    .venv/bin/python bench/sync.py --sizes medium --latency-ms 20
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from sqlalchemy import select, update

from sidecar.cli.demo import connect_demo_source
from sidecar.config import load_settings
from sidecar.context import Services
from sidecar.demo import DEMO_LOGIN, DEMO_USERS, seed
from sidecar.demo.ncfiles import file_etag
from sidecar.demo.seed import MEMBERS
from sidecar.services import jobs
from sidecar.storage.models import CalendarObjectRecord, Collection, FileRecord
from sidecar.sync.runner import RunOptions, run_source

TIMEOUT = 600.0  # per request: the demo server is slow on the large dataset
CALENDARS = ("conseil", "bureau", "echeances", "evenements")
PHASES = ("initial", "nochange", "changes")


@dataclass(frozen=True)
class Size:
    """A dataset: ``top`` folders of ``sub`` subfolders of ``per_leaf`` files; events."""

    name: str
    top: int
    sub: int
    per_leaf: int
    events: int

    @property
    def files(self) -> int:
        return self.top * self.sub * self.per_leaf

    @property
    def folders(self) -> int:
        return self.top * (self.sub + 1)


SIZES = {
    "small": Size("small", 4, 10, 5, 100),  # 200 files, 44 folders
    "medium": Size("medium", 100, 10, 5, 2_000),  # 5,000 files, 1,100 folders
    "large": Size("large", 1_000, 10, 5, 20_000),  # 50,000 files, 11,000 folders
}


@dataclass(frozen=True)
class Record:
    """One measured phase of one client on one size."""

    client: str
    size: str
    phase: str
    requests: int
    seconds: float
    peak_mb: float
    matched: bool
    by_method: dict[str, int]
    latency_ms: float = 0.0
    cpu_s: float = 0.0  # CPU time of this client process (all its threads) during the phase


@dataclass
class Truth:
    """The server's state, read from its disk: file path -> ETag, and event UIDs."""

    files: dict[str, str]
    uids: set[str]


# --- dataset ----------------------------------------------------------------------------------


def generate(data_dir: Path, size: Size) -> None:
    """Seed the demo layout (OCS data, principals), then replace alice's files and calendars.

    The files are ``size.files`` pieces in a tree of dossiers, plus what an association's
    meetings and grants leave behind: a dated folder per board meeting with its agenda (and its
    minutes once held) and a few grant dossiers. The calendars hold ``size.events`` objects of
    the shapes a real association has (see :func:`ics`): monthly and weekly series with
    attendees, moved and cancelled occurrences, one-off meetings, deadlines, tasks, activities.
    """
    info = seed(data_dir, date.today())
    shutil.rmtree(info.files_root)
    shutil.rmtree(info.calendar_root)
    for t in range(size.top):
        for s in range(size.sub):
            folder = info.files_root / f"dossier-{t:04d}" / f"sous-dossier-{s:02d}"
            folder.mkdir(parents=True)
            for f in range(size.per_leaf):
                (folder / f"piece-{f}.txt").write_bytes(f"piece {t}/{s}/{f}\n".encode())
    _meeting_files(info.files_root, size)
    for c, name in enumerate(CALENDARS):
        folder = info.calendar_root / name
        folder.mkdir(parents=True)
        props = {"tag": "VCALENDAR", "D:displayname": CALENDAR_NAMES[name]}
        (folder / ".Radicale.props").write_text(json.dumps(props), encoding="utf-8")
        for e in range(c, size.events, len(CALENDARS)):
            uid = f"ev-{e:06d}"
            (folder / f"{uid}.ics").write_bytes(ics(uid, e))


CALENDAR_NAMES = {
    "conseil": "Conseil d'administration",
    "bureau": "Bureau",
    "echeances": "Échéances",
    "evenements": "Événements",
}
CA_FOLDER = "Conseil d'administration"
BUREAU_FOLDER = "Bureau"
FUNDERS = ("Ville de Lyon", "Région Auvergne-Rhône-Alpes", "Fondation de France", "CAF du Rhône")
ATTENDEES = tuple((m.name, m.email) for m in MEMBERS)
PARTSTATS = ("ACCEPTED", "ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION")


def event_day(n: int) -> date:
    """The day of object ``n``: spread over the year before and the year after today."""
    return date.fromordinal(date.today().toordinal() - 365 + (n * 7) % 730)


def _meeting_files(root: Path, size: Size) -> None:
    """A dated folder with agenda (and minutes, once past) for each one-off board meeting,
    dated documents in the bureau folder, and a grants folder with a few dossiers."""
    today = date.today()
    for e in range(0, size.events, len(CALENDARS)):
        if _shape(e) != "single":
            continue
        day = event_day(e)
        folder = root / CA_FOLDER / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "Ordre du jour.odt").write_bytes(f"odj {e}\n".encode())
        if day < today:
            (folder / f"PV {day.isoformat()}.pdf").write_bytes(f"pv {e}\n".encode())
    bureau = root / BUREAU_FOLDER
    bureau.mkdir(parents=True, exist_ok=True)
    for week in range(0, 104, 3):
        day = date.fromordinal(today.toordinal() - 365 + 7 * week)
        (bureau / f"Compte rendu {day.isoformat()}.md").write_bytes(f"cr {week}\n".encode())
    for i, funder in enumerate(FUNDERS * max(1, size.top // 50)):
        year = today.year - 1 + i % 3
        folder = root / "Subventions" / f"{funder} {year}"
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("Statuts.pdf", "RIB.pdf", "Budget prévisionnel.ods"):
            (folder / name).write_bytes(f"{funder} {year} {name}\n".encode())


def _shape(n: int) -> str:
    """What object ``n`` of its calendar is: a few long series, most one-off items."""
    if (n // len(CALENDARS)) % 25 == 0:
        return "series"
    return "single"


def ics(uid: str, n: int, round_: int = 0) -> bytes:
    """Object ``n`` as a calendar client writes it, by calendar (``n`` modulo 4).

    - conseil: a monthly board series (one in 25 objects) with its attendees, one occurrence
      moved by a RECURRENCE-ID override and one removed by EXDATE; else a one-off board meeting
      with attendees, a location and a visio link;
    - bureau: a weekly series (one in 25), else a one-off bureau meeting;
    - echeances: all-day grant deadlines and VTODO tasks with a due date;
    - evenements: activities (workshops, outings) with a description and a few attendees.
    """
    calendar = CALENDARS[n % len(CALENDARS)]
    day = event_day(n)
    note = f" (modifiée {round_})" if round_ else ""
    body = {
        "conseil": _board,
        "bureau": _bureau,
        "echeances": _deadline,
        "evenements": _activity,
    }[calendar](uid, n, day, note)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Quorum bench//FR", *body]
    return "\r\n".join([*lines, "END:VCALENDAR", ""]).encode()


def _stamp(day: date, hour: int) -> str:
    return f"{day:%Y%m%d}T{hour:02d}0000"


def _attendees(n: int, count: int) -> list[str]:
    lines = []
    for i, (name, email) in enumerate(ATTENDEES[:count]):
        partstat = PARTSTATS[(n + i) % len(PARTSTATS)]
        lines.append(
            f'ATTENDEE;CN="{name}";ROLE=REQ-PARTICIPANT;PARTSTAT={partstat};RSVP=TRUE:'
            f"mailto:{email}"
        )
    return lines


def _event(uid: str, day: date, hour: int, hours: int, summary: str, *extra: str) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"CREATED:{(day - timedelta(days=30)):%Y%m%d}T090000Z",
        f"DTSTART;TZID=Europe/Paris:{_stamp(day, hour)}",
        f"DTEND;TZID=Europe/Paris:{_stamp(day, hour + hours)}",
        f"SUMMARY:{summary}",
        "ORGANIZER;CN=Alice Example:mailto:" + ATTENDEES[0][1],
        *extra,
        "END:VEVENT",
    ]


def _board(uid: str, n: int, day: date, note: str) -> list[str]:
    location = "LOCATION:Maison des associations\\, Lyon — https://visio.example/b/ca"
    people = _attendees(n, len(ATTENDEES))
    if _shape(n) != "series":
        summary = f"Conseil d'administration{note}"
        return _event(uid, day, 18, 2, summary, location, *people, "STATUS:CONFIRMED")
    moved, removed = day + timedelta(days=28 * 3), day + timedelta(days=28 * 5)
    series = _event(
        uid, day, 18, 2, f"Conseil d'administration mensuel{note}", location, *people,
        "RRULE:FREQ=MONTHLY;COUNT=24", f"EXDATE;TZID=Europe/Paris:{_stamp(removed, 18)}",
    )  # fmt: skip
    override = _event(
        uid, moved + timedelta(days=2), 18, 2, f"Conseil d'administration (déplacé){note}",
        location, *people, f"RECURRENCE-ID;TZID=Europe/Paris:{_stamp(moved, 18)}",
    )  # fmt: skip
    return series + override


def _bureau(uid: str, n: int, day: date, note: str) -> list[str]:
    people = _attendees(n, 3)
    if _shape(n) != "series":
        return _event(uid, day, 12, 1, f"Réunion de bureau{note}", *people)
    cancelled = day + timedelta(days=7 * 4)
    series = _event(
        uid, day, 12, 1, f"Réunion de bureau hebdomadaire{note}", *people,
        "RRULE:FREQ=WEEKLY;COUNT=52",
    )  # fmt: skip
    override = _event(
        uid, cancelled, 12, 1, f"Réunion de bureau (annulée){note}", *people,
        f"RECURRENCE-ID;TZID=Europe/Paris:{_stamp(cancelled, 12)}", "STATUS:CANCELLED",
    )  # fmt: skip
    return series + override


def _deadline(uid: str, n: int, day: date, note: str) -> list[str]:
    funder = FUNDERS[n % len(FUNDERS)]
    if n % 3 == 0:
        return [
            "BEGIN:VTODO",
            f"UID:{uid}",
            "DTSTAMP:20260101T000000Z",
            f"DUE;VALUE=DATE:{day:%Y%m%d}",
            f"SUMMARY:Compte rendu financier {funder} {day.year - 1}{note}",
            "STATUS:NEEDS-ACTION",
            "END:VTODO",
        ]
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{(day + timedelta(days=1)):%Y%m%d}",
        f"SUMMARY:Date limite — dossier {funder} {day.year}{note}",
        "CATEGORIES:Subvention",
        "END:VEVENT",
    ]


def _activity(uid: str, n: int, day: date, note: str) -> list[str]:
    kind = ("Atelier compost", "Sortie botanique", "Formation taille", "Fête des jardins")[n % 4]
    description = (
        "DESCRIPTION:Rendez-vous au jardin\\, apporter gants et sécateur. "
        "Inscription auprès de Chloé\\; repli à la Maison des associations s'il pleut."
    )
    return _event(
        uid, day, 10, 3, f"{kind}{note}", description, "LOCATION:Jardin de la Muette",
        *_attendees(n, 4),
    )  # fmt: skip


def truth(data_dir: Path) -> Truth:
    """What a perfect mirror holds: every file with its ETag, every event UID."""
    root = data_dir / "files" / DEMO_LOGIN
    files: dict[str, str] = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            files["/" + path.relative_to(root).as_posix()] = file_etag(path.stat())
    cal_root = data_dir / "radicale" / "collection-root" / DEMO_LOGIN
    uids = {p.stem for p in cal_root.glob("*/*.ics")}
    return Truth(files, uids)


def change(server: ServerProcess, size: Size, round_: int) -> None:
    """10 file PUTs in 10 different top folders, 10 event PUTs spread over the calendars."""
    session = requests.Session()
    session.auth = (DEMO_LOGIN, DEMO_USERS[DEMO_LOGIN])
    for i in range(10):
        t = (i * size.top) // 10
        path = f"dossier-{t:04d}/sous-dossier-{i % size.sub:02d}/piece-0.txt"
        url = f"{server.url}/remote.php/dav/files/{DEMO_LOGIN}/{quote(path)}"
        put(session, url, f"changed {round_}/{i}\n".encode(), "text/plain")
    for i in range(10):
        e = (i * size.events) // 10 + i % len(CALENDARS)
        calendar = CALENDARS[e % len(CALENDARS)]
        uid = f"ev-{e:06d}"
        url = f"{server.url}/remote.php/dav/calendars/{DEMO_LOGIN}/{calendar}/{uid}.ics"
        put(session, url, ics(uid, e, round_), "text/calendar")


def put(session: requests.Session, url: str, body: bytes, content_type: str) -> None:
    response = session.put(url, data=body, headers={"Content-Type": content_type}, timeout=30)
    if response.status_code not in (200, 201, 204):
        raise SystemExit(f"PUT {url} answered {response.status_code}")


# --- the two clients --------------------------------------------------------------------------


class QuorumClient:
    """Quorum's engine on a temporary SQLite database."""

    name = "quorum"

    def __init__(self, server: ServerProcess, work: Path, database_url: str = "") -> None:
        overrides = {
            "data_dir": str(work / "quorum"),
            "allow_private_addresses": "true",
            "http_timeout": str(TIMEOUT),  # the demo's Radicale is slow on 20,000 events
            "database_url": database_url,  # empty: SQLite in the data directory
        }
        self.services = Services.from_settings(load_settings(environ={}, overrides=overrides))
        self.source_id = connect_demo_source(self.services, server.url)
        with self.services.db.session() as session:  # sync every calendar and the files root
            session.execute(
                update(Collection)
                .where(Collection.source_id == self.source_id)
                .values(enabled=True)
            )

    def sync(self, *, derive: bool = False) -> None:
        """One run of the sync engine alone; ``derive``: as the product syncs, followed by
        what a changing sync derives (read models, SQLite's planner statistics)."""
        run = jobs.sync_source if derive else run_source
        report = run(
            self.services.db,
            self.services.vault,
            self.source_id,
            options=RunOptions(deadline=TIMEOUT),
        )
        if report.outcome != "ok":
            raise SystemExit(f"Quorum sync {report.outcome}: {report.as_dict()}")

    def mirror(self) -> Truth:
        with self.services.db.session() as session:
            rows = session.execute(
                select(FileRecord.path, FileRecord.etag).where(FileRecord.is_folder.is_(False))
            )
            files = {path: (etag or "").strip('"') for path, etag in rows}
            uids = set(session.scalars(select(CalendarObjectRecord.uid)))
        return Truth(files, {u for u in uids if u})

    def close(self) -> None:
        self.services.db.dispose()


class NaiveClient:
    """What webdavclient3 and caldav invite: walk with list()/info(), then events()."""

    name = "naive"

    def __init__(self, server: ServerProcess) -> None:
        self.url = server.url
        self.state = Truth({}, set())

    def sync(self) -> None:
        self.state = Truth(self._files(), self._uids())

    def _files(self) -> dict[str, str]:
        from webdav3.client import Client

        client = Client(
            {
                "webdav_hostname": self.url,
                "webdav_root": f"/remote.php/dav/files/{DEMO_LOGIN}/",
                "webdav_login": DEMO_LOGIN,
                "webdav_password": DEMO_USERS[DEMO_LOGIN],
                "webdav_timeout": int(TIMEOUT),
                # Its HEAD existence check before each list()/info() is refused on folders
                # by WsgiDAV: switched off, so the naive count here is a lower bound.
                "disable_check": True,
            }
        )
        found: dict[str, str] = {}
        stack = ["/"]
        while stack:
            folder = stack.pop()
            for name in client.list(folder):
                path = folder + name
                if name.endswith("/"):
                    stack.append(path)
                else:
                    found[path] = (client.info(path).get("etag") or "").strip('"')
        return found

    def _uids(self) -> set[str]:
        import caldav

        dav: Any = caldav.DAVClient
        with dav(
            url=f"{self.url}/remote.php/dav/",
            username=DEMO_LOGIN,
            password=DEMO_USERS[DEMO_LOGIN],
            timeout=int(TIMEOUT),
        ) as client:
            uids: set[str] = set()
            for calendar in client.principal().calendars():
                for event in calendar.events():
                    uids.add(str(event.icalendar_component["UID"]))
        return uids

    def mirror(self) -> Truth:
        return self.state

    def close(self) -> None:
        """Nothing to release."""


class RawClient:
    """The lower bound a sync engine is held to: one ``PROPFIND Depth: 1`` per folder, the
    calendar home, and one ``sync-collection`` per calendar with the events' data, with no
    parsing beyond the hrefs, ETags and UID lines needed to check the result."""

    name = "raw"
    DAV = "{DAV:}"
    FOLDER = (
        '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>'
    )
    SYNC = (
        '<d:sync-collection xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
        "<d:sync-token/><d:sync-level>1</d:sync-level>"
        "<d:prop><d:getetag/><c:calendar-data/></d:prop></d:sync-collection>"
    )

    def __init__(self, server: ServerProcess) -> None:
        self.url = server.url
        self.state = Truth({}, set())

    def sync(self) -> None:
        with requests.Session() as http:
            http.auth = (DEMO_LOGIN, DEMO_USERS[DEMO_LOGIN])
            self.state = Truth(self._files(http), self._uids(http))

    def _multistatus(self, http: requests.Session, method: str, url: str, body: str) -> Any:
        from defusedxml import ElementTree

        headers = {"Depth": "1", "Content-Type": "application/xml"}
        answer = http.request(method, url, data=body, headers=headers, timeout=TIMEOUT)
        answer.raise_for_status()
        return ElementTree.fromstring(answer.content)

    def _files(self, http: requests.Session) -> dict[str, str]:
        from urllib.parse import unquote, urlsplit

        root = f"/remote.php/dav/files/{DEMO_LOGIN}"
        found: dict[str, str] = {}
        stack = [root + "/"]
        while stack:
            folder = stack.pop()
            tree = self._multistatus(http, "PROPFIND", self.url + quote(folder), self.FOLDER)
            for response in tree.iter(self.DAV + "response"):
                href = unquote(urlsplit(response.findtext(self.DAV + "href") or "").path)
                if href.rstrip("/") == folder.rstrip("/"):
                    continue
                if response.find(f".//{self.DAV}collection") is not None:
                    stack.append(href if href.endswith("/") else href + "/")
                else:
                    etag = response.findtext(f".//{self.DAV}getetag") or ""
                    found[href.removeprefix(root)] = etag.strip('"')
        return found

    def _uids(self, http: requests.Session) -> set[str]:
        home = f"{self.url}/remote.php/dav/calendars/{DEMO_LOGIN}/"
        tree = self._multistatus(http, "PROPFIND", home, self.FOLDER)
        calendars = [
            response.findtext(self.DAV + "href") or ""
            for response in tree.iter(self.DAV + "response")
            if response.find(".//{urn:ietf:params:xml:ns:caldav}calendar") is not None
        ]
        uids: set[str] = set()
        for href in calendars:
            tree = self._multistatus(http, "REPORT", self.url + href, self.SYNC)
            for data in tree.iter("{urn:ietf:params:xml:ns:caldav}calendar-data"):
                for line in (data.text or "").splitlines():
                    if line.startswith("UID:"):
                        uids.add(line[4:].strip())
                        break
        return uids

    def mirror(self) -> Truth:
        return self.state

    def close(self) -> None:
        """Nothing to release."""


# --- measuring --------------------------------------------------------------------------------


@contextmanager
def measured(server: ServerProcess) -> Iterator[dict[str, Any]]:
    """Server-side request count, wall time and peak memory growth of the enclosed block."""
    result: dict[str, Any] = {}
    server.stats.reset()
    gc.collect()
    baseline = _reset_peak_rss()
    started, cpu = time.perf_counter(), time.process_time()
    try:
        yield result
    finally:
        result["seconds"] = time.perf_counter() - started
        result["cpu_s"] = time.process_time() - cpu
        result["peak_mb"] = max(0.0, _status_kb("VmHWM") - baseline) / 1024
        result["requests"] = server.stats.total
        result["by_method"] = server.stats.by_method()


def _status_kb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    raise SystemExit(f"/proc/self/status has no {field}: this benchmark needs Linux")


def _reset_peak_rss() -> float:
    """Reset the peak-RSS counter (VmHWM) to the current RSS, and return that RSS in kB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def run_phase(
    client: QuorumClient | NaiveClient | RawClient, server: ServerProcess, size: Size, phase: str
) -> Record:
    with measured(server) as m:
        client.sync()
    expected = truth(server.data_dir)
    got = client.mirror()
    matched = got.files == expected.files and got.uids == expected.uids
    record = Record(
        client.name,
        size.name,
        phase,
        m["requests"],
        round(m["seconds"], 3),
        round(m["peak_mb"], 1),
        matched,
        m["by_method"],
        server.latency * 1000,
        round(m["cpu_s"], 3),
    )
    print(
        f"  {record.client:<7} {phase:<9} {record.requests:>7} req {record.seconds:>8.2f} s "
        f"{1000 * record.cpu_s:>8.1f} ms CPU "
        f"{record.peak_mb:>7.1f} MB matched={matched} {record.by_method}",
        flush=True,
    )
    return record


class RemoteStats:
    """The server process's request counts, read over HTTP (``/__demo/stats``, not counted)."""

    def __init__(self, url: str) -> None:
        self.url = f"{url}/__demo/stats"

    def reset(self) -> None:
        requests.delete(self.url, timeout=TIMEOUT).raise_for_status()

    def records(self) -> list[tuple[str, str]]:
        response = requests.get(self.url, timeout=TIMEOUT)
        response.raise_for_status()
        return [(method, kind) for method, kind in response.json()["records"]]

    @property
    def total(self) -> int:
        return len(self.records())

    def by_method(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for method, _kind in self.records():
            counts[method] = counts.get(method, 0) + 1
        return counts


class ServerProcess:
    """The demo Nextcloud in a child process, so its CPU and memory are not the client's."""

    def __init__(self, data_dir: Path, latency_ms: float) -> None:
        self.data_dir = data_dir
        self.latency = latency_ms / 1000
        self._process: subprocess.Popen[str] | None = None
        self.url = ""
        self.stats = RemoteStats("")

    def __enter__(self) -> ServerProcess:
        command = [sys.executable, "-m", "sidecar.demo", str(self.data_dir), "--expose-stats"]
        command += ["--latency-ms", str(self.latency * 1000)]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line.startswith("READY "):
            self.__exit__()
            raise SystemExit(f"the demo server did not start: {line!r}")
        self.url = line.removeprefix("READY ")
        self.stats = RemoteStats(self.url)
        return self

    def __exit__(self, *_: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
            self._process = None


def warm_up(server: ServerProcess) -> None:
    """Let Radicale build its item caches before anything is measured.

    On a calendar written straight to disk, Radicale parses every item on first access (minutes
    for 20,000 events): that is the demo server's start-up, not a cost of either client.
    """
    started = time.perf_counter()
    with requests.Session() as session:
        session.auth = (DEMO_LOGIN, DEMO_USERS[DEMO_LOGIN])
        for name in CALENDARS:
            url = f"{server.url}/remote.php/dav/calendars/{DEMO_LOGIN}/{name}/"
            body = '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'
            response = session.request(
                "PROPFIND", url, data=body, headers={"Depth": "1"}, timeout=1800
            )
            response.raise_for_status()
    print(f"  (demo server warmed up in {time.perf_counter() - started:.1f} s)", flush=True)


def bench_size(
    size: Size, work: Path, latency_ms: float = 0.0, which: tuple[str, ...] = ("quorum", "naive")
) -> list[Record]:
    """Generate, serve, and run the three phases for both clients."""
    data_dir = work / "nextcloud"
    print(
        f"{size.name}: generating {size.files} files in {size.folders} folders, "
        f"{size.events} events in {len(CALENDARS)} calendars",
        flush=True,
    )
    generate(data_dir, size)
    records: list[Record] = []
    with ServerProcess(data_dir, latency_ms) as server:
        warm_up(server)
        clients: list[QuorumClient | NaiveClient | RawClient] = []
        if "quorum" in which:
            clients.append(QuorumClient(server, work))
        if "naive" in which:
            clients.append(NaiveClient(server))
        if "raw" in which:
            clients.append(RawClient(server))
        try:
            for phase in PHASES:
                if phase == "changes":
                    change(server, size, 1)
                records += [run_phase(c, server, size, phase) for c in clients]
        finally:
            for c in clients:
                c.close()
    return records


def table(records: list[Record]) -> str:
    """Side by side: Quorum, then the naive client and the raw lower bound where they ran."""
    index = {(r.client, r.size, r.phase): r for r in records}
    others = [c for c in ("naive", "raw") if any(r.client == c for r in records)]
    head = f"{'size':<7} {'phase':<9} | {'quorum req':>10} {'s':>8} {'MB':>7} {'ok':>3}"
    for other in others:
        label = "naive/quorum" if other == "naive" else "quorum/raw"  # speed-up; cost over bound
        head += f" | {other + ' req':>10} {'s':>8} {'MB':>7} {'ok':>3} | {label:>12}"
    lines = [head, "-" * len(head)]
    for size in dict.fromkeys(r.size for r in records):
        for phase in PHASES:
            q = index.get(("quorum", size, phase))
            if q is None:
                continue
            line = (
                f"{size:<7} {phase:<9} | {q.requests:>10} {q.seconds:>8.2f} {q.peak_mb:>7.1f} "
                f"{_yes(q.matched):>3}"
            )
            for other in others:
                n = index.get((other, size, phase))
                if n is None:
                    line += f" | {'':>10} {'':>8} {'':>7} {'':>3} | {'':>12}"
                    continue
                ratio = (
                    n.seconds / max(q.seconds, 1e-6)
                    if other == "naive"
                    else q.seconds / max(n.seconds, 1e-6)
                )
                line += (
                    f" | {n.requests:>10} {n.seconds:>8.2f} {n.peak_mb:>7.1f} "
                    f"{_yes(n.matched):>3} | {ratio:>11.2f}x"
                )
            lines.append(line)
    return "\n".join(lines)


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="small,medium", help="small,medium,large")
    parser.add_argument("--json", type=Path, help="write one record per client/size/phase")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument(
        "--clients",
        default="quorum,naive",
        help="quorum,naive,raw (raw: metadata-only lower bound, one PROPFIND per folder and one "
        "sync-collection per calendar, no parsing)",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="added to every server answer, standing for the network and Nextcloud's own "
        "per-request cost (0: the bare in-process server)",
    )
    parser.add_argument(
        "--events",
        type=int,
        help="calendar objects in every size instead of its own (e.g. to measure idle polls of "
        "a large file tree without waiting for the demo server to index 20,000 events)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    names = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [n for n in names if n not in SIZES]
    if unknown:
        parser.error(f"unknown size(s): {', '.join(unknown)}")
    records: list[Record] = []
    for name in names:
        work = Path(tempfile.mkdtemp(prefix=f"quorum-bench-{name}-"))
        try:
            size = SIZES[name] if args.events is None else replace(SIZES[name], events=args.events)
            records += bench_size(size, work, args.latency_ms, tuple(args.clients.split(",")))
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(records))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in records], indent=1) + "\n")
    return 0 if all(r.matched for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
