"""A grant dossier as typed in a form or sent as JSON: values and error codes by field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sidecar.formatting import whole_number
from sidecar.projection import grants as projection
from sidecar.services.dossiers import EDITABLE

DATE_FIELDS = (
    "submission_deadline", "decision_date", "action_start", "action_end", "report_due",
)  # fmt: skip
AMOUNT_FIELDS = ("amount_requested_cents", "amount_awarded_cents")
MAX_AMOUNT_CENTS = 10**13  # ten thousand million euros: anything above is a typing slip


def parse_amount(text: str) -> int:
    """Euros as typed in France or elsewhere ("1 500,50", "1500.5", "23 000 €") to cents."""
    cleaned = text.replace("€", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    cleaned = cleaned.replace(",", ".")
    if cleaned.count(".") > 1 or not cleaned.replace(".", "").isdigit():
        raise ValueError(text)
    euros, _, cents = cleaned.partition(".")
    if len(cents) > 2:
        raise ValueError(text)
    return int(euros or "0") * 100 + int((cents + "00")[:2])


def _parse_one(name: str, text: str) -> tuple[Any, str | None]:
    """One field's value from its text, or an error code (``amount``, ``date``, ``number``…)."""
    if name in AMOUNT_FIELDS:
        try:
            cents = parse_amount(text)
        except ValueError:
            return None, "amount"
        return (cents, None) if cents < MAX_AMOUNT_CENTS else (None, "amount")
    if name in DATE_FIELDS:
        try:
            return date.fromisoformat(text), None
        except ValueError:
            return None, "date"
    if name in ("year", "owner_member_id"):
        number = whole_number(text)
        return (number, None) if number is not None else (None, "number")
    if name == "status":
        return (text, None) if text in projection.STATUSES else (None, "status")
    if name == "folder":
        return "/" + text.strip("/") + "/", None
    if name == "confirmed":
        return text.lower() in ("1", "on", "true", "yes"), None
    return text, None


def parse_grant(
    raw: Mapping[str, Any], *, partial: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    """Editable grant fields from a form or JSON: (values, error codes by field).

    Amounts are given in euros (``amount_requested`` / ``amount_awarded``) or in cents (the
    ``*_cents`` names, JSON only); dates are ISO (2027-03-31); an empty field clears the value.
    Codes: ``required``, ``amount``, ``date``, ``number``, ``status``, ``period``.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in EDITABLE:
        given = raw.get(name, raw.get(name.removesuffix("_cents")))
        if given is None:
            continue
        if name in AMOUNT_FIELDS and name in raw:  # cents, as the API returns them
            ok = isinstance(given, int) and not isinstance(given, bool) and given >= 0
            values[name] = given if ok else None
            errors.update({} if ok else {name: "amount"})
            continue
        text = str(given).strip() if not isinstance(given, bool) else str(given).lower()
        if text == "" and name not in ("funder", "status", "confirmed", "programme"):
            values[name] = None
            continue
        value, problem = _parse_one(name, text)
        if problem:
            errors[name] = problem
        else:
            values[name] = value
    if ("funder" in values or not partial) and not str(values.get("funder") or "").strip():
        errors["funder"] = "required"
    start, end = values.get("action_start"), values.get("action_end")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        errors["action_end"] = "period"
    return values, errors
