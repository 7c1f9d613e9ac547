"""Helpers shared by the rule modules: building conditions with the catalogue's defaults."""

from __future__ import annotations

from collections.abc import Mapping

from sidecar.rules.catalogue import RULES
from sidecar.rules.types import AlertCondition, Audience


def condition(
    rule: str,
    subject: str,
    params: Mapping[str, object],
    *,
    severity: str | None = None,
    body_code: str | None = None,
    members: tuple[str, ...] = (),
) -> AlertCondition:
    """A condition keyed ``<rule>:<subject>``; params become text so they store as JSON."""
    entry = RULES[rule]
    return AlertCondition(
        key=f"{rule}:{subject}",
        rule=rule,
        severity=severity or entry.severity,
        subject=subject,
        params={k: "" if v is None else str(v) for k, v in params.items()},
        audience=Audience(entry.topic, body_code, members),
    )
