"""The association's own settings as TOML: bodies and their rules, roster, collection roles.

``quorum config export`` writes what :func:`export_settings` returns; ``quorum config import``
applies a file with :func:`import_settings`, validating everything before changing anything.
"""

from __future__ import annotations

import tomllib
from typing import Any

import tomli_w
from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar.errors import ConfigError
from sidecar.services.conventions import validated_meeting_folder
from sidecar.storage.models import Association, Body, Collection, Member, Membership, Source

BODY_FIELDS = (
    "name",
    "kind",
    "notice_days",
    "quorum_first",
    "quorum_second",
    "proxies_allowed",
    "proxy_cap",
    "remote_allowed",
    "minutes_due_days",
    "match_patterns",
)


def export_settings(session: Session, association: Association) -> str:
    bodies = session.scalars(
        select(Body).where(Body.association_id == association.id).order_by(Body.id)
    )
    members = session.scalars(
        select(Member).where(Member.association_id == association.id).order_by(Member.id)
    )
    collections = session.execute(
        select(Source.name, Collection)
        .join(Collection, Collection.source_id == Source.id)
        .where(Source.association_id == association.id)
        .order_by(Source.name, Collection.kind, Collection.remote_path)
    )
    doc: dict[str, Any] = {
        "association": {
            "slug": association.slug,
            "name": association.name,
            "timezone": association.timezone,
            "language": association.language,
            "financial_year_end": association.financial_year_end,
            "settings": association.settings or {},
        },
        "members": [_member_doc(m) for m in members],
        "bodies": [_body_doc(b) for b in bodies],
        "collections": [
            {
                "source": name,
                "kind": c.kind,
                "path": c.remote_path,
                "role": c.role or "",
                "enabled": c.enabled,
            }
            for name, c in collections
        ],
    }
    return tomli_w.dumps(doc)


def _member_doc(member: Member) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": member.name, "email": member.email, "language": member.language}
    if member.nc_user:
        doc["nextcloud_user"] = member.nc_user
    return doc


def _body_doc(body: Body) -> dict[str, Any]:
    doc: dict[str, Any] = {"code": body.code}
    doc.update({name: getattr(body, name) for name in BODY_FIELDS})
    doc["members"] = [
        {"email": m.member.email, "role": m.role}
        for m in sorted(body.memberships, key=lambda m: m.member.email)
    ]
    return doc


def import_settings(session: Session, association: Association, text: str) -> dict[str, int]:
    """Apply a TOML document; unknown members in a body or bad values raise ConfigError."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"The file is not valid TOML: {err}") from err
    _import_association(association, doc.get("association", {}))
    members = _import_members(session, association, doc.get("members", []))
    bodies = _import_bodies(session, association, doc.get("bodies", []), members)
    roles = _import_collections(session, association, doc.get("collections", []))
    return {"members": len(members), "bodies": bodies, "collections": roles}


def _import_association(association: Association, data: dict[str, Any]) -> None:
    for key in ("name", "timezone", "language", "financial_year_end"):
        if key in data:
            setattr(association, key, str(data[key]))
    if "settings" in data:
        if not isinstance(data["settings"], dict):
            raise ConfigError("[association.settings] must be a table.")
        if "meeting_folder" in data["settings"]:
            validated_meeting_folder(data["settings"]["meeting_folder"])
        association.settings = data["settings"]


def _import_members(
    session: Session, association: Association, items: list[dict[str, Any]]
) -> dict[str, Member]:
    existing = {
        m.email: m
        for m in session.scalars(select(Member).where(Member.association_id == association.id))
    }
    for item in items:
        email = str(item.get("email", "")).strip().lower()
        if "@" not in email:
            raise ConfigError(f"Member {item.get('name')!r} needs a valid email.")
        member = existing.get(email) or Member(association_id=association.id, email=email)
        member.name = str(item.get("name") or email)
        member.nc_user = item.get("nextcloud_user") or None
        member.language = str(item.get("language", "fr"))
        existing[email] = member
        session.add(member)
    session.flush()
    return existing


def _import_bodies(
    session: Session,
    association: Association,
    items: list[dict[str, Any]],
    members: dict[str, Member],
) -> int:
    existing = {
        b.code: b
        for b in session.scalars(select(Body).where(Body.association_id == association.id))
    }
    for item in items:
        code = str(item.get("code", "")).strip()
        if not code:
            raise ConfigError("Every [[bodies]] entry needs a code (CA, BUREAU, AG...).")
        body = existing.get(code) or Body(association_id=association.id, code=code)
        for name in BODY_FIELDS:
            if name in item:
                setattr(body, name, item[name])
        body.memberships = [
            Membership(member=_known(members, ref["email"], code), role=ref.get("role", "membre"))
            for ref in item.get("members", [])
        ]
        session.add(body)
    session.flush()
    return len(items)


def _known(members: dict[str, Member], email: str, code: str) -> Member:
    member = members.get(email.strip().lower())
    if member is None:
        raise ConfigError(f"Body {code}: {email} is not in [[members]]; add the member first.")
    return member


def _import_collections(
    session: Session, association: Association, items: list[dict[str, Any]]
) -> int:
    count = 0
    for item in items:
        coll = session.scalar(
            select(Collection)
            .join(Source, Collection.source_id == Source.id)
            .where(
                Source.association_id == association.id,
                Source.name == item.get("source"),
                Collection.kind == item.get("kind"),
                Collection.remote_path == item.get("path"),
            )
        )
        if coll is None:
            continue  # a collection of a source not connected here yet
        coll.role = item.get("role") or None
        coll.enabled = bool(item.get("enabled", True))
        count += 1
    return count
