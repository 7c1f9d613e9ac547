"""AppAPI mode: the Quorum account of the Nextcloud user a signed request acts for.

Inside Nextcloud there is no second sign-in: AppAPI names the user in each request it signs
(``g.nextcloud_user``). The first time Quorum sees that user it asks Nextcloud, as that user,
who they are and which groups they belong to (``/ocs/v2.php/cloud/user``), and creates the
account in the install's association with the role the association's group mapping gives —
the same mapping, through the same function, as "Sign in with Nextcloud". The role is looked
up again after :data:`REFRESH`, so a change of groups in Nextcloud reaches Quorum.

No Flask here: :mod:`sidecar.web.auth` calls :func:`account_for` inside its transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from integrations.types import NcUser
from sidecar.appapi.mode import app_association, ocs_for
from sidecar.config import Settings
from sidecar.errors import QuorumError
from sidecar.services.accounts import find_nextcloud_user, sign_in_nextcloud_user
from sidecar.storage.models import User

REFRESH = timedelta(minutes=15)
Lookup = Callable[[str], NcUser]


def account_for(
    session: Session, nc_user: str, lookup: Lookup, *, now: datetime, association: str = ""
) -> User:
    """The active Quorum user for Nextcloud user ``nc_user``, created or refreshed as needed,
    in the association the app serves (slug ``association``, else the only one).

    Raises QuorumError when the account was deactivated, belongs to nobody in the
    association's mapping, or when Nextcloud answers for someone else.
    """
    if not nc_user:
        raise QuorumError("This request comes from Nextcloud itself, not from one of its users.")
    found = app_association(session, association, create=True)
    user = find_nextcloud_user(session, found.id, nc_user)
    if user is not None and not user.active:
        raise QuorumError(
            "This account was deactivated by an admin of the association.", code="user.deactivated"
        )
    if user is not None and _fresh(user, now):
        return user
    who = lookup(nc_user)
    if who.id != nc_user:
        raise QuorumError(f"Nextcloud answered for {who.id!r} instead of {nc_user!r}.")
    user = sign_in_nextcloud_user(session, found, who.id, who.display_name, who.email, who.groups)
    user.last_login_at = now  # the clock of the freshness check
    return user


def _fresh(user: User, now: datetime) -> bool:
    seen = user.last_login_at
    if seen is None:
        return False
    seen = seen if seen.tzinfo else seen.replace(tzinfo=UTC)
    return now - seen < REFRESH


def nextcloud_lookup(settings: Settings) -> Lookup:
    """Ask the registering Nextcloud, as the user, who they are (AppAPI-signed request)."""

    def lookup(nc_user: str) -> NcUser:
        ocs = ocs_for(settings, nc_user)
        try:
            return ocs.current_user()
        finally:
            ocs.http.close()

    return lookup
