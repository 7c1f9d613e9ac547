"""Channels against real or recorded servers: SMTP (aiosmtpd), Nextcloud notifications and
capabilities (recorded answers via ``responses``), a Talk bot and a webhook (``responses``)."""

from __future__ import annotations

import hashlib
import hmac
import json
from email.header import decode_header, make_header
from urllib.parse import parse_qs

import pytest
import responses

from integrations.http import HttpClient
from integrations.ocs import OcsClient
from sidecar.alerts import links, messages
from sidecar.alerts.channels import Message, Recipient, TransportError
from sidecar.alerts.channels.email import EmailTransport
from sidecar.alerts.channels.nextcloud import NextcloudTransport
from sidecar.alerts.channels.talk import TalkTransport, bot_signature
from sidecar.alerts.channels.webhook import WebhookTransport, signature
from tests.alerts.conftest import Smtp, part
from tests.fixtures_nc import BASE_URL, add_fixture, load_fixture

SECRET = "link-secret"
PARAMS = {"body": "Conseil d'administration", "date": "2026-12-05", "folder": "CA/2026-12-05/"}


def message(language: str, params: dict[str, str] | None = None) -> Message:
    return messages.render(
        key="agenda_missing:ca-1@2026-12-05",
        rule="agenda_missing",
        severity="medium",
        kind="opened",
        params=params or PARAMS,
        language=language,
        links=links.links("https://quorum.example", SECRET, 7, "anne@example.org"),
    )


def header(value: str) -> str:
    return str(make_header(decode_header(value)))


def test_email_in_french_and_english_with_text_html_and_signed_links(smtp: Smtp) -> None:
    transport = EmailTransport(smtp.config(), None)
    transport.send(message("fr"), Recipient("anne@example.org", "Anne", "fr"))
    transport.send(message("en"), Recipient("clara@example.org", "Clara", "en"))
    [fr] = smtp.inbox.to("anne@example.org")
    [en] = smtp.inbox.to("clara@example.org")
    assert (
        header(fr["Subject"])
        == "Ordre du jour manquant : Conseil d'administration du 5 décembre 2026"
    )
    assert (
        header(en["Subject"]) == "Agenda missing for Conseil d'administration on December 5, 2026"
    )
    assert "CA/2026-12-05/" in part(fr, "plain") and "<h2" in part(fr, "html")
    token = part(en, "plain").split("/alerts/act/")[1].split()[0]
    action = links.verify(SECRET, token)
    assert action is not None and action.alert_id == 7 and action.by == "anne@example.org"
    assert links.verify("another secret", token) is None


def test_no_header_injection_from_a_calendar_summary(smtp: Smtp) -> None:
    hostile = dict(PARAMS, body="CA\r\nBcc: victim@example.org\r\nX-Evil: 1")
    EmailTransport(smtp.config(), None).send(
        message("en", hostile), Recipient("anne@example.org", "Anne\r\nBcc: x@y", "en")
    )
    assert [rcpt for rcpt, _ in smtp.inbox.messages] == ["anne@example.org"]
    [received] = smtp.inbox.to("anne@example.org")
    assert received["X-Evil"] is None and received["Bcc"] is None
    assert "Bcc: victim" in header(received["Subject"])  # kept as text, on one line


def test_an_unreachable_mail_server_is_transient_a_missing_address_is_per_recipient() -> None:
    config = {"host": "127.0.0.1", "port": 9, "security": "none"}
    with pytest.raises(TransportError) as err:
        EmailTransport(config, None).send(message("en"), Recipient("anne@example.org"))
    assert err.value.transient
    with pytest.raises(TransportError) as err:
        EmailTransport(config, None).send(message("en"), Recipient("no-address"))
    assert err.value.recipient_only and not err.value.transient


@responses.activate
def test_nextcloud_notification_on_the_recorded_answer() -> None:
    add_fixture(responses.mock, "69")
    http = HttpClient(BASE_URL, "admin", "app-password", deadline=10)
    transport = NextcloudTransport(OcsClient(http))
    try:
        ref = transport.send(message("fr"), Recipient("alice@example.org", "Alice", "fr", "alice"))
    finally:
        transport.close()
    assert ref == {"user": "alice"}
    body = responses.calls[0].request.body
    sent = parse_qs(body.decode() if isinstance(body, bytes) else str(body))
    assert sent["shortMessage"] == [
        "Ordre du jour manquant : Conseil d'administration du 5 décembre 2026"
    ]
    assert "https://quorum.example/alerts/" in sent["longMessage"][0]
    assert responses.calls[0].request.headers["OCS-APIRequest"] == "true"


@responses.activate
def test_nextcloud_notification_needs_a_nextcloud_account() -> None:
    transport = NextcloudTransport(OcsClient(HttpClient(BASE_URL, "admin", "pw", deadline=10)))
    with pytest.raises(TransportError) as err:
        transport.send(message("fr"), Recipient("x@example.org"))
    transport.close()
    assert err.value.recipient_only
    assert len(responses.calls) == 0


@responses.activate
def test_talk_bot_message_is_signed_after_checking_spreed_in_the_capabilities() -> None:
    # The recorded server has no Talk: the same answer with a ``spreed`` capability added.
    recorded = json.loads(load_fixture("14")["response"]["body"])
    recorded["ocs"]["data"]["capabilities"]["spreed"] = {"features": ["bots-v1"]}
    responses.add("GET", f"{BASE_URL}/ocs/v2.php/cloud/capabilities", json=recorded)
    responses.add(
        "POST",
        f"{BASE_URL}/ocs/v2.php/apps/spreed/api/v1/bot/abc123/message",
        status=201,
        json={"ocs": {"meta": {"status": "ok", "statuscode": 201}, "data": []}},
    )
    transport = TalkTransport({"url": BASE_URL, "conversation": "abc123"}, "bot-secret")
    try:
        transport.send(message("fr"), None)
    finally:
        transport.close()
    post = responses.calls[-1].request
    sent = json.loads(post.body.decode() if isinstance(post.body, bytes) else str(post.body))
    random = post.headers["X-Nextcloud-Talk-Bot-Random"]
    expected = hmac.new(b"bot-secret", (random + sent["message"]).encode(), hashlib.sha256)
    assert post.headers["X-Nextcloud-Talk-Bot-Signature"] == expected.hexdigest()
    assert bot_signature("bot-secret", random, sent["message"]) == expected.hexdigest()
    assert "Authorization" not in post.headers  # the bot API needs no account password
    assert sent["message"].startswith("Ordre du jour manquant")


@responses.activate
def test_talk_refuses_a_server_without_spreed() -> None:
    add_fixture(responses.mock, "14")  # recorded: Nextcloud 29 without Talk
    transport = TalkTransport({"url": BASE_URL, "conversation": "abc123"}, "bot-secret")
    with pytest.raises(TransportError, match="spreed") as err:
        transport.send(message("fr"), None)
    transport.close()
    assert not err.value.transient
    assert not any("/bot/" in str(call.request.url) for call in responses.calls)


@responses.activate
def test_webhook_json_is_hmac_signed_and_errors_are_classified() -> None:
    url = "https://hooks.example/quorum"
    responses.add("POST", url, status=200)
    responses.add("POST", url, status=503)
    responses.add("POST", url, status=403)
    transport = WebhookTransport({"url": url}, "hook-secret")
    transport.send(message("en"), None)
    request = responses.calls[0].request
    body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
    stamp = request.headers["X-Quorum-Timestamp"]
    assert request.headers["X-Quorum-Signature"] == signature("hook-secret", stamp, body)
    assert json.loads(body)["key"] == "agenda_missing:ca-1@2026-12-05"
    with pytest.raises(TransportError) as err:
        transport.send(message("en"), None)
    assert err.value.transient
    with pytest.raises(TransportError) as err:
        transport.send(message("en"), None)
    assert not err.value.transient
    transport.close()
