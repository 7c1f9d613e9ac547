"""A meeting's readiness badges as the overview and the meetings list show them.

The words are looked up once per page, not once per meeting: a list of 20 meetings asked the
catalogue for about 80 strings, and the quorum's words were built again for each meeting
(profiled on the medium benchmark data, ``bench/web.py``). The page's template only prints
what is here (``templates/partials/meeting_glance.html``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from markupsafe import Markup

from sidecar.projection.meetings import MeetingSummary
from sidecar.web.labels import QuorumView, minutes_label, quorum_known, quorum_view

Badge = tuple[str, str]  # (css class, words)


@dataclass(frozen=True)
class Glance:
    """The badges of one meeting (``cancelled``: the only one a cancelled meeting has)."""

    cancelled: str | None
    notice: Badge
    agenda: Badge
    remote: Badge | None
    quorum: QuorumView
    answers: str
    minutes: Badge | None


def glances(
    meetings: Sequence[MeetingSummary], now: datetime
) -> list[tuple[MeetingSummary, Glance]]:
    """Each meeting with its badges at ``now``, the words looked up once for all of them."""
    words = _Words()
    return [(m, words.glance(m, now)) for m in meetings]


class _Words:
    """The badges' words in the request's language, each asked for once."""

    def __init__(self) -> None:
        # Marked safe as the template's _() marks them: they are the catalogue's own words
        # (the variables put into them are escaped). Each is written out for pybabel.
        w = {
            "cancelled": gettext("cancelled"),
            "notice_ok": gettext("notice sent in time"),
            "notice_late": gettext("notice late"),
            "notice_unknown": gettext("notice: date unknown"),
            "agenda": gettext("agenda ready"),
            "no_agenda": gettext("no agenda yet"),
            "remote": gettext("video link ready"),
            "no_remote": gettext("no video link"),
        }
        self.words = {key: Markup(text) for key, text in w.items()}  # noqa: S704
        self.answers = Markup(  # noqa: S704
            gettext(
                "%(accepted)s yes, %(declined)s no, %(tentative)s maybe, "
                "%(no_answer)s without answer"
            )
        )
        self.quorums: dict[tuple[int, int, str, bool], QuorumView] = {}
        self.minutes: dict[str, str] = {}

    def glance(self, m: MeetingSummary, now: datetime) -> Glance:
        w, r = self.words, m.readiness
        if r.notice_ok:
            notice = ("ok", w["notice_ok"])
        elif r.notice_ok is False:
            notice = ("bad", w["notice_late"])
        else:
            notice = ("", w["notice_unknown"])
        remote = None
        if m.body.remote_allowed or r.remote_link:
            remote = ("ok", w["remote"]) if r.remote_link else ("warn", w["no_remote"])
        minutes = None
        if r.minutes in ("overdue", "pending"):
            css = "bad" if r.minutes == "overdue" else "warn"
            minutes = (css, self._minutes(r.minutes))
        a = r.rsvp
        return Glance(
            cancelled=w["cancelled"] if m.cancelled else None,
            notice=notice,
            agenda=("ok", w["agenda"]) if r.agenda else ("warn", w["no_agenda"]),
            remote=remote,
            quorum=self._quorum(m, now),
            answers=self.answers
            % {
                "accepted": a.accepted,
                "declined": a.declined,
                "tentative": a.tentative,
                "no_answer": a.no_answer,
            },
            minutes=minutes,
        )

    def _quorum(self, m: MeetingSummary, now: datetime) -> QuorumView:
        q = m.readiness.quorum
        key = (q.expected, q.required, q.state, quorum_known(m, now))  # type: ignore[arg-type]
        if key not in self.quorums:
            self.quorums[key] = quorum_view(m, now)  # type: ignore[arg-type]
        return self.quorums[key]

    def _minutes(self, state: str) -> str:
        if state not in self.minutes:
            self.minutes[state] = minutes_label(state)
        return self.minutes[state]
