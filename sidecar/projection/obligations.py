"""Statutory obligations: dated duties derived from the dossiers, the officers and the rules.

- the financial report (compte-rendu financier, CERFA n°15059*02) of each awarded subsidy is due
  within 6 months of the end of the financial year it was spent in (arrêté du 11 octobre 2006),
  and before any new request to the same funder;
- a change of officers is declared to the préfecture within 3 months (loi 1901, article 5);
- above 153 000 € of public subsidies in a year, the annual accounts are published on the
  Journal officiel (décret 2009-540): approval within 6 months, publication within 3 more.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sidecar.projection.grants import Dossier, fy_end, normalise

REPORT_MONTHS = 6
PREFECTURE_MONTHS = 3
PUBLICATION_MONTHS = 9  # 6 months to approve the accounts, then 3 to publish them
PUBLICATION_THRESHOLD_CENTS = 153_000_00
DUE_SOON_DAYS = 30


@dataclass(frozen=True)
class OfficerChange:
    """A recorded change of officers (new president, treasurer...), and its declaration."""

    id: int
    changed_on: date
    description: str
    declared_on: date | None = None


@dataclass(frozen=True)
class Obligation:
    """A dated duty with where it comes from and whether it is done, late or ahead."""

    key: str  # stable: kind + subject
    kind: str  # financial_report | prefecture_declaration | accounts_publication
    title: str
    source: str  # the dossier, officer change or year it derives from
    due: date
    status: str  # done | overdue | due_soon | upcoming
    reason: str = ""
    subject: str = ""  # dossier key, officer change id, or year


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months``, clamped to the end of a shorter month (08-31 + 6 → 02-28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def status_of(due: date, today: date, *, done: bool) -> str:
    if done:
        return "done"
    if due < today:
        return "overdue"
    return "due_soon" if (due - today).days <= DUE_SOON_DAYS else "upcoming"


def subsidy_year_end(dossier: Dossier, financial_year_end: str) -> date | None:
    """End of the financial year the subsidy was spent in: the one holding the action's end.

    Without an action period, the dossier's year names the financial year closing that year.
    """
    record = dossier.record
    anchor = record.action_end if record and record.action_end else None
    if anchor is not None:
        end = fy_end(anchor.year, financial_year_end)
        return end if anchor <= end else fy_end(anchor.year + 1, financial_year_end)
    return fy_end(dossier.year, financial_year_end) if dossier.year else None


def report_due(dossier: Dossier, financial_year_end: str) -> date | None:
    """The legal report deadline of an awarded subsidy: an admin override, else FY end + 6 months."""
    if dossier.status not in ("awarded", "reported"):
        return None
    if dossier.record and dossier.record.report_due:
        return dossier.record.report_due
    end = subsidy_year_end(dossier, financial_year_end)
    return add_months(end, REPORT_MONTHS) if end else None


def financial_reports(
    dossiers: Sequence[Dossier], financial_year_end: str, today: date
) -> list[Obligation]:
    """One report per awarded subsidy, brought forward to a new request to the same funder."""
    found = []
    for dossier in dossiers:
        due = report_due(dossier, financial_year_end)
        if due is None:
            continue
        reason = "6 months after the end of the financial year of the subsidy"
        new_request = _next_request(dossier, dossiers)
        if new_request is not None and new_request < due:
            due, reason = new_request, "before the new request to the same funder"
        found.append(
            Obligation(
                key=f"financial_report:{dossier.key}",
                kind="financial_report",
                title=f"Compte-rendu financier {dossier.funder} {dossier.year or ''}".strip(),
                source=dossier.folder or dossier.funder,
                due=due,
                status=status_of(due, today, done=dossier.status == "reported"),
                reason=reason,
                subject=dossier.key,
            )
        )
    return found


def _next_request(awarded: Dossier, dossiers: Sequence[Dossier]) -> date | None:
    """The earliest submission deadline of a later open request to the same funder."""
    funder = normalise(awarded.funder)
    days = [
        d.submission_deadline
        for d in dossiers
        if d is not awarded
        and normalise(d.funder) == funder
        and d.status in ("idea", "preparing")
        and d.submission_deadline is not None
        and (awarded.year is None or d.year is None or d.year > awarded.year)
    ]
    return min(days) if days else None


def prefecture_declarations(changes: Sequence[OfficerChange], today: date) -> list[Obligation]:
    """Each change of officers must be declared to the préfecture within 3 months."""
    return [
        Obligation(
            key=f"prefecture_declaration:{change.id}",
            kind="prefecture_declaration",
            title="Déclaration en préfecture — changement de dirigeants",
            source=change.description,
            due=add_months(change.changed_on, PREFECTURE_MONTHS),
            status=status_of(
                add_months(change.changed_on, PREFECTURE_MONTHS),
                today,
                done=change.declared_on is not None,
            ),
            reason="within 3 months of the change of officers",
            subject=str(change.id),
        )
        for change in changes
    ]


def awarded_by_year(dossiers: Sequence[Dossier]) -> dict[int, int]:
    """Cents of subsidies awarded per dossier year (recorded amounts only)."""
    totals: dict[int, int] = {}
    for d in dossiers:
        amount = d.record.amount_awarded_cents if d.record else None
        if d.status in ("awarded", "reported") and d.year and amount:
            totals[d.year] = totals.get(d.year, 0) + amount
    return totals


def accounts_publications(
    dossiers: Sequence[Dossier], financial_year_end: str, today: date
) -> list[Obligation]:
    """Publication of the accounts for each year above 153 000 € of subsidies."""
    found = []
    for year, cents in sorted(awarded_by_year(dossiers).items()):
        if cents <= PUBLICATION_THRESHOLD_CENTS:
            continue
        due = add_months(fy_end(year, financial_year_end), PUBLICATION_MONTHS)
        found.append(
            Obligation(
                key=f"accounts_publication:{year}",
                kind="accounts_publication",
                title=f"Publication des comptes {year} au Journal officiel",
                source=f"{cents / 100:,.0f} € de subventions en {year}",
                due=due,
                status=status_of(due, today, done=False),
                reason="more than 153 000 € of public subsidies in the year",
                subject=str(year),
            )
        )
    return found


def all_obligations(
    dossiers: Sequence[Dossier],
    changes: Sequence[OfficerChange],
    financial_year_end: str,
    today: date,
) -> list[Obligation]:
    """Every obligation, soonest first."""
    found = (
        financial_reports(dossiers, financial_year_end, today)
        + prefecture_declarations(changes, today)
        + accounts_publications(dossiers, financial_year_end, today)
    )
    return sorted(found, key=lambda o: (o.due, o.key))
