"""A thin CalDAV client on :class:`~integrations.http.HttpClient`.

Not the ``caldav`` package: caldav 3.x sends through niquests (bypassing our timeouts, caps and
``responses``) and loads objects one by one (docs/pitfalls.md). Here a sync is one ``sync-collection``
REPORT asking for ETags *and* calendar data, and ``calendar-multiget`` in batches for the rest.

Hrefs returned (``CalendarInfo.href``, ``CalendarObject.href``, removed hrefs) are decoded
absolute server paths; hrefs passed in are the same decoded paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote, unquote, urlsplit
from xml.sax.saxutils import escape

from integrations.errors import InvalidSyncToken, NotFoundError, ProtocolError
from integrations.http import HttpClient, HttpResponse, raise_for_status
from integrations.types import CalendarInfo, CalendarObject, SyncDelta
from integrations.urls import safe_href_path
from integrations.xml import (
    APPLE,
    CALDAV,
    CALSERVER,
    DAV,
    DavResponse,
    parse_multistatus,
    parse_multistatus_with_token,
    parse_xml,
)

XML_CONTENT_TYPE = "application/xml; charset=utf-8"
ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"
SABRE_TOKEN_PREFIX = "http://sabre.io/ns/sync/"  # noqa: S105 (a sync token, no secret)
_SABRE_TOKEN = re.compile(r"http://sabre\.io/ns/sync/([0-9]{1,18})")
_NS = 'xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"'

_PROPFIND_PRINCIPAL = f"""<?xml version="1.0" encoding="UTF-8"?>
<d:propfind {_NS}><d:prop><d:current-user-principal/></d:prop></d:propfind>"""

_PROPFIND_HOME_SET = f"""<?xml version="1.0" encoding="UTF-8"?>
<d:propfind {_NS}><d:prop><c:calendar-home-set/></d:prop></d:propfind>"""

_PROPFIND_CALENDARS = f"""<?xml version="1.0" encoding="UTF-8"?>
<d:propfind {_NS} xmlns:cs="http://calendarserver.org/ns/" xmlns:x1="http://apple.com/ns/ical/">
  <d:prop>
    <d:displayname/>
    <d:resourcetype/>
    <cs:getctag/>
    <d:sync-token/>
    <c:supported-calendar-component-set/>
    <x1:calendar-color/>
    <c:calendar-timezone/>
  </d:prop>
</d:propfind>"""

_PROPFIND_ETAGS = f"""<?xml version="1.0" encoding="UTF-8"?>
<d:propfind {_NS}><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>"""

_OBJECT_PROPS = "<d:prop><d:getetag/><c:calendar-data/></d:prop>"


def token_number(token: str | None) -> int | None:
    """The counter of a Nextcloud/Sabre token ``http://sabre.io/ns/sync/<int>``, else None."""
    match = _SABRE_TOKEN.fullmatch(token or "")
    return int(match.group(1)) if match else None


def check_token_progress(sent: str | None, returned: str | None) -> None:
    """Raise InvalidSyncToken when a Sabre token could not have been valid.

    Nextcloud answers a prefixed garbage token or one "from the future" with a 207 and no changes
    (fixtures 54, 55): trusting that would hide every change forever. Non-Sabre tokens are opaque
    and not checked.
    """
    if not sent or not sent.startswith(SABRE_TOKEN_PREFIX):
        return
    before, after = token_number(sent), token_number(returned)
    if before is None or after is None or after < before:
        raise InvalidSyncToken(
            f"The server did not accept the stored sync token ({sent[:60]} → {returned}); "
            "a full resync is needed."
        )


def _decoded(response: DavResponse, base_url: str) -> str | None:
    return safe_href_path(response.href, base_url)


def parse_calendars(body: bytes, base_url: str) -> list[CalendarInfo]:
    """The calendar collections of a calendar-home PROPFIND (inbox, outbox, trash-bin left out)."""
    calendars = []
    for response in parse_multistatus(body):
        resourcetype = response.element(f"{DAV}resourcetype")
        href = _decoded(response, base_url)
        if resourcetype is None or resourcetype.find(f"{CALDAV}calendar") is None or not href:
            continue
        href = href if href.endswith("/") else href + "/"
        calendars.append(_calendar_info(response, href))
    return calendars


def _calendar_info(response: DavResponse, href: str) -> CalendarInfo:
    name = href.rstrip("/").rsplit("/", 1)[-1]
    comp_set = response.element(f"{CALDAV}supported-calendar-component-set")
    components = tuple(
        c.get("name", "") for c in (comp_set if comp_set is not None else ()) if c.get("name")
    )
    timezone = response.element(f"{CALDAV}calendar-timezone")
    return CalendarInfo(
        href=href,
        name=name,
        display_name=response.text(f"{DAV}displayname") or name,
        components=components or ("VEVENT",),
        sync_token=response.text(f"{DAV}sync-token") or None,
        ctag=response.text(f"{CALSERVER}getctag") or None,
        color=response.text(f"{APPLE}calendar-color") or None,
        # Kept untouched: Nextcloud writes its CRs as &#13;, so it arrives with CRLF.
        timezone=(timezone.text or None) if timezone is not None else None,
    )


def parse_calendar_objects(body: bytes, base_url: str, collection: str) -> list[CalendarObject]:
    """The objects with a 200 propstat in a multistatus (multiget, ETag listing)."""
    objects = []
    for response in parse_multistatus(body):
        obj = _calendar_object(response, base_url, collection)
        if obj is not None:
            objects.append(obj)
    return objects


def _calendar_object(
    response: DavResponse, base_url: str, collection: str
) -> CalendarObject | None:
    href = _decoded(response, base_url)
    if href is None or href.rstrip("/") == collection.rstrip("/") or href.endswith("/"):
        return None
    if (response.status or 200) != 200 or not response.props:
        return None
    data = response.element(f"{CALDAV}calendar-data")
    # calendar-data is returned exactly as parsed: LF line ends, or CRLF where sent as &#13;.
    text = data.text if data is not None else None
    return CalendarObject(href=href, etag=response.text(f"{DAV}getetag") or None, data=text)


def parse_sync_delta(
    body: bytes, base_url: str, collection: str, sent_token: str | None
) -> SyncDelta:
    """A sync-collection multistatus: changed objects, removed hrefs (404), truncation (507)."""
    responses, token = parse_multistatus_with_token(body)
    check_token_progress(sent_token, token)
    changed, removed, failed, truncated, unreadable = [], [], [], False, 0
    for response in responses:
        href = _decoded(response, base_url)
        if href is None:
            unreadable += 1
            continue
        if response.status == 404:
            removed.append(href)
        elif response.status == 507:
            truncated = True  # RFC 6578 §3.6: ask again from the returned token
        elif href.rstrip("/") == collection.rstrip("/") or href.endswith("/"):
            continue  # the collection itself, or a sub-collection: not an object
        else:
            obj = _calendar_object(response, base_url, collection)
            # A 500 (or any other status) is a change whose result is unknown: never skip it
            # silently while the token moves on, or the object is lost for good.
            changed.extend([obj] if obj is not None else [])
            failed.extend([href] if obj is None else [])
    return SyncDelta(token, tuple(changed), tuple(removed), truncated, tuple(failed), unreadable)


def _is_invalid_token_error(resp: HttpResponse) -> bool:
    """A 403/409 whose ``DAV:error`` body carries the ``valid-sync-token`` precondition."""
    if resp.status not in (403, 409):
        return False
    try:
        root = parse_xml(resp.body)
    except ProtocolError:
        return False
    return root.tag == f"{DAV}error" and root.find(f"{DAV}valid-sync-token") is not None


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _guard(if_match: str | None, if_none_match: bool) -> dict[str, str]:
    """Headers of a guarded write; an unguarded write could overwrite a concurrent edit."""
    if bool(if_match) == bool(if_none_match):
        raise ValueError(
            "Every calendar write must be guarded by exactly one of if_match=<etag> (replace a "
            "known version) or if_none_match=True (create)."
        )
    return {"If-Match": if_match} if if_match else {"If-None-Match": "*"}


class CalendarClient:
    """One user's calendars on a CalDAV server (Nextcloud layout first)."""

    def __init__(self, http: HttpClient, user: str) -> None:
        self.http = http
        self.user = user

    def _url(self, href: str) -> str:
        return self.http.url_for(quote(href, safe="/"))

    def _dav_path(self, relative: str) -> str:
        """Decoded absolute path of ``relative`` under the server base URL (subdirectory-safe)."""
        return unquote(urlsplit(self.http.url_for(relative)).path)

    def _propfind(self, href: str, body: str, depth: str) -> list[DavResponse]:
        headers = {"Depth": depth, "Content-Type": XML_CONTENT_TYPE}
        resp = self.http.request(
            "PROPFIND", self._url(href), headers=headers, body=body, expect=(207,)
        )
        return parse_multistatus(resp.body)

    def _href_prop(self, responses: list[DavResponse], prop: str) -> str | None:
        for response in responses:
            element = response.element(prop)
            inner = element.findtext(f"{DAV}href") if element is not None else None
            if inner:
                return safe_href_path(inner.strip(), self.http.base_url)
        return None

    def discover_home(self) -> str:
        """The calendar home (decoded path ending with "/"): current-user-principal, then its
        calendar-home-set. ``/.well-known/caldav`` is not used: Nextcloud's front controller
        does not answer it (fixture 13), only a web-server rewrite does."""
        fallback = self._dav_path(f"remote.php/dav/calendars/{quote(self.user)}/")
        try:
            found = self._propfind(self._dav_path("remote.php/dav/"), _PROPFIND_PRINCIPAL, "0")
            principal = self._href_prop(found, f"{DAV}current-user-principal")
            if principal is None:
                return fallback
            home_set = self._propfind(principal, _PROPFIND_HOME_SET, "0")
            home = self._href_prop(home_set, f"{CALDAV}calendar-home-set")
        except NotFoundError:
            return fallback
        return (home.rstrip("/") + "/") if home else fallback

    def list_calendars(self, home: str) -> list[CalendarInfo]:
        """The calendars of ``home`` in one PROPFIND Depth 1."""
        headers = {"Depth": "1", "Content-Type": XML_CONTENT_TYPE}
        resp = self.http.request(
            "PROPFIND", self._url(home), headers=headers, body=_PROPFIND_CALENDARS, expect=(207,)
        )
        return parse_calendars(resp.body, self.http.base_url)

    def sync_collection(
        self, cal_href: str, token: str | None, *, with_data: bool = True
    ) -> SyncDelta:
        """Changes since ``token`` (None: everything). Raises InvalidSyncToken when the token
        is refused or could not have been valid; the caller then does a full resync."""
        prop = _OBJECT_PROPS if with_data else "<d:prop><d:getetag/></d:prop>"
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<d:sync-collection {_NS}>'
            f"<d:sync-token>{escape(token or '')}</d:sync-token>"
            f"<d:sync-level>1</d:sync-level>{prop}</d:sync-collection>"
        )
        headers = {"Depth": "1", "Content-Type": XML_CONTENT_TYPE}
        resp = self.http.request(
            "REPORT", self._url(cal_href), headers=headers, body=body, expect=(207, 403, 409)
        )
        if resp.status != 207:
            if _is_invalid_token_error(resp):
                raise InvalidSyncToken(
                    "The stored sync token is no longer valid; a full resync is needed."
                )
            raise_for_status(resp, login=self.http.login)
        delta = parse_sync_delta(resp.body, self.http.base_url, cal_href, token)
        return self._fill_missing_data(cal_href, delta) if with_data else delta

    def _fill_missing_data(self, cal_href: str, delta: SyncDelta) -> SyncDelta:
        """Some servers send only ETags in sync answers even when asked for data."""
        missing = [obj.href for obj in delta.changed if obj.data is None]
        if not missing:
            return delta
        fetched = {obj.href: obj for obj in self.multiget(cal_href, missing)}
        changed = tuple(
            obj if obj.data is not None else fetched[obj.href]
            for obj in delta.changed
            if obj.data is not None or obj.href in fetched
        )
        # Absent from the multiget: deleted meanwhile, or the server failed on it. Either way
        # it is not known yet; the caller keeps its token so the next sync says which.
        lost = tuple(href for href in missing if href not in fetched)
        return SyncDelta(
            delta.token,
            changed,
            delta.removed,
            delta.truncated,
            delta.failed + lost,
            delta.unreadable,
        )

    def multiget(
        self, cal_href: str, hrefs: Sequence[str], *, batch: int = 200
    ) -> list[CalendarObject]:
        """The objects at ``hrefs`` with their data, ``batch`` per REPORT. Answers are unordered
        and missing hrefs are silently absent (fixture 57)."""
        objects: list[CalendarObject] = []
        headers = {"Depth": "1", "Content-Type": XML_CONTENT_TYPE}
        for chunk in _chunks(hrefs, batch):
            listed = "".join(f"<d:href>{escape(quote(h, safe='/'))}</d:href>" for h in chunk)
            body = (
                f'<?xml version="1.0" encoding="UTF-8"?>\n<c:calendar-multiget {_NS}>'
                f"{_OBJECT_PROPS}{listed}</c:calendar-multiget>"
            )
            resp = self.http.request(
                "REPORT", self._url(cal_href), headers=headers, body=body, expect=(207,)
            )
            objects += parse_calendar_objects(resp.body, self.http.base_url, cal_href)
        return objects

    def list_etags(self, cal_href: str) -> list[CalendarObject]:
        """Href and ETag of every object (for servers without sync-collection)."""
        return list(self.listing(cal_href).changed)

    def listing(self, cal_href: str) -> SyncDelta:
        """Every object's href and ETag, as a full delta: entries the server could not describe
        are in ``failed`` (or counted in ``unreadable``), so they are never taken for gone."""
        headers = {"Depth": "1", "Content-Type": XML_CONTENT_TYPE}
        resp = self.http.request(
            "PROPFIND", self._url(cal_href), headers=headers, body=_PROPFIND_ETAGS, expect=(207,)
        )
        return parse_sync_delta(resp.body, self.http.base_url, cal_href, None)

    def put(
        self, href: str, ics: str, *, if_match: str | None = None, if_none_match: bool = False
    ) -> str | None:
        """Write one object, guarded; the new ETag, or None when the server rewrote the object
        (scheduling, fixture 05): re-read it before the next If-Match write."""
        headers = _guard(if_match, if_none_match) | {"Content-Type": ICS_CONTENT_TYPE}
        resp = self.http.request(
            "PUT", self._url(href), headers=headers, body=ics, expect=(201, 204)
        )
        return resp.headers.get("ETag")

    def delete(self, href: str, *, if_match: str) -> None:
        """Delete one object if it still has ETag ``if_match``."""
        headers = _guard(if_match, False)
        self.http.request("DELETE", self._url(href), headers=headers, expect=(204, 200))
