"""E-mail over SMTP (text and HTML parts), with a timeout and STARTTLS or TLS.

Headers are built by :class:`email.message.EmailMessage` from one-line values, so a calendar
summary holding "\\r\\nBcc: …" can never add a header.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from sidecar.alerts.channels.base import Message, Recipient, TransportError, one_line

TIMEOUT = 20.0
# Codes that say "this mailbox", not "this server": the channel stays enabled.
_RECIPIENT_CODES = (550, 551, 553)


class EmailTransport:
    """``config``: host, port, security (starttls | tls | none), username, sender."""

    kind = "email"
    per_person = True
    wants_resolved = False

    def __init__(self, config: Mapping[str, Any], password: str | None) -> None:
        self.host = str(config.get("host", "localhost"))
        self.port = int(config.get("port", 587))
        self.security = str(config.get("security", "starttls"))
        self.username = str(config.get("username") or "")
        self.sender = one_line(str(config.get("sender") or "quorum@localhost"))
        self._password = password

    def send(self, message: Message, recipient: Recipient | None) -> dict[str, Any]:
        if recipient is None or "@" not in recipient.email:
            raise TransportError("No e-mail address for this recipient.", recipient_only=True)
        mail = build(message, self.sender, recipient)
        try:
            with self._connect() as smtp:
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as err:
            raise TransportError(
                f"The mail server refused {recipient.email}.", recipient_only=True
            ) from err
        except smtplib.SMTPAuthenticationError as err:
            raise TransportError(
                "The mail server refused the login: check the SMTP user and password."
            ) from err
        except smtplib.SMTPResponseException as err:
            raise _classified(err) from err
        except (OSError, smtplib.SMTPException) as err:
            raise TransportError(
                f"Could not reach the mail server {self.host}:{self.port} ({type(err).__name__}).",
                transient=True,
            ) from err
        return {"message_id": mail["Message-ID"]}

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
            if self.security == "starttls":
                smtp.starttls(context=context)
        try:
            if self.username:
                smtp.login(self.username, self._password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        """Nothing pooled: one SMTP connection per message keeps failures independent."""


def _classified(err: smtplib.SMTPResponseException) -> TransportError:
    if err.smtp_code in _RECIPIENT_CODES:
        return TransportError(
            f"The mail server refused the recipient ({err.smtp_code}).", recipient_only=True
        )
    return TransportError(
        f"The mail server answered {err.smtp_code}.", transient=400 <= err.smtp_code < 500
    )


def build(message: Message, sender: str, recipient: Recipient) -> EmailMessage:
    """The MIME message: text first, HTML as the alternative."""
    mail = EmailMessage()
    mail["Subject"] = one_line(message.subject)
    mail["From"] = sender
    mail["To"] = formataddr((one_line(recipient.name), one_line(recipient.email)))
    mail["Message-ID"] = make_msgid(domain="quorum.invalid")
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    mail["X-Quorum-Alert"] = one_line(message.key)
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail
