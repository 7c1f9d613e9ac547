"""Plain values of the rules layer: the inputs it reads and the alert conditions it returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sidecar.projection.grants import Dossier
from sidecar.projection.handover import HandoverState
from sidecar.projection.meetings import Meeting
from sidecar.projection.obligations import Obligation
from sidecar.projection.register import FrozenMinutes
from sidecar.projection.shares import Finding

#: Severities, lowest first; a channel or a digest may filter on them.
SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class Audience:
    """Who an alert concerns: a topic routed by role, optionally narrowed to some members.

    ``members`` (e-mails) set means "these people only": an RSVP reminder goes to the member
    who has not answered, never to the whole board.
    """

    topic: str  # meetings | minutes | rsvp | grants | declarations | shares | system
    body_code: str | None = None
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertCondition:
    """A condition that holds now; ``key`` is stable (rule + subject) across runs."""

    key: str
    rule: str
    severity: str
    subject: str
    params: Mapping[str, str]
    audience: Audience


@dataclass(frozen=True)
class SyncHealth:
    """The state of one sync job, as the rules need it (filled by the alerts service)."""

    job: str
    source: str
    paused_reason: str | None
    auth_failed: bool
    failures_in_a_row: int
    last_error: str | None = None


@dataclass(frozen=True)
class UnreadableObject:
    """A calendar object Quorum could not read (``CalendarObjectRecord.error``)."""

    id: int
    calendar: str
    href: str
    error: str


@dataclass(frozen=True)
class RuleInputs:
    """Everything the rules look at, already projected; ``now`` is aware UTC."""

    now: datetime
    meetings: tuple[Meeting, ...] = ()
    dossiers: tuple[Dossier, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    findings: tuple[Finding, ...] = ()
    share_audit_error: str | None = None  # the last sharing audit failed (findings are older)
    sync: tuple[SyncHealth, ...] = ()
    unreadable: tuple[UnreadableObject, ...] = ()
    frozen_minutes: tuple[FrozenMinutes, ...] = ()  # approved PVs and their files now
    handovers: tuple[HandoverState, ...] = ()
