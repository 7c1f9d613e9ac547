"""Webhook: a JSON POST signed with HMAC-SHA256, for Matrix, Mattermost or Slack-style bridges.

The signature covers ``<timestamp>.<body>`` so a captured request cannot be replayed later with
another timestamp: ``X-Quorum-Signature: sha256=<hex>``, ``X-Quorum-Timestamp: <unix seconds>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

import requests

from sidecar.alerts.channels.base import Message, Recipient, TransportError

TIMEOUT = (5.0, 15.0)  # connect, read


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def payload(message: Message) -> dict[str, Any]:
    """The JSON body; ``text`` makes Slack/Mattermost incoming webhooks show it as is."""
    return {
        "key": message.key,
        "kind": message.kind,
        "rule": message.rule,
        "severity": message.severity,
        "subject": message.subject,
        "text": f"{message.subject}\n{message.link}".strip(),
        "link": message.link,
        "data": dict(message.data),
    }


class WebhookTransport:
    """``config``: url; secret: the HMAC key shared with the receiver."""

    kind = "webhook"
    per_person = False
    wants_resolved = True

    def __init__(self, config: Mapping[str, Any], secret: str | None) -> None:
        self.url = str(config.get("url") or "")
        self._secret = secret or ""
        self._session = requests.Session()
        self._session.trust_env = False

    def send(self, message: Message, recipient: Recipient | None) -> dict[str, Any]:
        body = json.dumps(payload(message), ensure_ascii=False, sort_keys=True).encode()
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Quorum-Timestamp": stamp,
            "X-Quorum-Signature": signature(self._secret, stamp, body),
            "X-Quorum-Delivery": message.key,
        }
        try:
            resp = self._session.post(
                self.url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False
            )
        except requests.ReadTimeout:
            # The whole request went out; only the answer is late. Posting it again would
            # deliver it twice (the receiver may dedupe on X-Quorum-Delivery, many do not).
            return {"status": None, "unconfirmed": "sent; the webhook did not answer in time"}
        except requests.RequestException as err:
            raise TransportError(
                f"The webhook could not be reached ({type(err).__name__}).", transient=True
            ) from err
        if resp.status_code >= 500 or resp.status_code == 429:
            raise TransportError(f"The webhook answered {resp.status_code}.", transient=True)
        if resp.status_code >= 300:
            raise TransportError(
                f"The webhook refused the message ({resp.status_code}): check its URL and secret."
            )
        return {"status": resp.status_code}

    def close(self) -> None:
        self._session.close()
