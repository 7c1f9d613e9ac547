"""Rules over grant dossiers, statutory obligations and the sharing audit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from sidecar.projection.grants import Dossier, next_deadline, normalise
from sidecar.projection.obligations import Obligation
from sidecar.projection.shares import Finding
from sidecar.rules.catalogue import RuleSettings
from sidecar.rules.common import condition
from sidecar.rules.types import AlertCondition

_SHARE_SEVERITY = {"high": "high", "medium": "medium", "low": "low"}


def _missing(dossier: Dossier) -> list[str]:
    return [p.name for p in dossier.pieces if p.state in ("missing", "stale")]


def stage(days_left: int, stages: tuple[int, ...]) -> int | None:
    """The tightest stage still ahead: 9 days left with (30, 14, 7, 2) is stage 14."""
    inside = [s for s in stages if days_left <= s]
    return min(inside) if inside else None


def grant_rules(
    dossiers: Iterable[Dossier], settings: RuleSettings, today: date
) -> Iterator[AlertCondition]:
    """A deadline alert per dossier and stage: each stage is a new reminder, so 30, 14, 7 and
    2 days before each remind once (the previous stage resolves as the next one opens)."""
    stages = settings.numbers("grant_deadline", "stages")
    for dossier in dossiers:
        deadline = next_deadline(dossier, today)
        missing = _missing(dossier)
        if deadline is None or not missing or dossier.status not in ("idea", "preparing"):
            continue
        days_left = (deadline - today).days
        found = stage(days_left, stages)
        if found is None:
            continue
        yield condition(
            "grant_deadline",
            f"{dossier.key}:d{found}",
            {
                "funder": dossier.funder,
                "deadline": deadline.isoformat(),
                "days_left": days_left,
                "missing": ", ".join(missing),
            },
            severity="high" if found <= min(stages[-2:]) else None,
        )


def obligation_rules(
    obligations: Iterable[Obligation], dossiers: Iterable[Dossier]
) -> Iterator[AlertCondition]:
    """Reports due or overdue, declarations, and new requests while a report is owed."""
    owed: dict[str, Obligation] = {}
    by_key = {d.key: d for d in dossiers}
    for item in obligations:
        params = {"title": item.title, "due": item.due.isoformat(), "source": item.source}
        if item.kind == "financial_report" and item.status in ("due_soon", "overdue"):
            rule = "report_overdue" if item.status == "overdue" else "report_due"
            yield condition(rule, item.key, params)
        if item.kind == "financial_report" and item.status != "done":
            awarded = by_key.get(item.subject)
            if awarded is not None:
                owed[normalise(awarded.funder)] = item
        if item.kind == "prefecture_declaration" and item.status in ("due_soon", "overdue"):
            severity = "high" if item.status == "overdue" else None
            yield condition("declaration_due", item.key, params, severity=severity)
    yield from _requests_while_owed(by_key.values(), owed)


def _requests_while_owed(
    dossiers: Iterable[Dossier], owed: dict[str, Obligation]
) -> Iterator[AlertCondition]:
    for dossier in dossiers:
        report = owed.get(normalise(dossier.funder))
        if report is None or dossier.status not in ("idea", "preparing"):
            continue
        if report.subject == dossier.key:
            continue
        yield condition(
            "request_while_report_outstanding",
            dossier.key,
            {"funder": dossier.funder, "report": report.title, "due": report.due.isoformat()},
        )


def share_rules(
    findings: Iterable[Finding], audit_error: str | None = None
) -> Iterator[AlertCondition]:
    """One alert per risky share finding, at the finding's own severity; one more when the
    last audit failed (the findings are then those of the last audit that worked)."""
    if audit_error:
        yield condition("share_audit_failing", "audit", {"error": audit_error})
    for finding in findings:
        # The finding's facts only: its words come from the catalogue, per reader and kind.
        facts: dict[str, object] = {
            "kind": finding.kind,
            "path": finding.path,
            "who": finding.shared_with,
        }
        if finding.days is not None:
            facts["days"] = finding.days
        yield condition(
            "risky_share",
            finding.key,
            facts,
            severity=_SHARE_SEVERITY.get(finding.severity, "medium"),
        )
