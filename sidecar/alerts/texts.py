"""The words of each alert, as English msgids translated per recipient (French in the catalogue).

Titles use ``%(name)s`` placeholders filled from the alert's params; a missing param shows as
an empty string rather than failing a whole delivery run. A sentence with a count is a
:class:`Plural`, whose form follows the param it names (« 1 jour », « 2 jours »). A rule whose
wording depends on what was found (the sharing audit's finding kinds) has one entry per kind,
``rule/kind``, chosen by :func:`text_key`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


def N_(text: str) -> str:  # the name pybabel looks for
    """Mark a msgid for extraction; translated later, per recipient."""
    return text


@dataclass(frozen=True)
class Plural:
    """A sentence with a count: its singular and plural msgids and the param holding the count."""

    singular: str
    plural: str
    count: str


def ngettext(singular: str, plural: str, count: str) -> Plural:
    """Mark a plural msgid pair for extraction (pybabel knows this name); ``count`` names the
    param that chooses the form, translated later, per recipient."""
    return Plural(singular, plural, count)


Text = str | Plural


#: Params holding an ISO date, written out in the reader's language when shown.
DATE_PARAMS = ("date", "deadline", "due")
#: Params holding a folder or file path, set apart as code on pages.
PATH_PARAMS = ("folder", "path", "href")
UNKNOWN_RULE = N_("A condition Quorum watches holds now")

TITLES: dict[str, Text] = {
    "convocation_late": N_("Convocation for %(body)s on %(date)s sent too late (%(notice_days)s of %(required)s days)"),
    "convocation_not_sent": N_("No convocation known for %(body)s on %(date)s"),
    "agenda_missing": N_("Agenda missing for %(body)s on %(date)s"),
    "quorum_at_risk": ngettext(
        "Quorum at risk for %(body)s on %(date)s: %(expected)s expected of the %(required)s required",
        "Quorum at risk for %(body)s on %(date)s: %(expected)s expected of the %(required)s required",
        "expected",
    ),
    "rsvp_missing": N_("Please answer the invitation: %(body)s on %(date)s"),
    "minutes_overdue": N_("Minutes overdue for %(body)s of %(date)s"),
    "grant_deadline": ngettext(
        "%(funder)s: deadline %(deadline)s in %(days_left)s day, pieces missing",
        "%(funder)s: deadline %(deadline)s in %(days_left)s days, pieces missing",
        "days_left",
    ),
    "report_due": N_("Financial report due on %(due)s: %(title)s"),
    "report_overdue": N_("Financial report overdue since %(due)s: %(title)s"),
    "request_while_report_outstanding": N_("New request to %(funder)s while a report is still owed (%(report)s)"),
    "declaration_due": N_("Préfecture declaration due on %(due)s"),
    "risky_share": N_("Risky share: %(title)s (%(path)s)"),  # alerts raised before the kinds
    "risky_share/public_link_no_password": N_("Public link without a password on %(path)s, a sensitive folder"),
    "risky_share/public_link_no_expiry": N_("Public link that never expires on %(path)s, a sensitive folder"),
    "risky_share/outside_members": N_("%(path)s is shared with %(who)s, who is not a member of any body"),
    "risky_share/expiring_soon": ngettext(
        "A share of %(path)s expires in %(days)s day",
        "A share of %(path)s expires in %(days)s days",
        "days",
    ),
    "share_audit_failing": N_("The sharing audit is failing"),
    "sync_paused": N_("Sync job %(job)s is paused: %(reason)s"),
    "sync_failing": ngettext(
        "Sync job %(job)s failed %(failures)s time in a row",
        "Sync job %(job)s failed %(failures)s times in a row",
        "failures",
    ),
    "calendar_object_unreadable": N_("A calendar object Quorum could not read in %(calendar)s"),
    "minutes_edited_after_approval": N_("Approved minutes edited afterwards: %(body)s of %(date)s"),
    "minutes_removed_after_approval": N_("Approved minutes deleted or replaced: %(body)s of %(date)s"),
    "handover_overdue": ngettext(
        "Handover of %(name)s: %(count)s item still held by a deactivated account",
        "Handover of %(name)s: %(count)s items still held by a deactivated account",
        "count",
    ),
}  # fmt: skip

DETAILS: dict[str, Text] = {
    "convocation_late": ngettext(
        "The statuts require the convocation %(required)s day before the meeting: postpone the meeting and convene it again in time, or make sure every member agrees to the short notice, or its decisions may be contested.",
        "The statuts require the convocation %(required)s days before the meeting: postpone the meeting and convene it again in time, or make sure every member agrees to the short notice, or its decisions may be contested.",
        "required",
    ),
    "convocation_not_sent": N_("Send the convocation now so the notice period is respected."),
    "agenda_missing": N_("Put the agenda (ordre du jour) in %(folder)s."),
    "quorum_at_risk": N_("Ask the members who have not answered, or collect proxies."),
    "rsvp_missing": N_("Accept or decline the invitation in your calendar; if you cannot come, give a proxy."),
    "minutes_overdue": N_("Put the minutes (procès-verbal) in %(folder)s."),
    "grant_deadline": N_("Missing: %(missing)s."),
    "report_due": N_("Send the compte-rendu financier (CERFA n°15059*02) to the funder."),
    "report_overdue": N_("Send the compte-rendu financier (CERFA n°15059*02) to the funder."),
    "request_while_report_outstanding": N_("Funders expect the report before any new request."),
    "declaration_due": N_("Declare the change of officers on the préfecture's website."),
    "risky_share": N_("%(fix)s"),
    "risky_share/public_link_no_password": N_("In Nextcloud Files, open the sharing tab of %(path)s, choose the link's ⋯ menu and set “Password protect”, or delete the link if nobody needs it."),
    "risky_share/public_link_no_expiry": N_("In the sharing tab of %(path)s, open the link's ⋯ menu and set an expiration date."),
    "risky_share/outside_members": N_("In the sharing tab of %(path)s, check that %(who)s still needs it; remove the share or reduce it to read-only, or add the person to the members in Quorum."),
    "risky_share/expiring_soon": N_("If it is still needed, extend the expiration date in the sharing tab of %(path)s."),
    "share_audit_failing": N_("Quorum could not read the shares (%(error)s); share alerts show the last audit that worked."),
    "sync_paused": N_("Create a new app password in Nextcloud and update the source."),
    "sync_failing": N_("Check on the Sources page that the address of %(source)s answers and that its app password is still valid (create a new one in Nextcloud if not), then run the sync again. Last error: %(error)s"),
    "calendar_object_unreadable": N_("Open this event in a calendar app and save it again, or delete it if nobody needs it; Quorum skips it meanwhile (%(href)s: %(error)s)."),
    "minutes_edited_after_approval": N_("%(path)s changed after its approval (register entry %(seq)s): approve the new version, or restore the approved one."),
    "minutes_removed_after_approval": N_("%(path)s (register entry %(seq)s) is no longer on Nextcloud: restore it from the trash, or approve the file that replaced it."),
    "handover_overdue": ngettext(
        "Transfer what is left on the handover checklist (%(days)s day since the account was deactivated).",
        "Transfer what is left on the handover checklist (%(days)s days since the account was deactivated).",
        "days",
    ),
}  # fmt: skip

# On the alerts page officers read about someone else: the words addressed to that person
# ("Please answer") are replaced by these.
PAGE_TITLES: dict[str, Text] = {
    "rsvp_missing": N_("%(member)s has not answered the invitation: %(body)s on %(date)s"),
}
PAGE_DETAILS: dict[str, Text] = {
    "rsvp_missing": N_("Quorum reminds them; you may ask them too, or record the proxy they give."),
}

SEVERITY: dict[str, str] = {
    "high": N_("urgent"),
    "medium": N_("important"),
    "low": N_("for information"),
}

KIND_PREFIX: dict[str, str] = {
    "opened": "",
    "escalated": N_("Still unacknowledged: "),
    "resolved": N_("Resolved: "),
    "test": "",
}

UI: dict[str, str] = {
    "open": N_("Open in Quorum"),
    "acknowledge": N_("Acknowledge"),
    "snooze": N_("Snooze for a week"),
    "test_subject": N_("Quorum test message"),
    "test_body": N_("This test message shows that the channel %(name)s works."),
    "footer": N_("You receive this because of your role in the association."),
    "severity": N_("Priority: %(severity)s"),
}


def text_key(rule: str, params: Mapping[str, object]) -> str:
    """The entry of :data:`TITLES`/:data:`DETAILS` for this alert: ``rule/kind`` when the rule
    is worded per kind of finding, else the rule."""
    variant = f"{rule}/{params.get('kind', '')}"
    return variant if variant in TITLES else rule


def count_of(text: Text, params: Mapping[str, object]) -> int | None:
    """The count choosing a :class:`Plural`'s form (None for a plain sentence); a missing or
    malformed count reads as the plural."""
    if not isinstance(text, Plural):
        return None
    try:
        return int(str(params.get(text.count, "")))
    except ValueError:
        return 2


class _Lenient(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, params: Mapping[str, object]) -> str:
    """``template % params`` that never raises on a missing or malformed placeholder."""
    try:
        return template % _Lenient({k: str(v) for k, v in params.items()})
    except (ValueError, TypeError):
        return template
