"""The sharing audit: which Nextcloud shares expose the association more than they should.

Findings only: Quorum never changes a share; each finding says why it matters and what to click
in Nextcloud to fix it. The shares come in as plain :class:`ShareInfo` (the service maps OCS
answers to it) so this module stays free of any protocol.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sidecar.projection.grants import normalise

USER, GROUP, LINK, EMAIL = 0, 1, 3, 4
DEFAULT_SENSITIVE = ("Comptabilité/",)
EXPIRING_DAYS = 14


@dataclass(frozen=True)
class ShareInfo:
    """One share as the audit needs it (``expiration`` naive, in the server's time zone)."""

    id: str
    share_type: int
    path: str  # absolute in the owner's files: "/Comptabilité"
    item_type: str
    owner: str
    share_with: str | None
    share_with_displayname: str | None
    permissions: int
    has_password: bool
    expiration: datetime | None
    url: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Insiders:
    """Who counts as inside: members' Nextcloud ids and e-mails, bodies' names and groups."""

    users: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    body_names: frozenset[str] = frozenset()  # normalised codes and names of the bodies
    group_members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # when readable


@dataclass(frozen=True)
class Finding:
    """One problem with one share: what, why it matters, how to fix it in Nextcloud."""

    key: str  # stable: kind + share id
    kind: str  # public_link_no_password | public_link_no_expiry | outside_members | expiring_soon
    severity: str  # high | medium | low
    share_id: str
    path: str
    shared_with: str
    title: str
    why: str
    fix: str
    url: str | None = None
    days: int | None = None  # days left before the share expires (expiring_soon)


def is_sensitive(path: str, sensitive_folders: Sequence[str]) -> bool:
    """Whether ``path`` is one of the sensitive folders or inside one (accent-insensitive)."""
    target = _segments(path)
    return any(
        (folder := _segments(f)) and target[: len(folder)] == folder for f in sensitive_folders
    )


def _segments(path: str) -> list[str]:
    # Compare whole path segments, so "Comptabilité-bis" is not inside "Comptabilité".
    return [normalise(part) for part in path.strip("/").split("/") if part]


def audit(
    shares: Sequence[ShareInfo],
    insiders: Insiders,
    sensitive_folders: Sequence[str],
    today: date,
    *,
    expiring_days: int = EXPIRING_DAYS,
) -> list[Finding]:
    """Every finding, the most serious first."""
    found: list[Finding] = []
    for share in shares:
        if share.share_type == LINK and is_sensitive(share.path, sensitive_folders):
            found += _link_findings(share)
        outsider = _outsider(share, insiders)
        if outsider:
            found.append(_outside(share, outsider))
        if share.expiration and 0 <= (share.expiration.date() - today).days <= expiring_days:
            found.append(_expiring(share, (share.expiration.date() - today).days))
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(found, key=lambda f: (order[f.severity], f.path, f.key))


def _target(share: ShareInfo) -> str:
    if share.share_type == LINK:
        return share.label or "public link"
    return share.share_with_displayname or share.share_with or ""


def _link_findings(share: ShareInfo) -> list[Finding]:
    found = []
    if not share.has_password:
        found.append(
            Finding(
                f"public_link_no_password:{share.id}",
                "public_link_no_password",
                "high",
                share.id,
                share.path,
                _target(share),
                "Public link without a password on a sensitive folder",
                "Anyone who gets the link (a forwarded e-mail, a browser history) can read "
                "these files; nothing asks who they are.",
                f"In Nextcloud Files, open the sharing tab of {share.path}, choose the link's "
                "⋯ menu and set “Password protect”, or delete the link if nobody needs it.",
                share.url,
            )
        )
    if share.expiration is None:
        found.append(
            Finding(
                f"public_link_no_expiry:{share.id}",
                "public_link_no_expiry",
                "medium",
                share.id,
                share.path,
                _target(share),
                "Public link that never expires on a sensitive folder",
                "A link made for one occasion stays valid for years, long after the people who "
                "had it left the association.",
                f"In the sharing tab of {share.path}, open the link's ⋯ menu and set an "
                "expiration date.",
                share.url,
            )
        )
    return found


def _outsider(share: ShareInfo, insiders: Insiders) -> str | None:
    """Who, if anyone, receives this share without being a member of a body."""
    target = share.share_with or ""
    if share.share_type == USER and target not in insiders.users:
        return share.share_with_displayname or target
    if share.share_type == EMAIL and target.casefold() not in insiders.emails:
        return target
    if share.share_type == GROUP:
        members = insiders.group_members.get(target)
        if members is not None:
            strangers = sorted(set(members) - insiders.users)
            return f"{target} ({', '.join(strangers)})" if strangers else None
        if (
            normalise(target) not in insiders.body_names
            and normalise(share.share_with_displayname or "") not in insiders.body_names
        ):
            return share.share_with_displayname or target
    return None


def _outside(share: ShareInfo, who: str) -> Finding:
    return Finding(
        f"outside_members:{share.id}",
        "outside_members",
        "medium",
        share.id,
        share.path,
        who,
        f"Shared with {who}, who is not a member of any body",
        "People outside the board keep access to the association's files after they "
        "leave, and nobody reviews what they can read or change.",
        f"In the sharing tab of {share.path}, check that {who} still needs it; remove the share "
        "or reduce it to read-only, or add the person to the members in Quorum.",
        share.url,
    )


def _expiring(share: ShareInfo, days: int) -> Finding:
    return Finding(
        f"expiring_soon:{share.id}",
        "expiring_soon",
        "low",
        share.id,
        share.path,
        _target(share),
        f"Share expiring in {days} days",
        "Whoever relies on this share (a funder reading a dossier, an auditor) will lose "
        "access without warning.",
        f"If it is still needed, extend the expiration date in the sharing tab of {share.path}.",
        share.url,
        days,
    )
