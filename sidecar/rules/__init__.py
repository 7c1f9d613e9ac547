"""Rules: pure functions from the projection, the settings and a clock to alert conditions.

No I/O here (checked by import-linter): :func:`evaluate` takes plain values and returns plain
values, so every rule is tested with a fixed clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sidecar.rules.catalogue import CATALOGUE, RULES, Rule, RuleSettings
from sidecar.rules.grants import grant_rules, obligation_rules, share_rules
from sidecar.rules.meetings import meeting_rules
from sidecar.rules.minutes import handover_rules, register_rules
from sidecar.rules.system import sync_rules, unreadable_rules
from sidecar.rules.types import (
    SEVERITIES,
    AlertCondition,
    Audience,
    RuleInputs,
    SyncHealth,
    UnreadableObject,
)

__all__ = [
    "CATALOGUE",
    "RULES",
    "SEVERITIES",
    "AlertCondition",
    "Audience",
    "Rule",
    "RuleInputs",
    "RuleSettings",
    "SyncHealth",
    "UnreadableObject",
    "evaluate",
]


def evaluate(
    inputs: RuleInputs,
    settings: Mapping[str, Any] | None,
    now: datetime,
    tz: tzinfo | None = None,
) -> list[AlertCondition]:
    """The alerts that should be open at ``now``, one per key, sorted by key."""
    rules = RuleSettings.from_settings(settings)
    today = now.astimezone(tz or ZoneInfo("Europe/Paris")).date()
    found = [
        *meeting_rules(inputs.meetings, rules, now),
        *grant_rules(inputs.dossiers, rules, today),
        *obligation_rules(inputs.obligations, inputs.dossiers),
        *share_rules(inputs.findings, inputs.share_audit_error),
        *sync_rules(inputs.sync, rules),
        *unreadable_rules(inputs.unreadable),
        *register_rules(inputs.frozen_minutes),
        *handover_rules(inputs.handovers, rules, now),
    ]
    unique = {c.key: c for c in found if rules.enabled(c.rule)}
    return [unique[key] for key in sorted(unique)]
