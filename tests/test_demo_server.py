"""The demo server answers like Nextcloud where the sync depends on it (real HTTP, real servers)."""

from __future__ import annotations

import filecmp
import os
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import unquote
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
import requests
from caldav.davclient import DAVClient

from sidecar.demo.ncfiles import sabre_quote
from sidecar.demo.seed import seed
from sidecar.demo.server import DEMO_USERS, DemoServer

TIMEOUT = 10
ALICE = ("alice", DEMO_USERS["alice"])
ADMIN = ("admin", DEMO_USERS["admin"])
FILES = "/remote.php/dav/files/alice/"
CALS = "/remote.php/dav/calendars/alice/"
D, OC, NC = "{DAV:}", "{http://owncloud.org/ns}", "{http://nextcloud.org/ns}"
CAL, CS = "{urn:ietf:params:xml:ns:caldav}", "{http://calendarserver.org/ns/}"
NC_PROPS = """<?xml version="1.0" encoding="UTF-8"?>
<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">
  <d:prop><d:getetag/><d:getlastmodified/><d:getcontenttype/><d:getcontentlength/>
    <d:resourcetype/><oc:fileid/><oc:permissions/><oc:size/><oc:share-types/><oc:owner-id/>
    <oc:owner-display-name/><nc:has-preview/></d:prop>
</d:propfind>"""
OCS_HEADERS = {"OCS-APIRequest": "true", "Accept": "application/json"}

Props = dict[str, Element]


def dav(
    server: DemoServer,
    method: str,
    path: str,
    body: str | bytes | None = None,
    auth: tuple[str, str] = ALICE,
    **headers: str,
) -> requests.Response:
    """Send one DAV request as alice (headers given with underscores for dashes)."""
    sent = {name.replace("_", "-"): value for name, value in headers.items()}
    return requests.request(
        method, server.url + path, data=body, auth=auth, headers=sent, timeout=TIMEOUT
    )


def multistatus(response: requests.Response) -> dict[str, tuple[Props, Props]]:
    """href → (props found, props missing) of a 207 answer."""
    assert response.status_code == 207, response.text
    result: dict[str, tuple[Props, Props]] = {}
    for item in SafeET.fromstring(response.content).iter(f"{D}response"):
        found: Props = {}
        missing: Props = {}
        for propstat in item.iter(f"{D}propstat"):
            status = propstat.findtext(f"{D}status", "")
            target = found if " 200 " in status else missing
            for prop in propstat.find(f"{D}prop") or []:
                target[prop.tag] = prop
        result[item.findtext(f"{D}href", "")] = (found, missing)
    return result


def propfind(server: DemoServer, path: str, depth: str = "1") -> dict[str, tuple[Props, Props]]:
    """PROPFIND with the twelve properties the sync asks Nextcloud for."""
    return multistatus(dav(server, "PROPFIND", path, NC_PROPS, Depth=depth))


def etag(server: DemoServer, path: str) -> str:
    """The quoted getetag of one resource."""
    found, _ = propfind(server, path, "0")[path]
    return found[f"{D}getetag"].text or ""


def file_href(relative: str) -> str:
    """The href of alice's file, encoded as Nextcloud does."""
    return FILES + sabre_quote(relative)


# --- WebDAV files -----------------------------------------------------------------------


def test_root_depth0_has_nextcloud_props(demo_server: DemoServer) -> None:
    answer = propfind(demo_server, FILES, "0")
    assert list(answer) == [FILES]
    found, missing = answer[FILES]
    assert re.fullmatch(r'"[0-9a-f]{13}"', found[f"{D}getetag"].text or "")
    assert found[f"{D}resourcetype"].find(f"{D}collection") is not None
    assert found[f"{OC}permissions"].text == "RGDNVCK"
    assert (found[f"{OC}fileid"].text or "").isdigit()
    assert int(found[f"{OC}size"].text or 0) > 1000
    assert found[f"{OC}owner-id"].text == "alice"
    assert found[f"{OC}owner-display-name"].text == "Alice Example"
    assert found[f"{NC}has-preview"].text == "false"
    assert f"{D}getlastmodified" in found
    # Like Nextcloud, content type and length of a folder come back as 404.
    assert {f"{D}getcontenttype", f"{D}getcontentlength"} <= set(missing)


def test_root_depth1_hrefs_are_encoded_and_carry_share_types(demo_server: DemoServer) -> None:
    answer = propfind(demo_server, FILES)
    assert all(href.startswith(FILES) and href.endswith("/") for href in answer)
    # Sabre's encoding: lowercase hex, the apostrophe escaped.
    assert f"{FILES}Comptabilit%c3%a9/" in answer
    assert f"{FILES}Conseil%20d%27administration/" in answer
    names = {unquote(href) for href in answer}
    assert f"{FILES}Subventions/" in names and f"{FILES}Assemblée générale/" in names

    def share_types(href: str) -> list[str]:
        element = answer[href][0][f"{OC}share-types"]
        return [child.text or "" for child in element]

    assert share_types(f"{FILES}Comptabilit%c3%a9/") == ["3"]
    assert share_types(f"{FILES}Subventions/") == ["1"]
    assert share_types(f"{FILES}Association/") == []


def test_files_have_file_etags_and_lengths(demo_server: DemoServer) -> None:
    info = demo_server.seed_info
    assert info is not None
    folder = file_href(info.lyon_folder) + "/"
    answer = propfind(demo_server, folder)
    statuts = answer[folder + "Statuts.pdf"][0]
    assert re.fullmatch(r'"[0-9a-f]{32}"', statuts[f"{D}getetag"].text or "")
    assert statuts[f"{OC}permissions"].text == "RGDNVW"
    assert statuts[f"{D}getcontenttype"].text == "application/pdf"
    length = int(statuts[f"{D}getcontentlength"].text or 0)
    assert length == int(statuts[f"{OC}size"].text or -1) > 0
    assert len(answer) == 1 + 7  # the folder and the complete Ville de Lyon dossier


def test_put_changes_etags_up_to_the_root_only(fresh_demo_server: DemoServer) -> None:
    server, info = fresh_demo_server, fresh_demo_server.seed_info
    assert info is not None
    lyon = file_href(info.lyon_folder) + "/"
    watched = [FILES, f"{FILES}Subventions/", lyon, f"{FILES}Comptabilit%c3%a9/"]
    watched.append(file_href(info.region_folder) + "/")
    before = {path: etag(server, path) for path in watched}

    put = dav(server, "PUT", lyon + "Annexe.pdf", b"%PDF-1.4\n% new\n")
    assert put.status_code == 201

    after = {path: etag(server, path) for path in watched}
    changed = {path for path in watched if before[path] != after[path]}
    assert changed == {FILES, f"{FILES}Subventions/", lyon}


def test_put_answers_the_final_etag_and_file_id(fresh_demo_server: DemoServer) -> None:
    server = fresh_demo_server
    href = f"{FILES}Association/Bilan.pdf"
    put = dav(server, "PUT", href, b"%PDF-1.4\n", X_OC_Mtime="1700000000")
    assert put.status_code == 201 and put.headers["X-OC-MTime"] == "accepted"
    found = propfind(server, href, "0")[href][0]
    assert put.headers["ETag"] == put.headers["OC-ETag"] == found[f"{D}getetag"].text
    assert put.headers["OC-FileId"].startswith(f"{int(found[f'{OC}fileid'].text or 0):08d}")
    assert found[f"{D}getlastmodified"].text == "Tue, 14 Nov 2023 22:13:20 GMT"
    stale = dav(server, "PUT", href, b"other", If_Match='"0123"')
    assert stale.status_code == 412 and stale.headers["ETag"] == put.headers["ETag"]


def test_change_written_straight_to_disk_propagates(fresh_demo_server: DemoServer) -> None:
    info = fresh_demo_server.seed_info
    assert info is not None
    before = etag(fresh_demo_server, FILES)
    (info.files_root / "Bureau" / "Compte rendu bureau extra.pdf").write_bytes(b"%PDF demo")
    assert etag(fresh_demo_server, FILES) != before


def test_move_keeps_fileid_and_etag(fresh_demo_server: DemoServer) -> None:
    server, info = fresh_demo_server, fresh_demo_server.seed_info
    assert info is not None
    source = file_href(f"{info.lyon_folder}/Statuts.pdf")
    target = file_href("Association/Statuts (copie Lyon).pdf")
    before = propfind(server, source, "0")[source][0]
    moved = dav(server, "MOVE", source, Destination=server.url + target, Overwrite="F")
    assert moved.status_code == 201
    after = propfind(server, target, "0")[target][0]
    assert after[f"{OC}fileid"].text == before[f"{OC}fileid"].text
    assert after[f"{D}getetag"].text == before[f"{D}getetag"].text
    assert dav(server, "PROPFIND", source, NC_PROPS, Depth="0").status_code == 404


def test_wrong_password_is_401_with_nextcloud_realm(demo_server: DemoServer) -> None:
    response = dav(demo_server, "PROPFIND", FILES, NC_PROPS, auth=("alice", "nope"), Depth="0")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Nextcloud", charset="UTF-8"'
    anonymous = requests.get(demo_server.url + "/ocs/v2.php/cloud/user", timeout=TIMEOUT)
    assert anonymous.status_code == 401


def test_a_user_cannot_reach_another_users_tree(demo_server: DemoServer) -> None:
    assert dav(demo_server, "PROPFIND", "/remote.php/dav/files/admin/", NC_PROPS).status_code == 403
    assert dav(demo_server, "GET", "/remote.php/dav/calendars/admin/").status_code == 403
    own = dav(demo_server, "PROPFIND", "/remote.php/dav/files/admin/", NC_PROPS, auth=ADMIN)
    assert own.status_code == 207


def test_well_known_and_status(demo_server: DemoServer) -> None:
    for name in ("caldav", "carddav"):
        response = requests.get(
            f"{demo_server.url}/.well-known/{name}", allow_redirects=False, timeout=TIMEOUT
        )
        assert response.status_code == 301
        assert response.headers["Location"] == "/remote.php/dav/"
    status = requests.get(demo_server.url + "/status.php", timeout=TIMEOUT).json()
    assert status["installed"] is True and status["maintenance"] is False
    assert status["version"] == "29.0.6.1" and status["productname"] == "Nextcloud"


# --- CalDAV -----------------------------------------------------------------------------

HOME_PROPS = """<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"
  xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:displayname/><d:resourcetype/>
  <cs:getctag/><d:sync-token/><c:supported-calendar-component-set/></d:prop></d:propfind>"""


def sync_report(token: str) -> str:
    """An RFC 6578 sync-collection body asking for ETags."""
    return (
        '<d:sync-collection xmlns:d="DAV:"><d:sync-token>'
        f"{token}</d:sync-token><d:sync-level>1</d:sync-level>"
        "<d:prop><d:getetag/></d:prop></d:sync-collection>"
    )


def sync(server: DemoServer, calendar: str, token: str) -> tuple[set[str], str]:
    """Hrefs reported since `token`, and the new token."""
    response = dav(server, "REPORT", CALS + calendar + "/", sync_report(token), Depth="1")
    assert response.status_code == 207, response.text
    root = SafeET.fromstring(response.content)
    hrefs = {item.findtext(f"{D}href", "") for item in root.iter(f"{D}response")}
    return hrefs, root.findtext(f"{D}sync-token", "")


def test_calendar_home_lists_the_four_calendars(demo_server: DemoServer) -> None:
    answer = multistatus(dav(demo_server, "PROPFIND", CALS, HOME_PROPS, Depth="1"))
    calendars = {
        href: found
        for href, (found, _) in answer.items()
        if found[f"{D}resourcetype"].find(f"{CAL}calendar") is not None
    }
    names = {href.removeprefix(CALS).strip("/") for href in calendars}
    assert names == {"conseil", "bureau", "echeances", "personal"}
    for found in calendars.values():
        assert found[f"{D}sync-token"].text
        assert found[f"{CS}getctag"].text
    assert calendars[CALS + "echeances/"][f"{D}displayname"].text == "Échéances"
    components = calendars[CALS + "echeances/"][f"{CAL}supported-calendar-component-set"]
    assert {comp.get("name") for comp in components} == {"VEVENT", "VTODO"}


def test_sync_collection_initial_then_delta(fresh_demo_server: DemoServer) -> None:
    server = fresh_demo_server
    hrefs, token = sync(server, "conseil", "")
    assert {unquote(h).removeprefix(CALS + "conseil/") for h in hrefs} == {
        "ca-mensuel.ics",
        "ca-budget.ics",
        "ca-extra.ics",
        "formation-compostage.ics",
        "ag-ordinaire.ics",
    }
    assert token
    assert sync(server, "conseil", token) == (set(), token)

    event = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        "UID:test-delta@example\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART:20270101T100000Z\r\nSUMMARY:Delta\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    put = dav(server, "PUT", CALS + "conseil/delta.ics", event, If_None_Match="*",
              Content_Type="text/calendar; charset=utf-8")  # fmt: skip
    assert put.status_code == 201
    changed, new_token = sync(server, "conseil", token)
    assert changed == {CALS + "conseil/delta.ics"}
    assert new_token != token


def test_calendar_multiget_returns_calendar_data(demo_server: DemoServer) -> None:
    body = (
        '<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
        "<d:prop><d:getetag/><c:calendar-data/></d:prop>"
        f"<d:href>{CALS}conseil/ca-mensuel.ics</d:href>"
        f"<d:href>{CALS}conseil/ag-ordinaire.ics</d:href></c:calendar-multiget>"
    )
    answer = multistatus(dav(demo_server, "REPORT", CALS + "conseil/", body, Depth="1"))
    assert set(answer) == {CALS + "conseil/ca-mensuel.ics", CALS + "conseil/ag-ordinaire.ics"}
    data = answer[CALS + "conseil/ca-mensuel.ics"][0][f"{CAL}calendar-data"].text or ""
    assert "UID:ca-mensuel@jardins-partages.example" in data
    assert "RRULE:FREQ=MONTHLY;BYDAY=1SA;COUNT=12" in data


def test_calendar_query_finds_the_todos(demo_server: DemoServer) -> None:
    body = (
        '<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
        '<d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VCALENDAR">'
        '<c:comp-filter name="VTODO"/></c:comp-filter></c:filter></c:calendar-query>'
    )
    answer = multistatus(dav(demo_server, "REPORT", CALS + "echeances/", body, Depth="1"))
    assert set(answer) == {
        CALS + "echeances/cr-financier-lyon.ics",
        CALS + "echeances/declaration-prefecture.ics",
    }


def test_principal_discovery_chain(demo_server: DemoServer) -> None:
    ask = '<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>'
    root = multistatus(dav(demo_server, "PROPFIND", "/remote.php/dav/", ask, Depth="0"))
    principal = root["/remote.php/dav/"][0][f"{D}current-user-principal"].findtext(f"{D}href")
    assert principal == "/remote.php/dav/principals/users/alice/"

    ask_home = (
        '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop>'
        "<c:calendar-home-set/><d:current-user-principal/><d:displayname/>"
        "<c:schedule-inbox-URL/></d:prop></d:propfind>"
    )
    found, missing = multistatus(dav(demo_server, "PROPFIND", principal, ask_home, Depth="0"))[
        principal
    ]
    home = found[f"{CAL}calendar-home-set"].findtext(f"{D}href")
    assert home == CALS
    assert found[f"{D}current-user-principal"].findtext(f"{D}href") == principal
    assert found[f"{D}displayname"].text == "Alice Example"
    assert f"{CAL}schedule-inbox-URL" in missing
    calendars = multistatus(dav(demo_server, "PROPFIND", home, HOME_PROPS, Depth="1"))
    assert CALS + "conseil/" in calendars


def test_caldav_client_discovers_and_expands(demo_server: DemoServer) -> None:
    info = demo_server.seed_info
    assert info is not None
    url = demo_server.url + "/remote.php/dav/"
    with DAVClient(url=url, username=ALICE[0], password=ALICE[1], timeout=TIMEOUT) as client:
        principal = client.principal()  # type: ignore[no-untyped-call]  # caldav is untyped here
        calendars = {str(c.url).removeprefix(demo_server.url): c for c in principal.calendars()}
        assert set(calendars) == {CALS + name + "/" for name in info.calendars}
        window = (
            info.ca_next - timedelta(days=1),
            info.ca_override_start.date() + timedelta(days=1),
        )
        events = calendars[CALS + "conseil/"].search(
            start=datetime.combine(window[0], time()), end=datetime.combine(window[1], time()),
            event=True, expand=True,
        )  # fmt: skip
    monthly = sorted(
        e.icalendar_component.decoded("dtstart")
        for e in events
        if e.icalendar_component["uid"] == "ca-mensuel@jardins-partages.example"
    )
    # The EXDATE occurrence is gone and the override moved to the Tuesday evening.
    assert [m.date() for m in monthly] == [info.ca_next, info.ca_override_start.date()]
    assert monthly[1].hour == 18 and monthly[1].minute == 30


# --- OCS --------------------------------------------------------------------------------


def ocs_get(server: DemoServer, route: str, **params: str) -> requests.Response:
    """GET an OCS v2 route as alice, in JSON."""
    return requests.get(
        f"{server.url}/ocs/v2.php{route}",
        params={"format": "json", **params},
        headers=OCS_HEADERS,
        auth=ALICE,
        timeout=TIMEOUT,
    )


def test_ocs_shares_list_and_path_filter(demo_server: DemoServer) -> None:
    info = demo_server.seed_info
    assert info is not None
    payload = ocs_get(demo_server, "/apps/files_sharing/api/v1/shares").json()
    assert payload["ocs"]["meta"]["statuscode"] == 200
    shares = {share["path"]: share for share in payload["ocs"]["data"]}
    assert shares["/Subventions"]["share_type"] == 1
    assert shares["/Subventions"]["share_with_displayname"] == "Conseil d'administration"
    assert shares["/Comptabilité"]["share_type"] == 3
    assert shares["/Comptabilité"]["password"] is None
    assert shares["/Comptabilité"]["url"].startswith(demo_server.url + "/index.php/s/")
    protected = shares["/" + info.lyon_folder]
    assert protected["password"] and protected["expiration"]
    assert shares["/Communication"]["share_with"] == "marc.externe"
    fileid = propfind(demo_server, f"{FILES}Subventions/", "0")[f"{FILES}Subventions/"][0]
    assert str(shares["/Subventions"]["item_source"]) == fileid[f"{OC}fileid"].text

    filtered = ocs_get(demo_server, "/apps/files_sharing/api/v1/shares", path="/Subventions")
    assert [s["path"] for s in filtered.json()["ocs"]["data"]] == ["/Subventions"]


def test_ocs_requires_the_api_request_header(demo_server: DemoServer) -> None:
    response = requests.get(
        demo_server.url + "/ocs/v2.php/cloud/user?format=json", auth=ALICE, timeout=TIMEOUT
    )
    assert response.status_code == 412
    assert response.json() == {"message": "CSRF check failed"}


def test_ocs_user_groups_and_unknown_route(demo_server: DemoServer) -> None:
    user = ocs_get(demo_server, "/cloud/user").json()["ocs"]["data"]
    assert user["id"] == "alice" and user["displayname"] == "Alice Example"
    ca = ocs_get(demo_server, "/cloud/groups/CA/users/details").json()["ocs"]["data"]["users"]
    assert len(ca) == 7 and ca["bernard"]["email"] == "bernard.lefevre@jardins-partages.example"
    capabilities = ocs_get(demo_server, "/cloud/capabilities").json()["ocs"]["data"]
    assert "spreed" not in capabilities["capabilities"]
    missing = ocs_get(demo_server, "/apps/activity/api/v2/activity")
    assert missing.status_code == 404
    assert missing.json()["ocs"]["meta"] == {
        "status": "failure",
        "statuscode": 404,
        "message": missing.json()["ocs"]["meta"]["message"],
    }


def test_admin_notification_reaches_alice(fresh_demo_server: DemoServer) -> None:
    server = fresh_demo_server
    posted = requests.post(
        f"{server.url}/ocs/v2.php/apps/notifications/api/v2/admin_notifications/alice",
        params={"format": "json"},
        data={"shortMessage": "Ordre du jour disponible", "longMessage": "Voir le dossier."},
        headers=OCS_HEADERS,
        auth=ADMIN,
        timeout=TIMEOUT,
    )
    assert posted.status_code == 200 and posted.json()["ocs"]["data"] == []
    listed = ocs_get(server, "/apps/notifications/api/v2/notifications").json()["ocs"]["data"]
    assert [(n["subject"], n["message"]) for n in listed] == [
        ("Ordre du jour disponible", "Voir le dossier.")
    ]


# --- seed and counters ------------------------------------------------------------------


def _tree(root: Path) -> dict[str, int]:
    """Relative path → mtime of every file below root."""
    return {
        str(path.relative_to(root)): path.stat().st_mtime_ns
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_seed_is_deterministic_and_idempotent(tmp_path: Path) -> None:
    today = date(2026, 11, 26)
    first, second = seed(tmp_path / "a", today), seed(tmp_path / "b", today)
    tree = _tree(tmp_path / "a")
    assert tree == _tree(tmp_path / "b")
    for relative in tree:
        assert filecmp.cmp(tmp_path / "a" / relative, tmp_path / "b" / relative, shallow=False)
    assert first.ca_next == second.ca_next == date(2026, 12, 5)
    assert seed(tmp_path / "a", date(2030, 1, 1)).today == today  # already seeded: untouched
    assert _tree(tmp_path / "a") == tree


def test_seed_facts_match_the_files(tmp_path: Path) -> None:
    info = seed(tmp_path, date(2026, 11, 26))
    assert info.ca_exdate == date(2027, 1, 2) and info.ca_override_original == date(2027, 2, 6)
    assert info.ca_minutes_missing == date(2026, 10, 3)
    folders = sorted(os.listdir(info.files_root / "Conseil d'administration"))
    assert folders == [d.isoformat() for d in info.ca_folder_dates]
    late = info.files_root / "Conseil d'administration" / "2026-10-03"
    assert sorted(os.listdir(late)) == ["Ordre du jour.pdf"]
    region = sorted(os.listdir(info.files_root / info.region_folder))
    assert "RIB Crédit Mutuel.pdf" not in region and len(region) == 5


def test_stats_count_requests_by_method_and_kind(fresh_demo_server: DemoServer) -> None:
    server = fresh_demo_server
    server.stats.reset()
    propfind(server, FILES, "0")
    ocs_get(server, "/cloud/user")
    dav(server, "GET", CALS + "conseil/ag-ordinaire.ics")
    assert server.stats.total == 3
    assert server.stats.by_method() == {"PROPFIND": 1, "GET": 2}
    assert server.stats.by_kind() == {"files": 1, "ocs": 1, "calendars": 1}
