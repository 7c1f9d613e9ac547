"""The sharing audit's findings in the user's language.

The pure audit (:mod:`sidecar.projection.shares`) returns each finding with a ``kind`` and
English text; pages show the text for the kind through gettext, so French users read French.
Unknown kinds fall back to the audit's own English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext, ngettext

from sidecar.projection.shares import Finding
from sidecar.services.share_audit import AuditNote


@dataclass(frozen=True)
class FindingText:
    """What a finding says: its title, why it matters, how to fix it in Nextcloud."""

    title: str
    why: str
    fix: str


def finding_text(finding: Finding, expires: date | None, today: date) -> FindingText:
    """The finding's three sentences, translated; ``expires`` is the share's expiry, if any."""
    path, who = finding.path, finding.shared_with
    if finding.kind == "public_link_no_password":
        return FindingText(
            gettext("Public link without a password on a sensitive folder"),
            gettext(
                "Anyone who gets the link (a forwarded e-mail, a browser history) can read "
                "these files; nothing asks who they are."
            ),
            gettext(
                "In Nextcloud Files, open the sharing tab of %(path)s, choose the link's ⋯ menu "
                "and set “Password protect”, or delete the link if nobody needs it.",
                path=path,
            ),
        )
    if finding.kind == "public_link_no_expiry":
        return FindingText(
            gettext("Public link that never expires on a sensitive folder"),
            gettext(
                "A link made for one occasion stays valid for years, long after the people who "
                "had it left the association."
            ),
            gettext(
                "In the sharing tab of %(path)s, open the link's ⋯ menu and set an expiration "
                "date.",
                path=path,
            ),
        )
    if finding.kind == "outside_members":
        return FindingText(
            gettext("Shared with %(who)s, who is not a member of any body", who=who),
            gettext(
                "People outside the board keep access to the association's files after they "
                "leave, and nobody reviews what they can read or change."
            ),
            gettext(
                "In the sharing tab of %(path)s, check that %(who)s still needs it; remove the "
                "share or reduce it to read-only, or add the person to the members in Quorum.",
                path=path,
                who=who,
            ),
        )
    if finding.kind == "expiring_soon" and expires is not None:
        return FindingText(
            ngettext(
                "Share expiring in %(num)d day",
                "Share expiring in %(num)d days",
                (expires - today).days,
            ),
            gettext(
                "Whoever relies on this share (a funder reading a dossier, an auditor) will lose "
                "access without warning."
            ),
            gettext(
                "If it is still needed, extend the expiration date in the sharing tab of %(path)s.",
                path=path,
            ),
        )
    return FindingText(finding.title, finding.why, finding.fix)


def note_text(note: AuditNote) -> str:
    """A partial problem of the audit, translated; Nextcloud's own words follow in English."""
    if note.kind == "group_members_unreadable":
        text: str = gettext(
            "Members of group %(group)s are not readable by this Nextcloud account: the group was "
            "checked by name only (a group named like a body counts as the board). Nextcloud "
            "said: %(detail)s",
            group=note.subject,
            detail=note.detail,
        )
        return text
    return f"{note.subject}: {note.detail}"
