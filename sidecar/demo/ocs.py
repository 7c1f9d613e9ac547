"""The few OCS endpoints of Nextcloud that Quorum calls, answered from `ocs.json`.

JSON only, with Nextcloud's envelope `{"ocs": {"meta": …, "data": …}}`. The dispatcher has
already authenticated the caller (REMOTE_USER). Like Nextcloud, a request without
`OCS-APIRequest: true` gets a bare 412 and an unknown route gets a 404 inside an envelope.
Admin notifications are kept in memory for the life of the server.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIEnvironment

UNKNOWN_ROUTE = (
    "Invalid query, please check the syntax. API specifications are here: "
    "http://www.freedesktop.org/wiki/Specifications/open-collaboration-services.\n"
)
JSON_TYPE = "application/json; charset=utf-8"
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class OcsResult:
    """An endpoint's answer: OCS status code and data (HTTP status follows it in v2)."""

    data: Any
    statuscode: int = 200
    message: str = "OK"


@dataclass(frozen=True)
class Request:
    """What an endpoint needs to know about the call."""

    method: str
    route: str
    user: str
    query: dict[str, str]
    form: dict[str, str]
    base_url: str


Handler = Callable[[Request, re.Match[str]], OcsResult]


def _base_url(environ: WSGIEnvironment) -> str:
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def _single(values: dict[str, list[str]]) -> dict[str, str]:
    return {key: items[-1] for key, items in values.items()}


def _read_form(environ: WSGIEnvironment) -> dict[str, str]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length <= 0 or length > MAX_BODY:
        return {}
    body = environ["wsgi.input"].read(length).decode("utf-8", "replace")
    return _single(parse_qs(body, keep_blank_values=True))


def _json_response(start_response: StartResponse, status: str, payload: Any) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", JSON_TYPE), ("Content-Length", str(len(body)))])
    return [body]


class OcsApp:
    """WSGI application for `/ocs/v1.php/…` and `/ocs/v2.php/…`."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._doc: dict[str, Any] = json.loads((data_dir / "ocs.json").read_text("utf-8"))
        self._notifications: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"/cloud/capabilities"), self._capabilities),
            ("GET", re.compile(r"/cloud/user"), self._current_user),
            ("GET", re.compile(r"/cloud/groups"), self._groups),
            ("GET", re.compile(r"/cloud/groups/([^/]+)/users/details"), self._group_details),
            ("GET", re.compile(r"/cloud/groups/([^/]+)/users"), self._group_members),
            ("GET", re.compile(r"/apps/files_sharing/api/v1/shares"), self._shares),
            ("GET", re.compile(r"/apps/files_sharing/api/v1/sharees"), self._sharees),
            (
                "POST",
                re.compile(r"/apps/notifications/api/v2/admin_notifications/([^/]+)"),
                self._notify,
            ),
            (
                "GET",
                re.compile(r"/apps/notifications/api/v2/notifications"),
                self._notifications_of,
            ),
        ]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one OCS request (the caller is already authenticated)."""
        if environ.get("HTTP_OCS_APIREQUEST", "").lower() != "true":
            # Nextcloud's CSRF guard answers outside the OCS envelope.
            return _json_response(
                start_response, "412 Precondition Failed", {"message": "CSRF check failed"}
            )
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        match = re.fullmatch(r"/ocs/(v1|v2)\.php(/.*?)/?", path)
        version, route = (match.group(1), match.group(2)) if match else ("v2", path)
        request = Request(
            method=environ["REQUEST_METHOD"],
            route=route,
            user=environ.get("REMOTE_USER", ""),
            query=_single(parse_qs(environ.get("QUERY_STRING", ""))),
            form=_read_form(environ) if environ["REQUEST_METHOD"] == "POST" else {},
            base_url=_base_url(environ),
        )
        result = self._dispatch(request)
        return self._envelope(start_response, version, result)

    def _dispatch(self, request: Request) -> OcsResult:
        for method, pattern, handler in self._routes:
            found = pattern.fullmatch(request.route)
            if found and method == request.method:
                return handler(request, found)
        return OcsResult([], 404, UNKNOWN_ROUTE)

    @staticmethod
    def _envelope(
        start_response: StartResponse, version: str, result: OcsResult
    ) -> Iterable[bytes]:
        ok = result.statuscode in (100, 200)
        code = result.statuscode
        if version == "v1":
            # v1 always answers HTTP 200 and uses 100 for success.
            code, status = (100 if ok else code), "200 OK"
        else:
            status = {200: "200 OK", 400: "400 Bad Request", 403: "403 Forbidden"}.get(
                code, "404 Not Found"
            )
        meta = {"status": "ok" if ok else "failure", "statuscode": code, "message": result.message}
        return _json_response(start_response, status, {"ocs": {"meta": meta, "data": result.data}})

    # --- users and groups -------------------------------------------------------------

    def _user_details(self, uid: str) -> dict[str, Any]:
        user = self._doc["users"].get(uid, {"id": uid, "displayname": uid, "groups": []})
        used = _tree_size(self._data_dir / "files" / uid)
        free = 80 * 1024**3
        return {
            "enabled": True,
            "storageLocation": f"/var/www/nextcloud/data/{uid}",
            "id": uid,
            "lastLogin": 0,
            "backend": "Database",
            "subadmin": list(user.get("subadmin", [])),
            "quota": {"free": free, "used": used, "total": free + used, "relative": 0, "quota": -3},
            "manager": "",
            "email": user.get("email"),
            "additional_mail": [],
            "displayname": user["displayname"],
            "display-name": user["displayname"],
            "phone": "",
            "address": "",
            "website": "",
            "twitter": "",
            "fediverse": "",
            "organisation": user.get("organisation", ""),
            "role": user.get("role", ""),
            "headline": "",
            "biography": "",
            "profile_enabled": "1",
            "groups": user["groups"],
            "language": "fr",
            "locale": "fr_FR",
            "notify_email": None,
            "backendCapabilities": {"setDisplayName": True, "setPassword": True},
        }

    def _capabilities(self, request: Request, _: re.Match[str]) -> OcsResult:
        return OcsResult(self._doc["capabilities"])

    def _current_user(self, request: Request, _: re.Match[str]) -> OcsResult:
        details = self._user_details(request.user)
        del details["enabled"], details["storageLocation"]
        return OcsResult(details)

    def _groups(self, request: Request, _: re.Match[str]) -> OcsResult:
        return OcsResult({"groups": sorted(self._doc["groups"])})

    def _may_list(self, uid: str, gid: str) -> bool:
        """Admins and the group's admins (subadmins) may list it, as in Nextcloud. A document
        that names no subadmin at all (seeded before they were) lets every account list."""
        users = self._doc["users"]
        if not any("subadmin" in u for u in users.values()):
            return True
        return self._is_admin(uid) or gid in users.get(uid, {}).get("subadmin", [])

    def _group_details(self, request: Request, found: re.Match[str]) -> OcsResult:
        gid = found.group(1)
        group = self._doc["groups"].get(gid)
        # Nextcloud 29 (GroupsController::getGroupUsersDetails) answers a refusal like a
        # missing group, so that a plain account cannot tell which groups exist.
        if group is None or not self._may_list(request.user, gid):
            return OcsResult([], 404, "The requested group could not be found")
        return OcsResult({"users": {uid: self._user_details(uid) for uid in group["members"]}})

    def _group_members(self, request: Request, found: re.Match[str]) -> OcsResult:
        gid = found.group(1)
        group = self._doc["groups"].get(gid)
        if group is None:
            return OcsResult([], 404, "The requested group could not be found")
        if not self._may_list(request.user, gid):
            return OcsResult([], 403, "")  # OCSForbiddenException, as getGroupUsers throws
        return OcsResult({"users": list(group["members"])})

    def _sharees(self, request: Request, _: re.Match[str]) -> OcsResult:
        """The sharing dialog's user search (files_sharing ShareesAPIController, users only):
        every other account whose id or name contains ``search``, shaped as UserPlugin does."""
        wanted = request.query.get("search", "").casefold()
        users = [
            {
                "label": user["displayname"],
                "subline": "",
                "icon": "icon-user",
                "value": {"shareType": 0, "shareWith": uid},
                "shareWithDisplayNameUnique": user.get("email") or uid,
                "status": [],
            }
            for uid, user in sorted(self._doc["users"].items())
            if uid != request.user
            and (wanted in uid.casefold() or wanted in user["displayname"].casefold())
        ]
        empty: dict[str, list[Any]] = {
            key: [] for key in ("groups", "remotes", "remote_groups", "emails", "circles", "rooms")
        }
        exact = {"users": [], **empty, "lookup": []}
        return OcsResult(
            {"exact": exact, "users": users, **empty, "lookup": [], "lookupEnabled": False}
        )

    # --- shares -----------------------------------------------------------------------

    def _shares(self, request: Request, _: re.Match[str]) -> OcsResult:
        owned: list[dict[str, Any]] = self._doc["shares"].get(request.user, [])
        wanted = request.query.get("path")
        if wanted is not None:
            wanted = "/" + wanted.strip("/")
            if not (self._data_dir / "files" / request.user / wanted.lstrip("/")).exists():
                return OcsResult([], 404, "Wrong path, file/folder does not exist")
            subfiles = request.query.get("subfiles") == "true"
            owned = [s for s in owned if _share_matches(s["path"], wanted, subfiles)]
        return OcsResult([self._share_view(request, s) for s in owned])

    def _share_view(self, request: Request, share: dict[str, Any]) -> dict[str, Any]:
        """Complete a stored share with the fields Nextcloud derives from the file."""
        owner = request.user
        name = self._doc["users"].get(owner, {}).get("displayname", owner)
        target = self._data_dir / "files" / owner / share["path"].lstrip("/")
        st = target.stat()
        is_dir = target.is_dir()
        view = {
            "id": share["id"],
            "share_type": share["share_type"],
            "uid_owner": owner,
            "displayname_owner": name,
            "permissions": share["permissions"],
            "can_edit": True,
            "can_delete": True,
            "stime": share["stime"],
            "parent": None,
            "expiration": share["expiration"],
            "token": share["token"],
            "uid_file_owner": owner,
            "note": "",
            "label": share["label"],
            "displayname_file_owner": name,
            "path": share["path"],
            "item_type": "folder" if is_dir else "file",
            "item_permissions": 31,
            "mimetype": "httpd/unix-directory" if is_dir else "application/octet-stream",
            "has_preview": False,
            "storage_id": f"home::{owner}",
            "storage": 3,
            "item_source": st.st_ino,
            "file_source": st.st_ino,
            "file_parent": target.parent.stat().st_ino,
            "file_target": "/" + target.name,
            "item_size": _tree_size(target) if is_dir else st.st_size,
            "item_mtime": int(st.st_mtime),
            "share_with": share["share_with"],
            "share_with_displayname": share["share_with_displayname"],
        }
        if share["share_type"] == 3:
            view["password"] = share["password"]
            view["send_password_by_talk"] = False
            view["url"] = f"{request.base_url}/index.php/s/{share['token']}"
        view.update({"mail_send": 0, "hide_download": 0, "attributes": None})
        return view

    # --- notifications ----------------------------------------------------------------

    def _is_admin(self, uid: str) -> bool:
        return uid in self._doc["groups"].get("admin", {}).get("members", [])

    def _notify(self, request: Request, found: re.Match[str]) -> OcsResult:
        if not self._is_admin(request.user):
            return OcsResult([], 403, "Logged in account must be an admin")
        target = found.group(1)
        subject = request.form.get("shortMessage", "")
        if target not in self._doc["users"]:
            return OcsResult([], 404, "User not found")
        if not subject or len(subject) > 255:
            return OcsResult([], 400, "Invalid subject")
        now = datetime.now(UTC).replace(microsecond=0)
        with self._lock:
            self._notifications.append(
                {
                    "notification_id": len(self._notifications) + 1,
                    "app": "admin_notifications",
                    "user": target,
                    "datetime": now.isoformat(),
                    "object_type": "admin_notifications",
                    "object_id": f"{int(now.timestamp()):x}",
                    "subject": subject,
                    "message": request.form.get("longMessage", ""),
                    "link": "",
                    "subjectRich": "",
                    "subjectRichParameters": [],
                    "messageRich": "",
                    "messageRichParameters": [],
                    "icon": f"{request.base_url}/apps/notifications/img/notifications-dark.svg",
                    "shouldNotify": True,
                    "actions": [],
                }
            )
        return OcsResult([])

    def _notifications_of(self, request: Request, _: re.Match[str]) -> OcsResult:
        with self._lock:
            mine = [n for n in self._notifications if n["user"] == request.user]
        return OcsResult(list(reversed(mine)))

    def share_types_by_path(self, owner: str) -> dict[str, list[int]]:
        """Share types per shared path of `owner`, for WebDAV's oc:share-types."""
        result: dict[str, list[int]] = {}
        for share in self._doc["shares"].get(owner, []):
            result.setdefault(share["path"], []).append(share["share_type"])
        return result

    def display_name(self, uid: str) -> str:
        """The display name of a user (their id when unknown)."""
        name: str = self._doc["users"].get(uid, {}).get("displayname", uid)
        return name

    def email(self, uid: str) -> str | None:
        """The e-mail address of a user, if any."""
        email: str | None = self._doc["users"].get(uid, {}).get("email")
        return email


def _share_matches(path: str, wanted: str, subfiles: bool) -> bool:
    if subfiles:
        return path.rsplit("/", 1)[0] == wanted.rstrip("/")
    return path == wanted


def _tree_size(path: Path) -> int:
    """Total size of the files below `path` (0 when it does not exist)."""
    total = 0
    for folder, _dirs, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(folder, name)) for name in files)
    return total
