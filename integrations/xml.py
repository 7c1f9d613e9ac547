"""Safe XML parsing and the WebDAV ``multistatus`` shape shared by files and calendars.

Every body goes through defusedxml, fed as bytes (the encoding declaration decides, not us).
Anything that is not well-formed, declares entities or a DTD, or nests deeply enough to blow the
stack becomes a :class:`ProtocolError`: a caller can never mistake a broken answer for an empty one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from integrations.errors import ProtocolError

DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
CALSERVER = "{http://calendarserver.org/ns/}"
OC = "{http://owncloud.org/ns}"
NC = "{http://nextcloud.org/ns}"
APPLE = "{http://apple.com/ns/ical/}"
MAX_DEPTH = 100


@dataclass(frozen=True)
class DavResponse:
    """One ``<d:response>``: its href (raw, still percent-encoded), the response-level status
    code if any (e.g. 404 for an item deleted since a sync token), and the props of its 200
    propstat. Props in other propstats are dropped: Nextcloud lists unset props there."""

    href: str
    status: int | None = None
    props: dict[str, Element | str] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        """The stripped text of prop ``name`` (Clark notation), or None if absent."""
        value = self.props.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        return (value.text or "").strip()

    def element(self, name: str) -> Element | None:
        """The element of prop ``name``, or None if absent."""
        value = self.props.get(name)
        return value if isinstance(value, Element) else None


def parse_xml(body: bytes, *, what: str = "The server's answer") -> Element:
    """Parse untrusted XML bytes; raise ProtocolError for anything but a well-formed document
    of reasonable depth (no DAV answer nests deeper than :data:`MAX_DEPTH`)."""
    try:
        return _parse_bounded(body)
    except (ParseError, DefusedXmlException, RecursionError, ValueError) as exc:
        # Depending on the parser, deep nesting raises a bare RecursionError (docs/pitfalls.md).
        reason = type(exc).__name__ if isinstance(exc, RecursionError) else str(exc)
        raise ProtocolError(f"{what} is not well-formed XML: {reason[:200]}") from None


def _parse_bounded(body: bytes) -> Element:
    depth = 0
    root: Element | None = None
    events = SafeET.iterparse(io.BytesIO(body), events=("start", "end"), forbid_dtd=True)
    for event, element in events:
        if event == "end":
            depth -= 1
            continue
        root = element if root is None else root
        depth += 1
        if depth > MAX_DEPTH:
            raise ValueError(f"elements nested more than {MAX_DEPTH} deep")
    if root is None:
        raise ValueError("no element found")
    return root


def status_code(status_line: str | None) -> int | None:
    """``"HTTP/1.1 404 Not Found"`` → 404; None when absent or unreadable."""
    if not status_line:
        return None
    parts = status_line.split()
    if len(parts) >= 2 and parts[1].isdigit():
        return int(parts[1])
    return None


def parse_multistatus(body: bytes) -> list[DavResponse]:
    """The responses of a ``{DAV:}multistatus`` body (anything else raises ProtocolError)."""
    return parse_multistatus_with_token(body)[0]


def parse_multistatus_with_token(body: bytes) -> tuple[list[DavResponse], str | None]:
    """The responses and the top-level ``<d:sync-token>`` (None if absent) of a multistatus."""
    root = parse_xml(body, what="The multistatus answer")
    if root.tag != f"{DAV}multistatus":
        raise ProtocolError(f"Expected a WebDAV multistatus answer, got <{root.tag}>.")
    responses = [_parse_response(node) for node in root.findall(f"{DAV}response")]
    token = (root.findtext(f"{DAV}sync-token") or "").strip()
    return responses, token or None


def _parse_response(node: Element) -> DavResponse:
    # A response without a DAV:href (a foreign namespace, an empty one) names nothing: it is
    # returned with href "" for the caller to count as unreadable, not to fail the whole answer.
    href = (node.findtext(f"{DAV}href") or "").strip()
    props: dict[str, Element | str] = {}
    for propstat in node.findall(f"{DAV}propstat"):
        if status_code(propstat.findtext(f"{DAV}status")) != 200:
            continue
        prop = propstat.find(f"{DAV}prop")
        for child in prop if prop is not None else ():
            props[child.tag] = child
    return DavResponse(href, status_code(node.findtext(f"{DAV}status")), props)
