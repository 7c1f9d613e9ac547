"""Officer handover on the synced demo association: the treasurer leaves the board; Quorum lists
the dossier, the deadlines, the shares (a public link among them) and the API token he held,
tracks the checklist, raises an alert while his deactivated account still holds things, and
closes the handover once everything is transferred.

The shares come from Nextcloud's OCS sharing API, which the demo server only answers for the
account's own shares: the answer listing a share *another user* (bernard) made is a hand-written
answer in the documented Nextcloud shape, served with ``responses`` (a Nextcloud-only answer).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import responses
from responses import matchers
from sqlalchemy import select, update

from integrations.http import HttpClient
from integrations.ocs import OcsClient
from sidecar.alerts import service as alerts_service
from sidecar.context import Services
from sidecar.demo.seed import BY_UID
from sidecar.projection.shares import ShareInfo
from sidecar.services import api_tokens, handover
from sidecar.storage.models import (
    Alert,
    ApiToken,
    FileRecord,
    Grant,
    Handover,
    Member,
    Membership,
    RoutingRule,
    User,
)
from tests.fixtures_nc import BASE_URL
from tests.minutes.test_register import association_id

SHARES_URL = BASE_URL + "/ocs/v2.php/apps/files_sharing/api/v1/shares"


def _ocs(data: list[dict[str, object]]) -> str:
    return json.dumps(
        {"ocs": {"meta": {"status": "ok", "statuscode": 200, "message": "OK"}, "data": data}}
    )


def _share(
    share_id: str, owner: str, path: str, share_type: int, **extra: object
) -> dict[str, object]:
    return {
        "id": share_id,
        "share_type": share_type,
        "uid_owner": owner,
        "path": path,
        "item_type": "folder",
        "permissions": 1,
        "password": None,
        "expiration": None,
        "share_with": None,
        "share_with_displayname": None,
        "label": None,
        **extra,
    }


def _read_shares() -> list[ShareInfo]:
    with responses.RequestsMock() as rsps:
        own = [_share("30", "alice", "/Comptabilité", 3, token="x")]
        theirs = [
            _share("41", "bernard", "/Trésorerie", 1, share_with="CA", share_with_displayname="CA"),
            _share(
                "42", "bernard", "/Trésorerie/Justificatifs", 3, token="y", label="Expert-comptable"
            ),
        ]
        rsps.get(
            SHARES_URL, body=_ocs(own), match=[matchers.query_param_matcher({"format": "json"})]
        )
        rsps.get(
            SHARES_URL,
            body=_ocs(theirs),
            match=[matchers.query_param_matcher({"shared_with_me": "true", "format": "json"})],
        )
        return handover.read_shares(OcsClient(HttpClient(BASE_URL, "alice", "app-password")))


def test_a_departing_treasurer_hands_over_dossiers_shares_and_tokens(
    fresh_synced: tuple[Services, int],
) -> None:
    services, _source_id = fresh_synced
    aid = association_id(services)
    now = datetime.now(UTC)
    email = BY_UID["bernard"].email
    with services.db.session() as session:
        bernard = session.scalars(select(Member).where(Member.email == email)).one()
        grant = Grant(association_id=aid, funder="Ville de Lyon", programme="Jardins", year=date.today().year + 1,
                      owner_member_id=bernard.id, confirmed=True, submission_deadline=date.today() + timedelta(days=12))  # fmt: skip
        user = User(
            association_id=aid, login="bernard", nc_user="bernard", email=email, role="officer"
        )
        session.add_all(
            [grant, user, RoutingRule(association_id=aid, topic="grants", role="trésorier")]
        )
        session.flush()
        api_tokens.create_token(session, user, "tableur de trésorerie", ("read",))
        # a folder bernard's own account owns, shared into the source account's tree
        # (WebDAV oc:owner-id): the folder and everything below it are his
        session.execute(
            update(FileRecord)
            .where(FileRecord.path.startswith("/Comptabilité/"))
            .values(owner="bernard")
        )
        assert handover.detect(session, aid, now) == []  # the first look only takes a snapshot

    shares = _read_shares()
    with services.db.session() as session:  # the treasurer leaves the board
        bernard = session.scalars(select(Member).where(Member.email == email)).one()
        for membership in session.scalars(
            select(Membership).where(Membership.member_id == bernard.id)
        ):
            session.delete(membership)
        bernard.active = False
        session.flush()
        [opened] = handover.detect(session, aid, now, shares=shares)
        assert opened.member_name == BY_UID["bernard"].name
        assert opened.roles == ["AG:trésorier", "BUREAU:trésorier", "CA:trésorier"]
        items = {(i.kind, i.label) for i in opened.items}
        handover_id = opened.id
    assert items == {
        ("dossier", f"Ville de Lyon Jardins {date.today().year + 1}"),
        ("share", "/Trésorerie"),
        ("public_link", "/Trésorerie/Justificatifs"),
        ("alert_route", "grants → trésorier"),
        ("api_token", "tableur de trésorerie"),
        ("folder", "/Comptabilité/"),  # its subfolders go with it
    }

    # still held by a deactivated account after 30 days: one alert
    later = now + timedelta(days=31)
    alerts_service.reconcile_association(services, aid, now)
    alerts_service.reconcile_association(services, aid, later)
    with services.db.session() as session:
        [alert] = session.scalars(select(Alert).where(Alert.rule == "handover_overdue")).all()
        assert alert.state == "open" and alert.params["count"] == "6"

    # the transfers: a new owner for the dossier, the token revoked, the rest marked by hand
    with services.db.session() as session:
        alice = session.scalars(select(Member).where(Member.email == BY_UID["alice"].email)).one()
        session.scalars(select(Grant)).one().owner_member_id = alice.id
        token = session.scalars(select(ApiToken).where(ApiToken.name == "tableur de trésorerie"))
        api_tokens.revoke_token(session, aid, token.one().id)
        handover.detect(session, aid, later, shares=shares)
        row = session.get(Handover, handover_id)
        assert row is not None and row.closed_at is None
        gone = {i.kind for i in row.items if i.done_how == "gone"}
        assert gone == {"dossier", "api_token"}
        for item in [i for i in row.items if i.done_at is None]:
            handover.mark_done(session, aid, handover_id, item.id, "alice", later)
        # ticked by hand, but bernard's account still holds them: still held, still open
        assert row.closed_at is None
        held = {i.kind for i in row.items if i.held}
        assert held == {"share", "public_link", "folder", "alert_route"}
        assert all(i.done_how == "marked" for i in row.items if i.held)
        handover.detect(session, aid, later, shares=shares)  # the next look finds them again
        assert row.closed_at is None and {i.kind for i in row.items if i.held} == held
    alerts_service.reconcile_association(services, aid, later + timedelta(minutes=1))
    with services.db.session() as session:
        [alert] = session.scalars(select(Alert).where(Alert.rule == "handover_overdue")).all()
        assert alert.state == "open" and alert.params["count"] == "4"

    # the real transfers: alice owns the shares and the folder, the route goes to the board
    with services.db.session() as session:
        transferred = [replace(s, owner="alice") if s.owner == "bernard" else s for s in shares]
        session.execute(
            update(FileRecord)
            .where(FileRecord.path.startswith("/Comptabilité/"))
            .values(owner="alice")
        )
        session.execute(update(RoutingRule).values(role="président"))
        handover.detect(session, aid, later, shares=transferred)
        row = session.get(Handover, handover_id)
        assert row is not None and row.closed_at is not None
        assert not any(i.held for i in row.items)
        assert {i.kind for i in row.items if i.done_how == "marked"} == held  # the ticks stand
    alerts_service.reconcile_association(services, aid, later + timedelta(minutes=2))
    with services.db.session() as session:
        [alert] = session.scalars(select(Alert).where(Alert.rule == "handover_overdue")).all()
        assert alert.state == "resolved"


def test_the_overdue_alert_counts_from_the_deactivation(
    fresh_synced: tuple[Services, int],
) -> None:
    """Bernard leaves the board on day 0 but keeps his account; it is deactivated on day 20. The
    alert waits N (30) days from the deactivation, not from the handover's start."""
    services, _source_id = fresh_synced
    aid = association_id(services)
    start = datetime.now(UTC)
    email = BY_UID["bernard"].email
    with services.db.session() as session:
        bernard = session.scalars(select(Member).where(Member.email == email)).one()
        session.add(Grant(association_id=aid, funder="Région", programme="Vie associative",
                          year=date.today().year + 1, owner_member_id=bernard.id, confirmed=True))  # fmt: skip
        handover.detect(session, aid, start)  # the snapshot
    with services.db.session() as session:
        bernard = session.scalars(select(Member).where(Member.email == email)).one()
        for membership in session.scalars(
            select(Membership).where(Membership.member_id == bernard.id)
        ):
            session.delete(membership)
        session.flush()
        [opened] = handover.detect(session, aid, start, shares=[])
        handover_id = opened.id
        assert opened.deactivated_at is None  # still active
    deactivation = start + timedelta(days=20)
    with services.db.session() as session:
        session.execute(update(Member).where(Member.email == email).values(active=False))
        handover.detect(session, aid, deactivation, shares=[])
        row = session.get(Handover, handover_id)
        assert row is not None and row.deactivated_at == deactivation

    def overdue(at: datetime) -> list[Alert]:
        alerts_service.reconcile_association(services, aid, at)
        with services.db.session() as session:
            rows = list(session.scalars(select(Alert).where(Alert.rule == "handover_overdue")))
            session.expunge_all()
        return [a for a in rows if a.state == "open"]

    assert overdue(start + timedelta(days=31)) == []  # 31 days after the start, 11 after
    [alert] = overdue(deactivation + timedelta(days=31))
    assert alert.params["days"] == "31" and alert.params["count"] == "1"
