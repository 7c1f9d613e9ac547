"""What an alert says, in French and English: share findings worded by kind (never the audit's
English), plural forms that agree with their count, and an action for every problem."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from sidecar.alerts import messages
from sidecar.projection.shares import LINK, USER, Insiders, ShareInfo, audit
from sidecar.rules.grants import share_rules

TODAY = date(2026, 11, 26)
ENGLISH = re.compile(r"\b(Shared|with|who|is|not|member|sharing|tab|of|the|link|days?)\b")


def _share(share_id: str, share_type: int, path: str, **extra: object) -> ShareInfo:
    values: dict[str, object] = {
        "id": share_id,
        "share_type": share_type,
        "path": path,
        "item_type": "folder",
        "owner": "alice",
        "share_with": None,
        "share_with_displayname": None,
        "permissions": 1,
        "has_password": False,
        "expiration": None,
    }
    return ShareInfo(**(values | extra))  # type: ignore[arg-type]


def _share_alerts() -> list[tuple[str, dict[str, object]]]:
    """One alert per finding kind: a bare public link on the accounts (no password, no
    expiry), a share with an outsider, and a share that expires in one day."""
    shares = [
        _share("1", LINK, "/Comptabilité"),
        _share("2", USER, "/Communication", share_with="marc", share_with_displayname="Marc"),
        _share(
            "3",
            USER,
            "/Subventions",
            share_with="alice",
            share_with_displayname="Alice",
            expiration=datetime(2026, 11, 27),
        ),
    ]
    findings = audit(shares, Insiders(users=frozenset({"alice"})), ["Comptabilité/"], TODAY)
    assert {f.kind for f in findings} == {
        "public_link_no_password",
        "public_link_no_expiry",
        "outside_members",
        "expiring_soon",
    }
    return [(c.rule, dict(c.params)) for c in share_rules(findings)]


def test_share_alerts_read_in_french_on_the_page_and_in_mails() -> None:
    for rule, params in _share_alerts():
        title, detail = messages.sentence(rule, params, "fr")
        page_title, page_detail = messages.sentence_html(rule, params, "fr")
        mail = messages.render(
            key="k", rule=rule, severity="high", kind="opened", params=params, language="fr",
            links={},
        )  # fmt: skip
        for text in (title, detail, str(page_title), str(page_detail), mail.text):
            words = re.sub(r"<[^>]+>|/\S+", " ", text)  # paths are the user's, not words
            assert not ENGLISH.search(words), text
        assert "Partag" in title or "partag" in title or "Lien public" in title, title
    by_kind = {p["kind"]: messages.sentence(r, p, "fr") for r, p in _share_alerts()}
    assert "Marc" in by_kind["outside_members"][0]
    assert "dans 1 jour" in by_kind["expiring_soon"][0]
    assert "onglet Partage de /Communication" in by_kind["outside_members"][1]


def test_share_alerts_read_in_english_too() -> None:
    by_kind = {p["kind"]: messages.sentence(r, p, "en") for r, p in _share_alerts()}
    assert "Marc" in by_kind["outside_members"][0]
    assert "in 1 day" in by_kind["expiring_soon"][0]
    assert "sharing tab of /Communication" in by_kind["outside_members"][1]


@pytest.mark.parametrize(
    ("rule", "params", "one", "two"),
    [
        (
            "quorum_at_risk",
            {"body": "Bureau", "date": "2027-01-05", "required": 3},
            ("expected", "1 attendu sur"),
            ("expected", "2 attendus sur"),
        ),
        (
            "grant_deadline",
            {"funder": "Ville", "deadline": "2027-01-05", "missing": "RIB"},
            ("days_left", "dans 1 jour,"),
            ("days_left", "dans 2 jours,"),
        ),
        (
            "handover_overdue",
            {"name": "Paul", "days": 40},
            ("count", "1 élément encore détenu par"),
            ("count", "2 éléments encore détenus par"),
        ),
        (
            "sync_failing",
            {"job": "s1", "error": "x"},
            ("failures", "a échoué 1 fois"),
            ("failures", "a échoué 2 fois"),
        ),
    ],
)
def test_alert_titles_agree_with_their_count_in_french(
    rule: str, params: dict[str, object], one: tuple[str, str], two: tuple[str, str]
) -> None:
    for (name, expected), count in ((one, 1), (two, 2)):
        title, _detail = messages.sentence(rule, params | {name: count}, "fr")
        assert expected in title, title
        page = messages.sentence_html(rule, params | {name: count}, "fr")[0]
        assert expected in str(page), page


def test_alert_details_agree_with_their_count_in_french() -> None:
    one = messages.sentence("handover_overdue", {"name": "P", "count": 2, "days": 1}, "fr")[1]
    two = messages.sentence("handover_overdue", {"name": "P", "count": 2, "days": 2}, "fr")[1]
    assert "1 jour " in one or "1 jour)" in one, one
    assert "2 jours" in two, two
    late = messages.sentence("convocation_late", {"required": 1, "notice_days": 0}, "fr")[1]
    assert "1 jour " in late and "1 jours" not in late, late


def test_late_convocation_and_failing_sync_name_the_action() -> None:
    late = messages.sentence(
        "convocation_late", {"body": "CA", "date": "2027-01-05", "required": 15}, "fr"
    )[1]
    assert "reportez" in late.lower() or "reporter" in late.lower(), late
    failing = messages.sentence(
        "sync_failing", {"job": "s1", "source": "nc", "failures": 3, "error": "timeout"}, "fr"
    )[1]
    assert "timeout" in failing and "mot de passe d’application" in failing, failing
    english = messages.sentence(
        "sync_failing", {"job": "s1", "source": "nc", "failures": 3, "error": "timeout"}, "en"
    )[1]
    assert "app password" in english, english
