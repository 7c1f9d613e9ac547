"""The catalogue of rules: stable names, default severity, topic and admin-changeable thresholds.

Thresholds live in the association's settings under ``alerts.thresholds`` (a flat mapping of
``<rule>.<name>`` to an integer or a list of integers); anything absent or unreadable falls
back to the defaults below, so a typo in the settings never silences an alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Rule:
    """One rule of the catalogue."""

    name: str
    severity: str
    topic: str
    description: str
    thresholds: Mapping[str, int | tuple[int, ...]] = field(default_factory=dict)


CATALOGUE: tuple[Rule, ...] = (
    Rule("convocation_late", "high", "meetings", "The convocation went out later than the notice period."),
    Rule("convocation_not_sent", "high", "meetings", "No convocation known N days before the meeting.", {"margin_days": 3}),
    Rule("agenda_missing", "medium", "meetings", "No agenda in the meeting's folder N days before.", {"days_before": 10}),
    Rule("quorum_at_risk", "medium", "meetings", "The expected answers do not reach the quorum.", {"days_before": 7}),
    Rule("rsvp_missing", "low", "rsvp", "A member has not answered the invitation.", {"days_before": 10}),
    Rule("minutes_overdue", "medium", "minutes", "No minutes (PV) filed after the deadline.", {"lookback_days": 365}),
    Rule("grant_deadline", "medium", "grants", "A grant deadline is near and pieces are missing.", {"stages": (30, 14, 7, 2)}),
    Rule("report_due", "medium", "grants", "A financial report (compte-rendu financier) is due soon."),
    Rule("report_overdue", "high", "grants", "A financial report is overdue."),
    Rule("request_while_report_outstanding", "high", "grants", "A new request to a funder still owed a report."),
    Rule("declaration_due", "medium", "declarations", "A préfecture declaration is due or overdue."),
    Rule("risky_share", "medium", "shares", "A share exposes files beyond the association."),
    Rule("share_audit_failing", "medium", "shares", "The sharing audit could not read the shares."),
    Rule("sync_paused", "high", "system", "A sync job is paused (refused password, 401)."),
    Rule("sync_failing", "medium", "system", "A sync job failed several times in a row.", {"failures": 3}),
    Rule("calendar_object_unreadable", "low", "system", "A calendar object Quorum could not read."),
    Rule("minutes_edited_after_approval", "high", "minutes", "An approved PV was edited after its version was frozen in the register."),
    Rule("minutes_removed_after_approval", "high", "minutes", "An approved PV was deleted or replaced after its version was frozen in the register."),
    Rule("handover_overdue", "medium", "system", "A departed officer's deactivated account still holds things N days after it was deactivated.", {"days": 30}),
)  # fmt: skip

RULES: dict[str, Rule] = {rule.name: rule for rule in CATALOGUE}


@dataclass(frozen=True)
class RuleSettings:
    """The thresholds in force and the rules an admin switched off."""

    overrides: Mapping[str, Any] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> RuleSettings:
        alerts = (settings or {}).get("alerts") or {}
        if not isinstance(alerts, Mapping):
            return cls()
        thresholds = alerts.get("thresholds") or {}
        disabled = alerts.get("disabled") or ()
        return cls(
            dict(thresholds) if isinstance(thresholds, Mapping) else {},
            frozenset(str(name) for name in disabled),
        )

    def number(self, rule: str, name: str) -> int:
        """An integer threshold; an unreadable override falls back to the default."""
        default = RULES[rule].thresholds[name]
        assert isinstance(default, int)
        value = self.overrides.get(f"{rule}.{name}", default)
        try:
            return int(value)
        except (TypeError, ValueError):
            return default

    def numbers(self, rule: str, name: str) -> tuple[int, ...]:
        """A list threshold (e.g. the 30/14/7/2-day stages), largest first."""
        default = RULES[rule].thresholds[name]
        assert isinstance(default, tuple)
        value = self.overrides.get(f"{rule}.{name}", default)
        try:
            found = tuple(sorted({int(v) for v in value}, reverse=True))
        except (TypeError, ValueError):
            return default
        return found or default

    def enabled(self, rule: str) -> bool:
        return rule not in self.disabled
