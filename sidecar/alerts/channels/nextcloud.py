"""Nextcloud notification: an OCS admin notification to the recipient's Nextcloud account.

The source's account needs admin rights (Nextcloud only lets admins send these); a 403 or an
OCS refusal therefore disables the channel until an admin fixes the account.
"""

from __future__ import annotations

from typing import Any

from integrations.errors import IntegrationError, OcsError
from integrations.ocs import OcsClient
from sidecar.alerts.channels.base import (
    Message,
    Recipient,
    TransportError,
    from_integration,
    one_line,
)

SHORT_LIMIT = 255  # Nextcloud's subject column


class NextcloudTransport:
    """Sends through one source's :class:`OcsClient` (closed by whoever opened it)."""

    kind = "nextcloud"
    per_person = True
    wants_resolved = False

    def __init__(self, ocs: OcsClient) -> None:
        self.ocs = ocs

    def send(self, message: Message, recipient: Recipient | None) -> dict[str, Any]:
        if recipient is None or not recipient.nc_user:
            raise TransportError(
                "This member has no Nextcloud account in the roster.", recipient_only=True
            )
        long = f"{message.text}\n{message.link}".strip()
        try:
            self.ocs.notify(recipient.nc_user, one_line(message.subject, SHORT_LIMIT), long)
        except OcsError as err:
            if err.statuscode == 404 or err.http_status == 404:
                raise TransportError(
                    f"Nextcloud has no user {recipient.nc_user!r}.", recipient_only=True
                ) from err
            raise from_integration(err, "Nextcloud refused the notification") from err
        except IntegrationError as err:
            raise from_integration(err, "Nextcloud notification failed") from err
        return {"user": recipient.nc_user}

    def close(self) -> None:
        self.ocs.http.close()
