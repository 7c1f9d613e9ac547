"""A source's protocol clients: one HTTP session (one account) shared by files, calendars and OCS.

Here rather than in :mod:`sidecar.services.sources` because the sync, the alerts and the services all
connect to sources, and the sync sits below the services.
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.appapi import AppApiCredentials, AppApiHttpClient
from integrations.caldav import CalendarClient
from integrations.http import HttpClient, OnRequest
from integrations.ocs import OcsClient
from integrations.webdav import FilesClient
from sidecar.errors import QuorumError
from sidecar.security.vault import Vault
from sidecar.storage.models import Source


@dataclass
class Connection:
    """The protocol clients of one source, sharing one HTTP session (one account)."""

    http: HttpClient
    files: FilesClient
    calendars: CalendarClient
    ocs: OcsClient

    def close(self) -> None:
        self.http.close()


def connect(
    source: Source,
    vault: Vault,
    *,
    deadline: float = 60.0,
    on_request: OnRequest | None = None,
    appapi: AppApiCredentials | None = None,
) -> Connection:
    """The protocol clients of ``source``: with its app password, or — for a source added in
    AppAPI mode (``capabilities["appapi_user"]``) — signed with the AppAPI headers as the
    Nextcloud account the admin chose, with no password stored at all.

    ``appapi`` defaults to the AppAPI credentials this process was started with (held by the
    vault beside its keys, read once from the settings).
    """
    acting_as = appapi_user(source)
    http: HttpClient
    if acting_as:
        http = AppApiHttpClient(
            source.base_url, _app_credentials(appapi or vault.appapi), acting_as, deadline=deadline
        )
        http.on_request = on_request
    else:
        http = HttpClient(
            source.base_url,
            source.login,
            vault.decrypt(source.password_enc),
            deadline=deadline,
            on_request=on_request,
        )
    user = str(source.capabilities.get("user_id") or acting_as or source.login)
    return Connection(http, FilesClient(http, user), CalendarClient(http, user), OcsClient(http))


def appapi_user(source: Source) -> str:
    """The Nextcloud user an AppAPI-mode source acts as; "" for an app-password source."""
    found = (source.capabilities or {}).get("appapi_user")
    return found if isinstance(found, str) else ""


def _app_credentials(found: AppApiCredentials | None) -> AppApiCredentials:
    if found is None:
        raise QuorumError(
            "This source reads Nextcloud through AppAPI, but Quorum is not running as a "
            "Nextcloud app here (QUORUM_MODE=appapi with QUORUM_APP_SECRET)."
        )
    return found
