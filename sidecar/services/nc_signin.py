"""Sign in with Nextcloud (Login Flow v2), without Flask.

Quorum starts a flow, the person approves it in Nextcloud, Quorum polls and receives a login and
an app password, checks who that is with ``/ocs/v2.php/cloud/user``, derives the role from the
person's groups, and revokes the app password at once unless the person chose to let Quorum act
for them (then it is kept, encrypted).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.errors import IntegrationError, ProtocolError
from integrations.http import HttpClient
from integrations.ocs import OcsClient
from sidecar.security.vault import Vault
from sidecar.services.accounts import access_settings, sign_in_nextcloud_user
from sidecar.storage.models import Association, Source, User

log = logging.getLogger(__name__)
FLOW_DEADLINE = 30.0


@dataclass(frozen=True)
class Flow:
    """A started Login Flow v2: where and with what to poll, and the page to open."""

    endpoint: str
    token: str
    login_url: str


def nextcloud_url(session: Session, association: Association) -> str | None:
    """The Nextcloud people sign in with: ``[access] nextcloud_url``, else the first source."""
    configured = access_settings(association).get("nextcloud_url")
    if isinstance(configured, str) and configured:
        return configured
    return session.scalar(
        select(Source.base_url).where(Source.association_id == association.id).order_by(Source.id)
    )


def start_flow(base_url: str) -> Flow:
    """``POST /index.php/login/v2``."""
    http = HttpClient(base_url, "", "", deadline=FLOW_DEADLINE)
    try:
        endpoint, token, login_url = OcsClient(http).login_flow_init()
    finally:
        http.close()
    parts, ours = urlsplit(login_url), urlsplit(base_url)
    if parts.scheme not in ("http", "https") or parts.hostname != ours.hostname:
        # Shown as a link: never a javascript: URL or another site's page.
        raise ProtocolError("Nextcloud sent a login page on another server; refusing it.")
    return Flow(endpoint, token, login_url)


def poll_flow(base_url: str, flow: Flow) -> tuple[str, str] | None:
    """(login, app password) once approved, None while pending. The server named in the answer
    is ignored: Quorum keeps talking to the Nextcloud it was configured with."""
    http = HttpClient(base_url, "", "", deadline=FLOW_DEADLINE)
    try:
        found = OcsClient(http).login_flow_poll(flow.endpoint, flow.token)
    finally:
        http.close()
    return None if found is None else (found[1], found[2])


def finish_sign_in(
    session: Session,
    vault: Vault,
    association: Association,
    base_url: str,
    login: str,
    app_password: str,
    *,
    act_for_me: bool,
) -> User:
    """Check the identity, create or refresh the user, then revoke or keep the app password.

    Raises QuorumError when the account is not part of the association (the app password is
    revoked then too) and IntegrationError when Nextcloud refuses the app password.
    """
    http = HttpClient(base_url, login, app_password, deadline=FLOW_DEADLINE)
    keep = False
    try:
        who = OcsClient(http).current_user()
        user = sign_in_nextcloud_user(
            session, association, who.id, who.display_name, who.email, who.groups
        )
        if act_for_me:
            user.app_password_enc = vault.encrypt(app_password)
            keep = True
        return user
    finally:
        if not keep:
            revoke_app_password(http)
        http.close()


def revoke_app_password(http: HttpClient) -> bool:
    """``DELETE /ocs/v2.php/core/apppassword`` with the app password itself; False if refused."""
    try:
        http.request(
            "DELETE",
            "ocs/v2.php/core/apppassword?format=json",
            headers={"OCS-APIRequest": "true", "Accept": "application/json"},
        )
    except IntegrationError as err:
        log.warning("Could not revoke the sign-in app password of %s: %s", http.login, err)
        return False
    return True
