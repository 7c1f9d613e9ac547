"""JSON API for bodies and their rules: ``GET /api/v1/bodies``, ``PUT /api/v1/bodies/<code>``.

The form on the Bodies & roster page sends no unticked checkbox, so there a missing
``proxies_allowed`` means "no". JSON has real booleans: a field left out of a PUT keeps its
value, only the fields sent change.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from sidecar.services import conventions, roster
from sidecar.storage.models import Body
from sidecar.web.access import requires
from sidecar.web.auth import current_association
from sidecar.web.context import services
from sidecar.web.errors import json_error

bp = Blueprint("api_bodies", __name__, url_prefix="/api/v1")

TEXT_FIELDS = ("name", "kind", "quorum_first", "quorum_second", "folder")
EDITABLE = (*TEXT_FIELDS, *roster.INT_RULES, *roster.BOOL_RULES, "match_patterns")
FIELD_HELP = {
    "required": "is required",
    "number": "must be a whole number, 0 or more",
    "quorum": "must be a number of members (5) or a fraction of at most 1 (1/2, 2/3)",
    "kind": f"must be one of {', '.join(roster.KINDS)}",
    "boolean": "must be true or false",
    "text": "must be a string",
    "list": "must be a list of strings",
    "unknown": f"is not a body rule; editable fields: {', '.join(EDITABLE)}",
}


def body_json(body: Body) -> dict[str, Any]:
    """A body, its rules and its members."""
    rules = {name: getattr(body, name) for name in EDITABLE}
    rules["match_patterns"] = list(body.match_patterns or [])
    members = [
        {
            "name": m.member.name,
            "email": m.member.email,
            "nc_user": m.member.nc_user,
            "role": m.role,
        }
        for m in sorted(body.memberships, key=lambda m: m.member.email)
    ]
    return {"code": body.code, **rules, "members": members}


def as_form(data: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """JSON values as the strings :func:`roster.parse_rules` reads, and type errors by field."""
    form: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, value in data.items():
        if name not in EDITABLE:
            errors[name] = "unknown"
        elif name in roster.BOOL_RULES:
            if isinstance(value, bool):
                form[name] = "true" if value else ""
            else:
                errors[name] = "boolean"
        elif name in roster.INT_RULES:
            ok = isinstance(value, int | str) and not isinstance(value, bool)
            form[name] = str(value) if ok else "x"  # "x" makes parse_rules say "number"
        elif name == "match_patterns":
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                form[name] = "\n".join(value)
            else:
                errors[name] = "list"
        elif name == "folder" and value is None:
            form[name] = ""
        elif isinstance(value, str):
            form[name] = value
        else:
            errors[name] = "text"
    return form, errors


def parse_put(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The changes a PUT asks for: only the fields it sent (no missing-checkbox rule)."""
    form, errors = as_form(data)
    values, rule_errors = roster.parse_rules(form)
    values = {name: value for name, value in values.items() if name in form}
    return values, {**rule_errors, **errors}


def _invalid(errors: dict[str, str]) -> ResponseReturnValue:
    listed = [
        {"field": name, "code": code, "message": f"{name} {FIELD_HELP.get(code, code)}"}
        for name, code in sorted(errors.items())
    ]
    message = "Fix these fields: " + "; ".join(e["message"] for e in listed)
    return json_error(message, 400, errors=listed)


@bp.get("/bodies")
@requires("admin")
def list_bodies() -> ResponseReturnValue:
    """Every body with its rules and members, and the meeting folder convention."""
    with services().db.session() as session:
        association = current_association(session)
        rows = roster.bodies_with_seats(session, association.id)
        return jsonify(
            {
                "meeting_folder": conventions.meeting_folder_pattern(association),
                "bodies": [body_json(b) for b in rows],
            }
        )


@bp.put("/bodies/<code>")
@requires("admin")
def update_body(code: str) -> ResponseReturnValue:
    """Change some rules of one body; 400 lists every field to fix, nothing is changed then."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return json_error("Send a JSON object of the rules to change.", 400)
    values, errors = parse_put(data)
    if errors:
        return _invalid(errors)
    with services().db.session() as session:
        association = current_association(session)
        body = roster.find_body(session, association.id, code)
        roster.update_rules(session, body, values)
        return jsonify(body_json(body))
