"""Calendar: each alert becomes a VTODO in a Nextcloud calendar the board already sees.

Created with ``If-None-Match: *``, rewritten while the alert holds when its summary,
description or due day changed (:func:`fingerprint`), and completed when the alert resolves,
always with ``If-Match`` on the ETag Quorum wrote: if a person edited the todo meanwhile (412) it
is left exactly as they made it, for good, and the delivery log says so.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from icalendar import Calendar, Todo

from integrations.caldav import CalendarClient
from integrations.errors import IntegrationError, PreconditionFailed
from sidecar.alerts.channels.base import (
    EditedMeanwhile,
    Message,
    Recipient,
    TransportError,
    from_integration,
    one_line,
)

_PRIORITY = {"high": 1, "medium": 5, "low": 9}


def todo_uid(key: str, episode: str) -> str:
    return "quorum-" + hashlib.sha256(f"{key}#{episode}".encode()).hexdigest()[:32]


def fingerprint(message: Message) -> str:
    """What a todo shows that may change while its alert holds: summary, params, due day.

    The description's signed links change at every rendering, so they are left out.
    """
    basis = [message.subject, message.data.get("params") or {}, message.data.get("due") or ""]
    text = json.dumps(basis, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _due(message: Message) -> date | None:
    try:
        return date.fromisoformat(str(message.data.get("due") or ""))
    except ValueError:
        return None


def todo_ics(message: Message, uid: str, *, completed: datetime | None = None) -> str:
    """The VTODO of an alert (open, or completed at ``completed``)."""
    todo = Todo()
    todo.add("uid", uid)
    todo.add("dtstamp", completed or datetime.now(UTC))
    todo.add("summary", one_line(message.subject))
    todo.add("description", f"{message.text}\n{message.link}".strip())
    todo.add("priority", _PRIORITY.get(message.severity, 5))
    todo.add("categories", ["Quorum"])
    due = _due(message)
    if due is not None:
        todo.add("due", due)
    if completed is None:
        todo.add("status", "NEEDS-ACTION")
    else:
        todo.add("status", "COMPLETED")
        todo.add("completed", completed)
        todo.add("percent-complete", 100)
    cal = Calendar()
    cal.add("prodid", "-//Quorum//alerts//EN")
    cal.add("version", "2.0")
    cal.add_component(todo)
    return str(cal.to_ical().decode("utf-8"))


class CalendarTransport:
    """``calendar``: the calendar's href on the source (``/remote.php/dav/calendars/u/x/``)."""

    kind = "calendar"
    per_person = False
    wants_resolved = True

    def __init__(self, calendars: CalendarClient, calendar: str) -> None:
        self.calendars = calendars
        self.calendar = calendar.rstrip("/") + "/"

    def send(self, message: Message, recipient: Recipient | None) -> dict[str, Any]:
        if message.kind == "resolved":
            return self._complete(message)
        uid = todo_uid(message.key, str(message.data.get("episode", "1")))
        href = f"{self.calendar}{uid}.ics"
        try:
            etag = self.calendars.put(href, todo_ics(message, uid), if_none_match=True)
        except PreconditionFailed:
            # Already there: an earlier attempt wrote it before a crash. Never overwrite it.
            return {"href": href, "etag": self._etag(href), "existed": True}
        except IntegrationError as err:
            raise from_integration(err, "Could not write the todo") from err
        etag = etag or self._etag(href)
        return {"href": href, "etag": etag, "uid": uid, "fingerprint": fingerprint(message)}

    @staticmethod
    def needs_update(message: Message, opened: Mapping[str, Any]) -> bool:
        """Whether the todo written as ``opened`` shows something else than ``message`` now."""
        if opened.get("edited") or not opened.get("href") or not opened.get("etag"):
            return False
        return bool(opened.get("fingerprint") != fingerprint(message))

    def update(self, message: Message, opened: Mapping[str, Any]) -> dict[str, Any]:
        """Rewrite the todo with ``If-Match``; :class:`EditedMeanwhile` when a person edited it.

        Returns the new reference of the opened delivery (its ETag and fingerprint).
        """
        href, etag = str(opened["href"]), str(opened["etag"])
        uid = str(opened.get("uid") or href.rsplit("/", 1)[-1].removesuffix(".ics"))
        try:
            new_etag = self.calendars.put(href, todo_ics(message, uid), if_match=etag)
        except PreconditionFailed as err:
            raise EditedMeanwhile(
                "Someone edited the todo in Nextcloud meanwhile: left as they made it."
            ) from err
        except IntegrationError as err:
            raise from_integration(err, "Could not update the todo") from err
        new_etag = new_etag or self._etag(href)
        return {**opened, "etag": new_etag, "uid": uid, "fingerprint": fingerprint(message)}

    def _complete(self, message: Message) -> dict[str, Any]:
        opened = message.data.get("opened") or {}
        href, etag = opened.get("href"), opened.get("etag")
        if not href or not etag:
            return {"skipped": "no todo was written for this alert"}
        if opened.get("edited"):
            raise EditedMeanwhile("Someone edited the todo in Nextcloud: left as they made it.")
        uid = str(opened.get("uid") or href.rsplit("/", 1)[-1].removesuffix(".ics"))
        ics = todo_ics(message, uid, completed=datetime.now(UTC))
        try:
            new_etag = self.calendars.put(href, ics, if_match=str(etag))
        except PreconditionFailed as err:
            raise EditedMeanwhile(
                "Someone edited the todo in Nextcloud meanwhile: left as they made it."
            ) from err
        except IntegrationError as err:
            raise from_integration(err, "Could not complete the todo") from err
        return {"href": href, "etag": new_etag, "completed": True}

    def _etag(self, href: str) -> str | None:
        try:
            for obj in self.calendars.list_etags(self.calendar):
                if obj.href.rstrip("/") == href.rstrip("/"):
                    return obj.etag
        except IntegrationError as err:
            raise TransportError(
                f"Could not read the todo back: {err.message}", transient=True
            ) from err
        return None

    def close(self) -> None:
        self.calendars.http.close()
