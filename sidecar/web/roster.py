"""Bodies & roster settings: each body's statutory rules and its members (admins only)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext

from integrations.errors import IntegrationError
from sidecar.errors import NotFound, QuorumError
from sidecar.projection.documents import DEFAULT_MEETING_FOLDER
from sidecar.services import conventions, roster
from sidecar.storage.models import Body
from sidecar.web.access import requires
from sidecar.web.auth import current_association
from sidecar.web.context import services
from sidecar.web.error_texts import error_text as domain_error_text
from sidecar.web.labels import body_kind_label

bp = Blueprint("roster", __name__, url_prefix="/bodies")


def error_text(code: str) -> str:
    """What to fix, for an error code of :func:`sidecar.services.roster.parse_rules`."""
    texts: dict[str, str] = {
        "required": gettext("This field is required."),
        "number": gettext("Enter a whole number, 0 or more."),
        "quorum": gettext("Enter a number of members (5) or a fraction of at most 1 (1/2, 2/3)."),
        "kind": gettext("Choose a kind from the list."),
    }
    return texts.get(code, code)


def _page(
    errors: dict[int, dict[str, str]] | None = None,
    submitted: dict[int, dict[str, str]] | None = None,
    status: int = 200,
    folder_form: tuple[str, str] | None = None,  # (what was sent, why it was refused)
) -> ResponseReturnValue:
    with services().db.session() as session:
        association = current_association(session)
        pattern = conventions.meeting_folder_pattern(association)
        bodies = roster.bodies_with_seats(session, association.id)
        html = render_template(
            "pages/bodies.html",
            bodies=bodies,
            kinds=roster.KINDS,
            kind_labels=[(k, body_kind_label(k)) for k in roster.KINDS],  # once, not per body
            errors=errors or {},
            submitted=submitted or {},
            meeting_folder=folder_form[0] if folder_form else pattern,
            meeting_folder_error=folder_form[1] if folder_form else None,
            folder_choices=[(p, folder_example(p)) for p in FOLDER_CHOICES],
        )
    return html, status


# The usual layouts, offered by example; anything else is written by hand ("custom").
FOLDER_CHOICES = (
    DEFAULT_MEETING_FOLDER,
    "{body_folder}/{date:%Y}/{date:%Y-%m-%d}/",
    "{body_folder}/{date:%Y-%m-%d} {body}/",
    "{body_folder}/{title}/",  # named after the meeting: "AG/AGO 2027/"
)


def folder_example(pattern: str) -> str:
    """Where the board's meeting of 5 December 2026 goes under ``pattern``."""
    try:
        text = pattern.format(
            body_folder="Conseil d'administration",
            body="Conseil d'administration",
            code="CA",
            date=date(2026, 12, 5),
            title="CA budget 2027",
            year=2026,
        )
    except (KeyError, ValueError, IndexError):
        return pattern
    return "/".join(part for part in text.split("/") if part.strip()) + "/"


@bp.get("")
@requires("admin")
def index() -> ResponseReturnValue:
    return _page()


@bp.post("")
@requires("admin")
def create() -> ResponseReturnValue:
    form = request.form
    with services().db.session() as session:
        association = current_association(session)
        try:
            body = roster.create_body(
                session,
                association.id,
                form.get("code", ""),
                form.get("name", ""),
                form.get("kind", "custom"),
            )
        except QuorumError as err:
            reason = domain_error_text(err)
            flash(gettext("The body was not created: %(reason)s", reason=reason), "error")
            return redirect(url_for("roster.index"))
        anchor = f"body-{body.id}"
    flash(gettext("Body created with the default rules."), "ok")
    return redirect(url_for("roster.index") + "#" + anchor)


@bp.post("/meeting-folder")
@requires("admin")
def meeting_folder() -> ResponseReturnValue:
    """Save the meeting folder convention; an empty field restores the default."""
    choice = request.form.get("meeting_folder_choice", "custom")
    pattern = choice if choice in FOLDER_CHOICES else request.form.get("meeting_folder", "")
    try:
        with services().db.session() as session:
            conventions.set_meeting_folder(current_association(session), pattern)
    except QuorumError as err:
        return _page(folder_form=(pattern, domain_error_text(err)), status=400)
    flash(gettext("Meeting folder convention saved."), "ok")
    return redirect(url_for("roster.index") + "#meeting-folder")


@bp.post("/<int:body_id>/rules")
@requires("admin")
def rules(body_id: int) -> ResponseReturnValue:
    """Save a body's rules; on a mistake, the page comes back with the error by the field."""
    values, errors = roster.parse_rules(request.form.to_dict())
    if errors:
        texts = {name: error_text(code) for name, code in errors.items()}
        return _page({body_id: texts}, {body_id: request.form.to_dict()}, status=400)
    with services().db.session() as session:
        association = current_association(session)
        body = _body(session, association.id, body_id)
        roster.update_rules(session, body, values)
    flash(gettext("Rules saved."), "ok")
    return redirect(url_for("roster.index") + f"#body-{body_id}")


@bp.post("/<int:body_id>/members")
@requires("admin")
def add_member(body_id: int) -> ResponseReturnValue:
    form = request.form
    with services().db.session() as session:
        association = current_association(session)
        body = _body(session, association.id, body_id)
        try:
            roster.seat(
                session,
                body,
                name=form.get("name", ""),
                email=form.get("email", ""),
                role=form.get("role", ""),
                nc_user=form.get("nc_user", "").strip() or None,
            )
        except QuorumError as err:
            errors = {
                "email": domain_error_text(err)
                if err.code == "roster.email_taken"
                else gettext("Enter an e-mail address such as name@example.org.")
            }
            return _page({body_id: errors}, {body_id: form.to_dict()}, status=400)
    flash(gettext("Member saved."), "ok")
    return redirect(url_for("roster.index") + f"#body-{body_id}")


@bp.post("/<int:body_id>/members/<int:member_id>/remove")
@requires("admin")
def remove_member(body_id: int, member_id: int) -> ResponseReturnValue:
    with services().db.session() as session:
        association = current_association(session)
        roster.unseat(session, _body(session, association.id, body_id), member_id)
    flash(gettext("Member taken off the body."), "ok")
    return redirect(url_for("roster.index") + f"#body-{body_id}")


@bp.post("/<int:body_id>/import")
@requires("admin")
def import_group(body_id: int) -> ResponseReturnValue:
    """Seat the members of a Nextcloud group on the body (adds and updates, never removes)."""
    group = request.form.get("group", "").strip()
    if not group:
        errors = {"group": gettext("Enter the name of a Nextcloud group, such as CA.")}
        return _page({body_id: errors}, {body_id: request.form.to_dict()}, status=400)
    with services().db.session() as session:
        association = current_association(session)
        body = _body(session, association.id, body_id)
        try:
            done = roster.import_group(session, association, body.code, group, services().vault)
        except (QuorumError, IntegrationError) as err:
            reason = domain_error_text(err) if isinstance(err, QuorumError) else err.message
            flash(gettext("Nothing was imported: %(reason)s", reason=reason), "error")
            if isinstance(err, QuorumError) and err.code == "roster.group_refused":
                # no right to list the group: offer the other start straight away
                return redirect(url_for("roster.suggestions", body_id=body_id))
            return redirect(url_for("roster.index") + f"#body-{body_id}")
    flash(import_summary(done), "ok")
    return redirect(url_for("roster.index") + f"#body-{body_id}")


ORIGIN_LABELS = {
    "attendee": lambda n: ngettext(
        "invited to %(num)s of its meetings", "invited to %(num)s of its meetings", n
    ),
    "account": lambda n: gettext("the source's own account, in the group"),
    "visible": lambda n: gettext("visible to the account, not confirmed in the group"),
}


@bp.get("/<int:body_id>/suggestions")
@requires("admin")
def suggestions(body_id: int) -> ResponseReturnValue:
    """A starting roster without Nextcloud group rights, to tick before seating anyone."""
    from sidecar.services.roster_suggest import starting_roster

    with services().db.session() as session:
        association = current_association(session)
        body = _body(session, association.id, body_id)
        try:
            found = starting_roster(session, association, body, services().vault)
        except QuorumError as err:  # the app password was refused: nothing to offer but the fix
            flash(domain_error_text(err), "error")
            return redirect(url_for("roster.index") + f"#body-{body_id}")
        seated = {m.member.email for m in body.memberships}
        rows = [
            (
                person,
                [str(ORIGIN_LABELS[o](person.meetings)) for o in person.origins],
                person.email in seated,
            )
            for person in found.suggestions
        ]
        return render_template(
            "pages/roster_suggestions.html",
            body=body,
            rows=rows,
            group=found.group,
            problems=found.problems,
        )


@bp.post("/<int:body_id>/suggestions")
@requires("admin")
def seat_suggested(body_id: int) -> ResponseReturnValue:
    """Seat the ticked suggestions only (added, never removed; roles kept)."""
    form = request.form
    picked = form.getlist("pick")
    added = kept = 0
    with services().db.session() as session:
        association = current_association(session)
        body = _body(session, association.id, body_id)
        for index in picked:
            try:
                newly = roster.seat(
                    session,
                    body,
                    name=form.get(f"name-{index}", ""),
                    email=form.get(f"email-{index}", ""),
                    nc_user=form.get(f"nc_user-{index}", "").strip() or None,
                    keep_role=True,
                )
            except QuorumError as err:
                flash(domain_error_text(err), "error")
                continue
            added += newly
            kept += not newly
    if not picked:
        flash(gettext("Nobody was ticked: nobody was seated."), "error")
    else:
        flash(gettext("%(added)s seated (%(kept)s already there).", added=added, kept=kept), "ok")
    return redirect(url_for("roster.index") + f"#body-{body_id}")


def import_summary(done: roster.RosterImport) -> str:
    """One sentence about an import, with what the admin may want to do next."""
    parts: list[Any] = [
        gettext(
            "Group %(group)s: %(added)s added, %(kept)s already there.",
            group=done.group,
            added=len(done.added),
            kept=len(done.updated),
        )
    ]
    if done.skipped:
        parts.append(
            gettext(
                "Skipped (no e-mail address in Nextcloud): %(ids)s.", ids=", ".join(done.skipped)
            )
        )
    if done.unconfirmed:
        parts.append(
            gettext(
                "Not linked, their e-mail is already another member's: %(ids)s. If it is the "
                "same person, enter their Nextcloud id on their seat.",
                ids=", ".join(done.unconfirmed),
            )
        )
    if done.not_in_group:
        parts.append(
            gettext(
                "On the body but not in the group, left as is: %(emails)s.",
                emails=", ".join(done.not_in_group),
            )
        )
    return " ".join(str(p) for p in parts)


def _body(session: Any, association_id: int, body_id: int) -> Body:
    try:
        return roster.get_body(session, association_id, body_id)
    except NotFound:
        abort(404)
