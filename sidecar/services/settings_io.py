"""The association's own settings as TOML: bodies and their rules, roster, collection roles.

``quorum config export`` writes what :func:`export_settings` returns; ``quorum config import``
applies a file with :func:`import_settings`, validating everything before changing anything:
an unknown key or an unknown value is an error naming it (see
:mod:`sidecar.services.settings_check` and docs/settings.md), never dropped silently, and the
answer says exactly what was imported.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import tomli_w
from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar.errors import ConfigError
from sidecar.services.settings_check import check_document
from sidecar.storage.models import Association, Body, Collection, Member, Membership, Source

# Where tomllib's (English) message says the syntax broke: "(at line 3, column 7)".
_TOML_PLACE = re.compile(r"line (\d+), column (\d+)")

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
    "folder",
)


@dataclass
class ImportReport:
    """Exactly what an import did, for the admin to read."""

    association: list[str] = field(default_factory=list)  # fields and settings keys set
    members_added: list[str] = field(default_factory=list)
    members_updated: list[str] = field(default_factory=list)
    bodies_added: list[str] = field(default_factory=list)
    bodies_updated: list[str] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)  # "source kind path → role"
    collections_absent: list[str] = field(default_factory=list)  # not connected here

    def lines(self) -> list[str]:
        """One line per kind of change, in English (the CLI's language)."""

        def join(items: list[str]) -> str:
            return ", ".join(items) if items else "none"

        found = [
            f"Association: {join(self.association)}.",
            f"Members: {len(self.members_added)} added ({join(self.members_added)}), "
            f"{len(self.members_updated)} updated.",
            f"Bodies: added {join(self.bodies_added)}; updated {join(self.bodies_updated)}.",
            f"Collection roles: {len(self.collections)} set ({join(self.collections)}).",
        ]
        if self.collections_absent:
            found.append(
                "Not applied, no such collection here (add or discover the source first): "
                + join(self.collections_absent)
                + "."
            )
        return found


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
    # TOML has no null: a body without a folder of its own simply has no ``folder`` key
    doc.update({n: getattr(body, n) for n in BODY_FIELDS if getattr(body, n) is not None})
    doc["members"] = [
        {"email": m.member.email, "role": m.role}
        for m in sorted(body.memberships, key=lambda m: m.member.email)
    ]
    return doc


def import_settings(session: Session, association: Association, text: str) -> ImportReport:
    """Apply a TOML document after checking all of it; unknown keys or values raise ConfigError."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        place = _TOML_PLACE.search(str(err))
        line, column = place.groups() if place else ("?", "?")
        raise ConfigError(
            f"The file is not valid TOML: {err}",
            code="config.toml",
            line=line,
            column=column,
            reason=err,
        ) from err
    check_document(doc)
    report = ImportReport()
    _import_association(association, doc.get("association", {}), report)
    members = _import_members(session, association, doc.get("members", []), report)
    _import_bodies(session, association, doc.get("bodies", []), members, report)
    _import_collections(session, association, doc.get("collections", []), report)
    return report


def _import_association(
    association: Association, data: dict[str, Any], report: ImportReport
) -> None:
    for key in ("name", "timezone", "language", "financial_year_end"):
        if key in data:
            setattr(association, key, str(data[key]))
            report.association.append(key)
    if "settings" in data:
        association.settings = dict(data["settings"])
        report.association += [f"settings.{key}" for key in sorted(data["settings"])]


def _import_members(
    session: Session, association: Association, items: list[dict[str, Any]], report: ImportReport
) -> dict[str, Member]:
    existing = {
        m.email: m
        for m in session.scalars(select(Member).where(Member.association_id == association.id))
    }
    for item in items:
        email = str(item.get("email", "")).strip().lower()
        if "@" not in email:
            raise ConfigError(
                f"Member {item.get('name')!r} needs a valid email.",
                code="config.member_email",
                name=item.get("name") or "",
            )
        known = existing.get(email)
        (report.members_updated if known else report.members_added).append(email)
        member = known or Member(association_id=association.id, email=email)
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
    report: ImportReport,
) -> None:
    existing = {
        b.code: b
        for b in session.scalars(select(Body).where(Body.association_id == association.id))
    }
    for item in items:
        code = str(item.get("code", "")).strip()
        if not code:
            raise ConfigError(
                "Every [[bodies]] entry needs a code (CA, BUREAU, AG...).", code="config.body_code"
            )
        (report.bodies_updated if code in existing else report.bodies_added).append(code)
        body = existing.get(code) or Body(association_id=association.id, code=code)
        for name in BODY_FIELDS:
            if name in item:
                value = item[name]
                if name == "folder":
                    value = str(value).strip().strip("/") or None
                setattr(body, name, value)
        body.memberships = [
            Membership(member=_known(members, ref["email"], code), role=ref.get("role", "membre"))
            for ref in item.get("members", [])
        ]
        session.add(body)
    session.flush()


def _known(members: dict[str, Member], email: str, code: str) -> Member:
    member = members.get(email.strip().lower())
    if member is None:
        raise ConfigError(
            f"Body {code}: {email} is not in [[members]]; add the member first.",
            code="config.body_member",
            body=code,
            email=email,
        )
    return member


def _import_collections(
    session: Session, association: Association, items: list[dict[str, Any]], report: ImportReport
) -> None:
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
        label = f"{item.get('source')} {item.get('kind')} {item.get('path')}"
        if coll is None:
            report.collections_absent.append(label)
            continue
        coll.role = item.get("role") or None
        coll.enabled = bool(item.get("enabled", True)) and coll.role != "ignore"
        report.collections.append(f"{label} → {coll.role or '-'}")
