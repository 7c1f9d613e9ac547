"""Nextcloud's OCS APIs (capabilities, users, groups, shares, notifications) and Login Flow v2.

All OCS protocol handling lives in :meth:`OcsClient._ocs`: the ``OCS-APIRequest`` header (without
it Nextcloud answers a bare 412 "CSRF check failed"), ``format=json``, form-encoded POST bodies
(a JSON or empty Content-Type made ``addGroup`` fail with a 500), and ``ocs.meta`` unwrapping:
Nextcloud reports failures in ``meta.statuscode`` with HTTP 200, 400 or 404 alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from integrations.errors import OcsError, ProtocolError
from integrations.http import HttpClient, HttpResponse, raise_for_status
from integrations.types import Capabilities, NcUser, Share
from integrations.urls import origin

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
_OCS_OK = (100, 200)  # v1 says 100, v2 says 200
_OCS_HTTP = (200, 400, 403, 404, 412)  # statuses that may carry an envelope worth reading


def _json(resp: HttpResponse) -> Any:
    try:
        return json.loads(resp.body)
    except ValueError:
        raise ProtocolError(
            f"Nextcloud answered {resp.status} with something that is not JSON; is this the "
            "right server address?"
        ) from None


def _unwrap(resp: HttpResponse, path: str, login: str) -> Any:
    """``ocs.data`` of an answer, or the error its ``meta`` (or its HTTP status) describes."""
    payload = _json(resp)
    envelope = payload.get("ocs") if isinstance(payload, dict) else None
    if not isinstance(envelope, dict):
        if resp.status == 412:  # Nextcloud's CSRF guard answers outside any envelope
            raise OcsError(
                f"Nextcloud refused the call ({payload}): the OCS-APIRequest header was missing "
                "or stripped by a proxy.",
                412,
                412,
            )
        raise_for_status(resp, login=login)
        raise ProtocolError(f"Nextcloud answered {path} without an OCS envelope.")
    meta = envelope.get("meta")
    meta = meta if isinstance(meta, dict) else {}
    code = _int(meta.get("statuscode"), default=resp.status)
    if code not in _OCS_OK:
        message = str(meta.get("message") or "no message").strip()
        raise OcsError(f"Nextcloud refused {path}: {message} (OCS {code})", code, resp.status)
    return envelope.get("data")


def _int(value: Any, *, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _parse_share(item: Mapping[str, Any]) -> Share:
    share_type = int(item["share_type"])
    expiration = item.get("expiration")
    return Share(
        id=str(item["id"]),
        share_type=share_type,
        path=str(item.get("path", "")),
        item_type=str(item.get("item_type", "")),
        owner=str(item.get("uid_owner", "")),
        # A link with a password carries the password *hash* in share_with: never keep it.
        share_with=None if share_type == 3 else item.get("share_with"),
        share_with_displayname=item.get("share_with_displayname"),
        permissions=int(item.get("permissions", 0)),
        has_password=item.get("password") is not None,
        # Nextcloud sends no zone ("2027-01-31 00:00:00"): a date in the server's time zone.
        expiration=datetime.strptime(expiration, "%Y-%m-%d %H:%M:%S") if expiration else None,
        url=item.get("url") or None,
        label=item.get("label") or None,
    )


def _parse_user(item: Mapping[str, Any]) -> NcUser:
    user_id = str(item["id"])
    return NcUser(
        id=user_id,
        display_name=str(item.get("displayname") or item.get("display-name") or user_id),
        email=item.get("email") or None,
        groups=tuple(item.get("groups") or ()),
    )


class OcsClient:
    """Typed calls to the OCS API of one Nextcloud account."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def _ocs(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
    ) -> Any:
        """Call ``/ocs/v2.php/<path>`` and return ``ocs.data``; raise OcsError on a failing
        ``meta.statuscode`` whatever the HTTP status."""
        query = urlencode({**(params or {}), "format": "json"}, safe="/")
        headers = {"OCS-APIRequest": "true", "Accept": "application/json"}
        body = None
        if form is not None:
            headers["Content-Type"] = FORM_CONTENT_TYPE
            body = urlencode(form)
        resp = self.http.request(
            method, f"ocs/v2.php/{path}?{query}", headers=headers, body=body, expect=_OCS_HTTP
        )
        return _unwrap(resp, path, self.http.login)

    def capabilities(self) -> Capabilities:
        """Server version and which optional apps (Talk, notifications, activity) exist."""
        data = self._ocs("GET", "cloud/capabilities")
        caps = data.get("capabilities") or {}
        return Capabilities(
            version=str(data["version"]["string"]),
            talk="spreed" in caps,
            notifications="notifications" in caps,
            activity="activity" in caps,
            raw=caps,
        )

    def current_user(self) -> NcUser:
        """The account the app password belongs to."""
        return _parse_user(self._ocs("GET", "cloud/user"))

    def groups(self) -> list[str]:
        """All group ids (admin or subadmin rights needed for more than one's own)."""
        return [str(g) for g in self._ocs("GET", "cloud/groups")["groups"]]

    def group_members(self, gid: str) -> list[NcUser]:
        """Members of group ``gid`` with their details."""
        users = self._ocs("GET", f"cloud/groups/{quote(gid, safe='')}/users/details")["users"]
        # PHP encodes an empty associative array as a JSON list.
        return [_parse_user(u) for u in (users.values() if isinstance(users, dict) else users)]

    def group_member_ids(self, gid: str) -> list[str]:
        """Ids of group ``gid``'s members. Needs admin or group-admin rights: Nextcloud answers
        403 to any other account, and 404 when there is no such group."""
        data = self._ocs("GET", f"cloud/groups/{quote(gid, safe='')}/users")
        return [str(u) for u in data["users"]]

    def sharees(self, search: str = "", per_page: int = 200) -> list[NcUser]:
        """Accounts this one may share with (the sharing dialog's search): any account may ask.

        Nextcloud limits the list by its sharing settings (enumeration, "share only within
        groups"); it has no group filter. ``email`` is ``shareWithDisplayNameUnique`` when that
        is an address (Nextcloud puts the e-mail there, or the id when there is none).
        """
        params = {
            "search": search,
            "itemType": "folder",
            "shareType[]": "0",
            "perPage": str(per_page),
            "lookup": "false",
        }
        data = self._ocs("GET", "apps/files_sharing/api/v1/sharees", params=params) or {}
        exact = data.get("exact")
        exact = exact if isinstance(exact, dict) else {}
        found: dict[str, NcUser] = {}
        for item in [*(exact.get("users") or []), *(data.get("users") or [])]:
            uid = str((item.get("value") or {}).get("shareWith") or "")
            if not uid or uid in found:
                continue
            unique = str(item.get("shareWithDisplayNameUnique") or "")
            found[uid] = NcUser(
                id=uid,
                display_name=str(item.get("label") or uid),
                email=unique if "@" in unique else None,
            )
        return list(found.values())

    def shares(
        self, path: str | None = None, *, reshares: bool = True, subfiles: bool = False
    ) -> list[Share]:
        """Shares of the account, or of ``path`` (with others' reshares when ``reshares``)."""
        params = {"path": path, "reshares": "true" if reshares else "false"} if path else {}
        params |= {"subfiles": "true"} if subfiles else {}
        data = self._ocs("GET", "apps/files_sharing/api/v1/shares", params=params)
        return [_parse_share(item) for item in data]

    def user(self, uid: str) -> NcUser:
        """Another account's profile (admin rights, or a group the caller administers)."""
        return _parse_user(self._ocs("GET", f"cloud/users/{quote(uid, safe='')}"))

    def shared_with_me(self) -> list[Share]:
        """Shares others made with this account (directly or through a group)."""
        params = {"shared_with_me": "true"}
        data = self._ocs("GET", "apps/files_sharing/api/v1/shares", params=params)
        return [_parse_share(item) for item in data]

    def notify(self, user: str, short: str, long: str = "") -> None:
        """Send an admin notification to ``user`` (admin rights needed)."""
        form = {"shortMessage": short, "longMessage": long}
        path = f"apps/notifications/api/v2/admin_notifications/{quote(user, safe='')}"
        self._ocs("POST", path, form=form)

    def notifications(self) -> list[dict[str, Any]]:
        """The account's current notifications (v2 format)."""
        return list(self._ocs("GET", "apps/notifications/api/v2/notifications") or [])

    def login_flow_init(self) -> tuple[str, str, str]:
        """Start Login Flow v2: (poll endpoint, poll token, URL to open in the browser)."""
        resp = self.http.request("POST", "index.php/login/v2")
        data = _json(resp)
        return str(data["poll"]["endpoint"]), str(data["poll"]["token"]), str(data["login"])

    def login_flow_poll(self, endpoint: str, token: str) -> tuple[str, str, str] | None:
        """(server, login, app password) once the user approved, None while pending."""
        if origin(endpoint) != origin(self.http.base_url):
            # Behind a proxy Nextcloud may report http:// for an https:// server: keep our
            # origin so the token never goes to another host.
            endpoint = urlsplit(endpoint).path
        resp = self.http.request(
            "POST",
            endpoint,
            headers={"Content-Type": FORM_CONTENT_TYPE},
            body=urlencode({"token": token}),
            expect=(200, 404),
        )
        if resp.status == 404:
            return None
        data = _json(resp)
        return str(data["server"]), str(data["loginName"]), str(data["appPassword"])
