"""Nextcloud Talk: a message posted by a Talk bot into one conversation.

Talk's bot API (Nextcloud 27.1+) authenticates each request by an HMAC-SHA256 of a random
value and the message, keyed by the secret given at ``occ talk:bot:install``; no account
password is involved. The server's capabilities must list ``spreed`` (Talk installed), which
is checked before the first message. Tested with ``responses`` on the recorded capabilities
answer; no Talk server runs here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from integrations.errors import IntegrationError
from integrations.http import HttpClient
from integrations.ocs import OcsClient
from sidecar.alerts.channels.base import Message, Recipient, TransportError, from_integration

MESSAGE_LIMIT = 32000  # Talk refuses longer chat messages


def bot_signature(secret: str, random: str, message: str) -> str:
    """Talk's bot signature: hex HMAC-SHA256 of ``random + message``."""
    return hmac.new(secret.encode(), (random + message).encode(), hashlib.sha256).hexdigest()


class TalkTransport:
    """``config``: url (the Nextcloud), conversation (the room token); secret: the bot secret."""

    kind = "talk"
    per_person = False
    wants_resolved = False

    def __init__(self, config: Mapping[str, Any], secret: str | None, deadline: float = 30.0):
        self.conversation = str(config.get("conversation") or "")
        self._secret = secret or ""
        # No login: the bot API is authenticated by the signature alone.
        self.http = HttpClient(str(config.get("url") or ""), "", "", deadline=deadline)
        self._checked = False

    def _check_talk(self) -> None:
        try:
            caps = OcsClient(self.http).capabilities()
        except IntegrationError as err:
            raise from_integration(err, "Could not read the Nextcloud capabilities") from err
        if not caps.talk:
            raise TransportError("Nextcloud Talk (spreed) is not installed on this server.")
        self._checked = True

    def send(self, message: Message, recipient: Recipient | None) -> dict[str, Any]:
        if not self._checked:
            self._check_talk()
        text = f"{message.subject}\n{message.link}".strip()[:MESSAGE_LIMIT]
        random = secrets.token_hex(32)
        reference = hashlib.sha256(f"{message.key}/{message.kind}".encode()).hexdigest()
        body = json.dumps({"message": text, "referenceId": reference})
        headers = {
            "OCS-APIRequest": "true",
            "Accept": "application/json",
            "Content-Type": "application/json",
            "X-Nextcloud-Talk-Bot-Random": random,
            "X-Nextcloud-Talk-Bot-Signature": bot_signature(self._secret, random, text),
        }
        path = f"ocs/v2.php/apps/spreed/api/v1/bot/{quote(self.conversation, safe='')}/message"
        try:
            self.http.request("POST", path, headers=headers, body=body, expect=(200, 201))
        except IntegrationError as err:
            raise from_integration(err, "Talk refused the bot message") from err
        return {"reference": reference}

    def close(self) -> None:
        self.http.close()
