"""The words of each alert, as English msgids translated per recipient (French in the catalogue).

Titles use ``%(name)s`` placeholders filled from the alert's params; a missing param shows as
an empty string rather than failing a whole delivery run.
"""

from __future__ import annotations

from collections.abc import Mapping


def N_(text: str) -> str:  # the name pybabel looks for
    """Mark a msgid for extraction; translated later, per recipient."""
    return text


#: Params holding an ISO date, written out in the reader's language when shown.
DATE_PARAMS = ("date", "deadline", "due")
#: Params holding a folder or file path, set apart as code on pages.
PATH_PARAMS = ("folder", "path", "href")
UNKNOWN_RULE = N_("A condition Quorum watches holds now")

TITLES: dict[str, str] = {
    "convocation_late": N_("Convocation for %(body)s on %(date)s sent too late (%(notice_days)s of %(required)s days)"),
    "convocation_not_sent": N_("No convocation known for %(body)s on %(date)s"),
    "agenda_missing": N_("Agenda missing for %(body)s on %(date)s"),
    "quorum_at_risk": N_("Quorum at risk for %(body)s on %(date)s (%(expected)s of %(required)s expected)"),
    "rsvp_missing": N_("Please answer the invitation: %(body)s on %(date)s"),
    "minutes_overdue": N_("Minutes overdue for %(body)s of %(date)s"),
    "grant_deadline": N_("%(funder)s: deadline %(deadline)s in %(days_left)s days, pieces missing"),
    "report_due": N_("Financial report due on %(due)s: %(title)s"),
    "report_overdue": N_("Financial report overdue since %(due)s: %(title)s"),
    "request_while_report_outstanding": N_("New request to %(funder)s while a report is still owed (%(report)s)"),
    "declaration_due": N_("Préfecture declaration due on %(due)s"),
    "risky_share": N_("Risky share: %(title)s (%(path)s)"),
    "share_audit_failing": N_("The sharing audit is failing"),
    "sync_paused": N_("Sync job %(job)s is paused: %(reason)s"),
    "sync_failing": N_("Sync job %(job)s failed %(failures)s times in a row"),
    "calendar_object_unreadable": N_("A calendar object Quorum could not read in %(calendar)s"),
    "minutes_edited_after_approval": N_("Approved minutes edited afterwards: %(body)s of %(date)s"),
    "minutes_removed_after_approval": N_("Approved minutes deleted or replaced: %(body)s of %(date)s"),
    "handover_overdue": N_("Handover of %(name)s: %(count)s items still held by a deactivated account"),
}  # fmt: skip

DETAILS: dict[str, str] = {
    "convocation_late": N_("The statuts require the convocation %(required)s days before the meeting."),
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
    "share_audit_failing": N_("Quorum could not read the shares (%(error)s); share alerts show the last audit that worked."),
    "sync_paused": N_("Create a new app password in Nextcloud and update the source."),
    "sync_failing": N_("Last error: %(error)s"),
    "calendar_object_unreadable": N_("%(href)s: %(error)s"),
    "minutes_edited_after_approval": N_("%(path)s changed after its approval (register entry %(seq)s): approve the new version, or restore the approved one."),
    "minutes_removed_after_approval": N_("%(path)s (register entry %(seq)s) is no longer on Nextcloud: restore it from the trash, or approve the file that replaced it."),
    "handover_overdue": N_("Transfer what is left on the handover checklist (%(days)s days since the account was deactivated)."),
}  # fmt: skip

# On the alerts page officers read about someone else: the words addressed to that person
# ("Please answer") are replaced by these.
PAGE_TITLES: dict[str, str] = {
    "rsvp_missing": N_("%(member)s has not answered the invitation: %(body)s on %(date)s"),
}
PAGE_DETAILS: dict[str, str] = {
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


class _Lenient(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, params: Mapping[str, object]) -> str:
    """``template % params`` that never raises on a missing or malformed placeholder."""
    try:
        return template % _Lenient({k: str(v) for k, v in params.items()})
    except (ValueError, TypeError):
        return template
