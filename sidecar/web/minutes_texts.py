"""The words of the minutes pages: field names, findings, handover kinds, in the UI language."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext


def _(text: str, **params: object) -> str:
    """gettext, typed (flask-babel has no annotations)."""
    return str(gettext(text, **params))


def field_label(name: str) -> str:
    labels = {
        "date": _("date"),
        "place": _("place"),
        "convocation": _("convocation"),
        "agenda": _("agenda"),
        "present": _("members present"),
        "represented": _("members represented"),
        "quorum": _("quorum"),
        "chair": _("chair of the meeting"),
        "secretary": _("secretary of the meeting"),
        "resolutions": _("resolutions and votes"),
        "signatures": _("signatures"),
    }
    return labels.get(name, name)


def finding_text(code: str, params: Mapping[str, str], error: str | None = None) -> str:
    """One finding of a PV as a sentence that says what does not add up."""
    p = dict(params)
    if code == "missing":
        return _("Missing: %(field)s.", field=field_label(p.get("field", "")))
    if code == "unreadable":
        return _("Quorum could not read this file: %(error)s", error=error or "")
    if code == "date_differs":
        return _(
            "The PV is dated %(written)s; the meeting took place on %(known)s.",
            written=p.get("written", ""),
            known=p.get("known", ""),
        )
    if code == "count_differs":
        return _(
            "The PV says %(present)s present and %(represented)s represented; %(accepted)s "
            "acceptances and %(proxies)s proxies are recorded.",
            **{k: p.get(k, "") for k in ("present", "represented", "accepted", "proxies")},
        )
    if code == "more_than_seats":
        return _(
            "The PV counts %(counted)s members present or represented; the body has %(seats)s seats.",
            counted=p.get("counted", ""),
            seats=p.get("seats", ""),
        )
    if code == "not_on_roster":
        return _(
            "%(name)s is not on the roster of %(body)s.",
            name=p.get("name", ""),
            body=p.get("body", ""),
        )
    if code == "quorum_contradiction":
        return _(
            "The PV says the quorum was reached, but %(counted)s present or represented is below "
            "the %(required)s required.",
            counted=p.get("counted", ""),
            required=p.get("required", ""),
        )
    if code == "votes_exceed":
        return _(
            "Resolution %(resolution)s counts %(counted)s votes for %(voters)s members present or "
            "represented.",
            resolution=p.get("resolution", ""),
            counted=p.get("counted", ""),
            voters=p.get("voters", ""),
        )
    return code


def kind_label(kind: str) -> str:
    """What a handover item is."""
    labels = {
        "dossier": _("Grant dossier"),
        "deadline": _("Deadline"),
        "action": _("Action from the minutes"),
        "share": _("Share"),
        "public_link": _("Public link"),
        "folder": _("Folder owned by the account"),
        "calendar": _("Calendar owned by the account"),
        "alert_route": _("Alert route"),
        "api_token": _("API token"),
    }
    return labels.get(kind, kind)


def via_label(via: str) -> str:
    return {"officer": _("approved by an officer"), "signed_pdf": _("signed PDF")}.get(via, via)


def status_label(status: str) -> str:
    return {
        "COMPLETED": _("done"),
        "NEEDS-ACTION": _("to do"),
        "IN-PROCESS": _("in progress"),
        "CANCELLED": _("cancelled"),
    }.get(status, status)
