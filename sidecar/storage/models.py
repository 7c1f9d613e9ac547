"""The database schema: the mirror of remote state, configuration, and sync bookkeeping.

Every row that belongs to an association carries ``association_id`` (directly or through its
source), so one Quorum can serve many associations without any seeing another's data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which drops tzinfo) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class Association(Base):
    __tablename__ = "associations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    language: Mapped[str] = mapped_column(String(8), default="fr")
    financial_year_end: Mapped[str] = mapped_column(String(5), default="12-31")  # MM-DD
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # folder conventions, roles
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the alerts cycle must run next (None: at once). Set by a change or a time threshold.
    alerts_due_at: Mapped[datetime | None] = mapped_column(index=True)
    # When the rules were last evaluated (None: never), shown on an empty alerts page.
    alerts_checked_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]  # a federation admin stopped its jobs and alerts
    # How many writes changed what the read models depend on (sidecar.storage.changes).
    inputs_version: Mapped[int] = mapped_column(default=0, server_default="0")


class Source(Base):
    """One Nextcloud (or CalDAV/WebDAV) account."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("association_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    base_url: Mapped[str] = mapped_column(String(500))
    login: Mapped[str] = mapped_column(String(200))
    password_enc: Mapped[bytes] = mapped_column(LargeBinary)
    capabilities: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(32), default="new")
    status_message: Mapped[str | None] = mapped_column(Text)
    retry_after: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    association: Mapped[Association] = relationship()
    collections: Mapped[list[Collection]] = relationship(
        back_populates="source", cascade="all, delete-orphan"
    )


class Collection(Base):
    """One calendar or folder of a source, with its role and its sync cursor."""

    __tablename__ = "collections"
    __table_args__ = (UniqueConstraint("source_id", "kind", "remote_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # "calendar" | "folder"
    remote_path: Mapped[str] = mapped_column(String(1000))
    display_name: Mapped[str] = mapped_column(String(300), default="")
    role: Mapped[str | None] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    components: Mapped[str] = mapped_column(String(64), default="")
    sync_token: Mapped[str | None] = mapped_column(String(500))
    ctag: Mapped[str | None] = mapped_column(String(500))
    etag: Mapped[str | None] = mapped_column(String(200))
    last_synced_at: Mapped[datetime | None]
    expanded_from: Mapped[datetime | None]  # start of the recurrence window last expanded
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)  # etag propagation, last full walk

    source: Mapped[Source] = relationship(back_populates="collections")


class FileRecord(Base):
    """A mirrored file or folder (metadata only)."""

    __tablename__ = "files"
    __table_args__ = (
        UniqueConstraint("collection_id", "path"),
        Index("ix_files_collection_fileid", "collection_id", "fileid"),
        # The documents page: the latest modified files, and when following began.
        Index("ix_files_mtime", "mtime", "path"),
        Index("ix_files_first_seen", "first_seen"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(2000))
    is_folder: Mapped[bool] = mapped_column(Boolean)
    fileid: Mapped[str | None] = mapped_column(String(64))
    etag: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(BigInteger)  # a tree's size passes 2 GiB
    mtime: Mapped[datetime | None]
    content_type: Mapped[str | None] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(200))
    permissions: Mapped[str | None] = mapped_column(String(32))
    share_types: Mapped[list[Any]] = mapped_column(default=list)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_changed: Mapped[datetime] = mapped_column(default=utcnow)


class FileChange(Base):
    """What a sync observed happening to a file: the documents' recent-activity log."""

    __tablename__ = "file_changes"
    __table_args__ = (Index("ix_file_changes_collection_at", "collection_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    change: Mapped[str] = mapped_column(String(16))  # added | changed | moved | removed
    path: Mapped[str] = mapped_column(String(2000))
    old_path: Mapped[str | None] = mapped_column(String(2000))
    fileid: Mapped[str | None] = mapped_column(String(64))
    is_folder: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarObjectRecord(Base):
    """A mirrored calendar object resource (its ICS text, bounded in size)."""

    __tablename__ = "calendar_objects"
    __table_args__ = (UniqueConstraint("collection_id", "href"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    href: Mapped[str] = mapped_column(String(1000))
    uid: Mapped[str | None] = mapped_column(String(500), index=True)
    etag: Mapped[str | None] = mapped_column(String(200))
    component: Mapped[str] = mapped_column(String(16), default="VEVENT")
    ics: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)  # why Quorum could not read it, if so
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    occurrences: Mapped[list[Occurrence]] = relationship(
        back_populates="object", cascade="all, delete-orphan", passive_deletes=True
    )


#: An occurrence neither cancelled nor done, and an open task (in SQL, as the partial index
#: and the statements that use it spell it: the planners match the words).
OPEN_OCCURRENCE = "(status IS NULL OR status NOT IN ('CANCELLED', 'COMPLETED'))"
OPEN_TASK = "component = 'VTODO' AND " + OPEN_OCCURRENCE


class Occurrence(Base):
    """One expanded instance of an event or todo, keyed by UID + RECURRENCE-ID."""

    __tablename__ = "occurrences"
    __table_args__ = (
        # An object may hold several UIDs; RECURRENCE-ID alone would merge their instances.
        UniqueConstraint(
            "object_id", "uid", "recurrence_id", name="uq_occurrences_object_uid_recurrence"
        ),
        Index("ix_occurrences_collection_start", "collection_id", "start"),
        # The overview's overdue tasks: a year of a calendar's items holds few open tasks.
        Index(
            "ix_occurrences_open_tasks",
            "collection_id",
            "start",
            postgresql_where=text(OPEN_TASK),
            sqlite_where=text(OPEN_TASK),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("calendar_objects.id", ondelete="CASCADE"))
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(500))
    recurrence_id: Mapped[str] = mapped_column(String(64), default="")
    component: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text, default="")
    start: Mapped[datetime | None]
    end: Mapped[datetime | None]
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    object: Mapped[CalendarObjectRecord] = relationship(back_populates="occurrences")


class SyncJob(Base):
    __tablename__ = "sync_jobs"
    __table_args__ = (UniqueConstraint("association_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    interval_seconds: Mapped[int | None] = mapped_column(Integer)
    cron: Mapped[str | None] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    running_since: Mapped[datetime | None]  # a claim: one job never runs twice at once
    last_lag_seconds: Mapped[float | None] = mapped_column(
        Float
    )  # how late its last due run started (the claim)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    source: Mapped[Source] = relationship()


class SyncRun(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_source_started", "source_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("sync_jobs.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16), default="running")
    error: Mapped[str | None] = mapped_column(Text)
    added: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Lease(Base):
    """A named lease in the database: exactly one scheduler holds ``scheduler`` at a time."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]


class Body(Base):
    """A deliberative body (CA, Bureau, AG...) and its statutory rules."""

    __tablename__ = "bodies"
    __table_args__ = (UniqueConstraint("association_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="custom")  # ca|bureau|ag|age|custom
    notice_days: Mapped[int] = mapped_column(Integer, default=15)
    quorum_first: Mapped[str] = mapped_column(String(16), default="1/2")
    quorum_second: Mapped[str] = mapped_column(String(16), default="0")
    proxies_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    proxy_cap: Mapped[int] = mapped_column(Integer, default=1)
    remote_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    minutes_due_days: Mapped[int] = mapped_column(Integer, default=30)
    match_patterns: Mapped[list[Any]] = mapped_column(default=list)
    folder: Mapped[str | None] = mapped_column(String(1000))

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="body", cascade="all, delete-orphan"
    )


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("association_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    nc_user: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="fr")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Membership(Base):
    __tablename__ = "memberships"

    body_id: Mapped[int] = mapped_column(
        ForeignKey("bodies.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), default="membre")

    body: Mapped[Body] = relationship(back_populates="memberships")
    member: Mapped[Member] = relationship()


class MeetingOverrideRecord(Base):
    """An admin's classification of one occurrence or, with ``recurrence_id`` "", a series."""

    __tablename__ = "meeting_overrides"
    __table_args__ = (UniqueConstraint("association_id", "uid", "recurrence_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(500))
    recurrence_id: Mapped[str] = mapped_column(String(64), default="")
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id", ondelete="SET NULL"))
    not_a_meeting: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MeetingProxyRecord(Base):
    """A proxy (pouvoir) entered by hand for one occurrence of a meeting."""

    __tablename__ = "meeting_proxies"
    __table_args__ = (UniqueConstraint("association_id", "uid", "recurrence_id", "giver"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(500))
    recurrence_id: Mapped[str] = mapped_column(String(64), default="")
    giver: Mapped[str] = mapped_column(String(320))  # e-mail
    holder: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- grants, obligations and feeds (issue 5) -------------------------------------------
# Imported here rather than at the top so this block is appended without touching the rest.
from datetime import date  # noqa: E402

from sqlalchemy import Date  # noqa: E402


class Grant(Base):
    """A grant dossier recorded or confirmed by an admin (amounts in euro cents)."""

    __tablename__ = "grants"
    __table_args__ = (Index("ix_grants_association", "association_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    funder: Mapped[str] = mapped_column(String(200))
    programme: Mapped[str] = mapped_column(String(200), default="")
    year: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="preparing")
    amount_requested_cents: Mapped[int | None] = mapped_column(Integer)
    amount_awarded_cents: Mapped[int | None] = mapped_column(Integer)
    submission_deadline: Mapped[date | None] = mapped_column(Date)
    decision_date: Mapped[date | None] = mapped_column(Date)
    action_start: Mapped[date | None] = mapped_column(Date)
    action_end: Mapped[date | None] = mapped_column(Date)
    report_due: Mapped[date | None] = mapped_column(Date)  # overrides the computed deadline
    folder: Mapped[str | None] = mapped_column(String(1000))
    owner_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GrantAlias(Base):
    """A former address of a recorded grant dossier: the key it had (``f:<folder>``,
    ``e:<funder> <year>``) before it was recorded or corrected, so links to it keep working."""

    __tablename__ = "grant_aliases"

    association_id: Mapped[int] = mapped_column(
        ForeignKey("associations.id", ondelete="CASCADE"), primary_key=True
    )
    old_key: Mapped[str] = mapped_column(String(1100), primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GrantPieceTick(Base):
    """A required piece an admin ticked by hand, with a link to where it is."""

    __tablename__ = "grant_piece_ticks"

    grant_id: Mapped[int] = mapped_column(
        ForeignKey("grants.id", ondelete="CASCADE"), primary_key=True
    )
    piece_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    link: Mapped[str] = mapped_column(String(2000), default="")
    ticked_at: Mapped[datetime] = mapped_column(default=utcnow)


class OfficerChange(Base):
    """A change of officers, to be declared to the préfecture within 3 months."""

    __tablename__ = "officer_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    changed_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    declared_on: Mapped[date | None] = mapped_column(Date)


class FeedToken(Base):
    """A member's secret ICS feed token; only its SHA-256 is stored."""

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class User(Base):
    """Someone who signs in to Quorum: a local account (password) or a Nextcloud user."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("association_id", "login"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    login: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    nc_user: Mapped[str | None] = mapped_column(String(200))  # set for Nextcloud sign-ins
    role: Mapped[str] = mapped_column(String(16), default="member")  # member|officer|admin
    password_hash: Mapped[str | None] = mapped_column(String(300))  # local accounts only
    app_password_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # "act for me" only
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class ApiToken(Base):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[Any]] = mapped_column(default=list)  # "read", "write"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AuditLog(Base):
    """Who did what, when: every admin action and every sign-in."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("associations.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(200))  # login at the time, kept if the user goes
    action: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginAttempt(Base):
    """A failed sign-in, kept for a while so rate limiting holds across workers."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    login: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class UserSession(Base):
    """A signed-in browser session, kept on the server so it can be revoked (sign-out, password
    or role change, deactivation); the cookie carries a random token, this row its SHA-256."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime | None]


class UsedActionLink(Base):
    """A signed alert link that was used: each works once (SHA-256 of the token)."""

    __tablename__ = "used_action_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# --- alerts, deliveries, channels, routing (issue 6) -----------------------------------


class Alert(Base):
    """A condition that held at some point: one row per (association, stable key), for ever.

    ``state`` is open | acknowledged | snoozed | resolved; a resolved alert that holds again
    reopens the same row, so the key stays unique and its history stays in one place.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("association_id", "key", name="uq_alerts_association_key"),
        Index("ix_alerts_association_state", "association_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(500))
    rule: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(500))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="open")
    episode: Mapped[int] = mapped_column(Integer, default=1)  # +1 each time it reopens
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)  # start of this episode
    resolved_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(320))


class Channel(Base):
    """Where alerts go; secrets (SMTP password, webhook or bot secret) encrypted by the Vault."""

    __tablename__ = "alert_channels"
    __table_args__ = (UniqueConstraint("association_id", "name", name="uq_channels_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # email|nextcloud|talk|webhook|calendar|digest
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)  # never secrets
    secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)  # e.g. last digest sent
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoutingRule(Base):
    """Alerts of ``topic`` go to the members holding ``role`` (in body ``body_code`` if set)."""

    __tablename__ = "alert_routes"
    __table_args__ = (Index("ix_alert_routes_association", "association_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32))
    body_code: Mapped[str | None] = mapped_column(String(32))
    escalation: Mapped[bool] = mapped_column(Boolean, default=False)


class Delivery(Base):
    """The outbox and delivery log: one row per alert, channel, recipient and kind of message.

    The unique constraint is what makes a send happen once: reconciling inserts the row, and
    a sender claims it with a conditional UPDATE before talking to any server.
    """

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "channel_id", "recipient", "kind", name="uq_deliveries_once"),
        Index("ix_alert_deliveries_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("alert_channels.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(320))  # e-mail, or "" for a shared channel
    kind: Mapped[str] = mapped_column(String(32))  # opened | escalated | resolved
    language: Mapped[str] = mapped_column(String(8), default="fr")
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))  # host:pid:random of the sender
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    ref: Mapped[dict[str, Any]] = mapped_column(default=dict)  # e.g. the VTODO href and ETag
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShareAudit(Base):
    """The last sharing audit of an association, so rules and pages need no OCS round trip.

    ``findings``, ``at``, ``share_count``, ``expires`` and ``notes`` come from the last audit that
    worked (``notes``: what it could only check partly); a failed audit only sets ``error`` and
    ``attempted_at``, so the findings it could not refresh stay as they were.
    """

    __tablename__ = "share_audits"

    association_id: Mapped[int] = mapped_column(
        ForeignKey("associations.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[datetime | None]  # when the findings below were read; None: never succeeded
    findings: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[str | None] = mapped_column(Text)  # the last attempt's error, None when it worked
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    share_count: Mapped[int | None]  # shares read by the audit behind ``findings``
    expires: Mapped[dict[str, Any]] = mapped_column(default=dict)  # share id → ISO expiry day
    notes: Mapped[list[Any]] = mapped_column(default=list)  # partial problems of that audit


# --- read models: derived from the mirror and the settings, rebuilt when they change --------


class ReadModelState(Base):
    """What the stored read models of an association were built from (a fingerprint of the
    mirror's cursors and the settings they depend on), and when."""

    __tablename__ = "read_model_states"

    association_id: Mapped[int] = mapped_column(
        ForeignKey("associations.id", ondelete="CASCADE"), primary_key=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Seconds the longest stored meeting lasts (None: none, or not known): windows of
    # meetings still to end scan the starts from that long before.
    longest_meeting: Mapped[int | None]


class MeetingRow(Base):
    """One calendar occurrence classified as a body's meeting, with what its readiness is made of
    (the clock-dependent state is computed when read)."""

    __tablename__ = "read_meetings"
    __table_args__ = (
        Index("ix_read_meetings_association_start", "association_id", "start"),
        Index("ix_read_meetings_association_end", "association_id", "end"),
    )

    occurrence_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    body_id: Mapped[int] = mapped_column(Integer)
    body_code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text, default="")
    start: Mapped[datetime]
    end: Mapped[datetime]
    day: Mapped[date] = mapped_column(Date)
    original_day: Mapped[date | None] = mapped_column(Date)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    uid: Mapped[str] = mapped_column(Text, default="")
    recurrence_id: Mapped[str] = mapped_column(Text, default="")
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    # What a list shows of its readiness, the clock and hand-entered proxies aside
    # (see sidecar.services.read_models.glance).
    glance: Mapped[dict[str, Any]] = mapped_column(JSON)


class MeetingFileRow(Base):
    """A mirrored file that belongs to a meeting (the folder convention, see projection)."""

    __tablename__ = "read_meeting_files"
    __table_args__ = (Index("ix_read_meeting_files_file", "association_id", "file_id"),)

    occurrence_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    file_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))


# --- minutes register, actions from the minutes, officer handover (issue 18) -------------


class MinutesCheck(Base):
    """The last reading of one PV file: its fields and findings, for the version ``etag``."""

    __tablename__ = "minutes_checks"
    __table_args__ = (UniqueConstraint("association_id", "path", name="uq_minutes_checks_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(2000))
    fileid: Mapped[str | None] = mapped_column(String(64))
    etag: Mapped[str | None] = mapped_column(String(200))
    sha256: Mapped[str | None] = mapped_column(String(64))
    meeting_uid: Mapped[str] = mapped_column(String(500))
    recurrence_id: Mapped[str] = mapped_column(String(64), default="")
    meeting_day: Mapped[date] = mapped_column(Date)
    body_code: Mapped[str] = mapped_column(String(32))
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    findings: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[str | None] = mapped_column(Text)  # why the file could not be read, if so
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


class RegisterEntryRecord(Base):
    """One approved PV version in the append-only register, chained to the previous entry.

    Rows are only ever inserted: database triggers refuse any UPDATE or DELETE (migration 0016),
    and an association with a register cannot be deleted. ``entry_hash`` covers every other
    column, so an edit made around the triggers shows when the chain is verified, and
    :class:`RegisterHead` shows a removed tail.
    """

    __tablename__ = "minutes_register"
    __table_args__ = (UniqueConstraint("association_id", "seq", name="uq_minutes_register_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="RESTRICT"))
    seq: Mapped[int] = mapped_column(Integer)
    meeting_uid: Mapped[str] = mapped_column(String(500))
    meeting_day: Mapped[str] = mapped_column(String(10))
    body_code: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(String(2000))
    fileid: Mapped[str] = mapped_column(String(64))
    etag: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    approved_by: Mapped[str] = mapped_column(String(200))
    approved_via: Mapped[str] = mapped_column(String(16))  # officer | signed_pdf
    approved_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class RegisterHead(Base):
    """The last entry of an association's register (seq and hash), written in the same
    transaction as each entry; triggers let it move forward by one entry only."""

    __tablename__ = "register_heads"

    association_id: Mapped[int] = mapped_column(
        ForeignKey("associations.id", ondelete="RESTRICT"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))


class MinutesAction(Base):
    """An action read from a PV and the VTODO Quorum wrote for it (status read back on sync)."""

    __tablename__ = "minutes_actions"
    __table_args__ = (
        UniqueConstraint(
            "association_id", "meeting_uid", "recurrence_id", "key", name="uq_minutes_actions_key"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    meeting_uid: Mapped[str] = mapped_column(String(500))
    recurrence_id: Mapped[str] = mapped_column(String(64), default="")
    meeting_day: Mapped[date] = mapped_column(Date)
    body_code: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(24))
    path: Mapped[str] = mapped_column(String(2000))  # the PV it was read from
    owner: Mapped[str] = mapped_column(String(200))
    owner_email: Mapped[str | None] = mapped_column(String(320))
    title: Mapped[str] = mapped_column(Text)
    due: Mapped[date | None] = mapped_column(Date)
    todo_uid: Mapped[str] = mapped_column(String(100))
    todo_href: Mapped[str | None] = mapped_column(String(1000))
    todo_etag: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32), default="NEEDS-ACTION")
    completed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)  # why the VTODO could not be written
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The Deck card mirroring the task, when the association chose a board (minutes.deck_board)
    deck_board_id: Mapped[int | None]
    deck_stack_id: Mapped[int | None]
    deck_card_id: Mapped[int | None]
    deck_done_at: Mapped[datetime | None]  # marked done (or archived) in Deck, as last read
    deck_error: Mapped[str | None] = mapped_column(Text)  # why the card is not there (retried)


class Handover(Base):
    """An officer's handover: what a departing member held, to transfer to someone else."""

    __tablename__ = "handovers"
    __table_args__ = (Index("ix_handovers_association", "association_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    member_name: Mapped[str] = mapped_column(String(200))
    member_email: Mapped[str] = mapped_column(String(320))
    nc_user: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[list[Any]] = mapped_column(default=list)  # the seats they left
    reason: Mapped[str] = mapped_column(String(32), default="seat_change")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    # when the member's account was first seen deactivated (the overdue alert counts from it)
    deactivated_at: Mapped[datetime | None]

    items: Mapped[list[HandoverItem]] = relationship(
        back_populates="handover", cascade="all, delete-orphan", order_by="HandoverItem.id"
    )


class SeatSnapshot(Base):
    """The roster as the last handover check saw it (email → seats), to tell who left a seat."""

    __tablename__ = "seat_snapshots"

    association_id: Mapped[int] = mapped_column(
        ForeignKey("associations.id", ondelete="CASCADE"), primary_key=True
    )
    seats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)


class HandoverItem(Base):
    """One thing to transfer: a dossier, a deadline, a share, a folder, a route, a token."""

    __tablename__ = "handover_items"
    __table_args__ = (UniqueConstraint("handover_id", "kind", "ref", name="uq_handover_items_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    handover_id: Mapped[int] = mapped_column(ForeignKey("handovers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(500))
    label: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(200))
    done_how: Mapped[str | None] = mapped_column(String(16))  # marked | gone (no longer held)
    # the last inventory still found it with the member (ticked by hand or not)
    held: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    handover: Mapped[Handover] = relationship(back_populates="items")
