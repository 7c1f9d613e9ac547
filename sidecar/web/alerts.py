"""The alerts page (open, acknowledged, snoozed, resolved), acknowledge/snooze forms, channel
problems and the delivery log; and the landing page of the signed links sent in messages.

A signed link only shows a confirmation form: mail scanners open every link in a message,
so a GET must never acknowledge anything.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from sidecar.alerts import links, messages, service
from sidecar.alerts.lifecycle import STATES
from sidecar.errors import NotFound, QuorumError
from sidecar.storage.models import Alert, Channel, Delivery
from sidecar.web import display, labels
from sidecar.web.access import public, requires
from sidecar.web.auth import current_association, current_principal
from sidecar.web.context import services

bp = Blueprint("alerts", __name__, url_prefix="/alerts")
LOG_LIMIT = 50


# The page's three queries, built once (building a statement costs about as much as running it).
_ALERTS = (
    select(Alert)
    .where(Alert.association_id == bindparam("association_id"), Alert.state == bindparam("state"))
    .order_by(Alert.last_seen.desc())
)
_CHANNELS = (
    select(Channel)
    .where(Channel.association_id == bindparam("association_id"))
    .order_by(Channel.name)
)
_LOG = (
    select(Delivery, Alert, Channel.name)
    .join(Alert, Delivery.alert_id == Alert.id)
    .join(Channel, Delivery.channel_id == Channel.id)
    .where(Alert.association_id == bindparam("association_id"))
    .order_by(Delivery.id.desc())
    .limit(LOG_LIMIT)
)


def _secret() -> str:
    settings = services().settings
    return links.link_secret(settings.secret_key, settings.data_dir)


@bp.get("/")
@requires("officer")
def index() -> ResponseReturnValue:
    state = request.args.get("state", "open")
    state = state if state in STATES else "open"
    with services().db.session() as session:
        association = current_association(session)
        ours = {"association_id": association.id}
        alerts = session.scalars(_ALERTS, {**ours, "state": state}).all()
        channels = session.scalars(_CHANNELS, ours).all()
        log = session.execute(_LOG, ours).all()
        language = display.language()
        shown = [
            (alert, messages.sentence_html(alert.rule, alert.params, language)) for alert in alerts
        ]
        sent = [(d, messages.sentence(a.rule, a.params, language)[0], c) for d, a, c in log]
        checked_at, next_check = association.alerts_checked_at, association.alerts_due_at
    return render_template(
        "pages/alerts.html",
        alerts=shown,
        state=state,
        states=STATES,
        channels=channels,
        log=sent,
        checked_at=checked_at,
        next_check=next_check if next_check and next_check > datetime.now(UTC) else None,
    )


@bp.post("/<int:alert_id>/<any(acknowledge, snooze):action>")
@requires("officer")
def act(alert_id: int, action: str) -> ResponseReturnValue:
    try:
        with services().db.session() as session:
            association = current_association(session)
            alert = service.find_alert(session, association.id, alert_id)
            service.act(session, alert, action, current_principal().login, datetime.now(UTC))
    except (NotFound, QuorumError) as err:
        flash(err.message, "error")
    else:
        flash(
            _("Alert acknowledged.") if action == "acknowledge" else _("Alert snoozed for a week."),
            "ok",
        )
    return redirect(url_for("alerts.index", state=request.args.get("state", "open")))


@bp.route("/act/<token>", methods=["GET", "POST"])
@public  # authenticated by the signed token, for people who never sign in to Quorum
def signed(token: str) -> ResponseReturnValue:
    allowed = links.verify(_secret(), token)
    if allowed is None:
        abort(404)
    with services().db.session() as session:
        alert = session.get(Alert, allowed.alert_id)
        if alert is None:
            abort(404)
        outcome = None
        if request.method == "POST":
            outcome = service.act_by_link(
                session, alert, allowed.action, allowed.by, token, datetime.now(UTC)
            )
        title = messages.sentence(alert.rule, alert.params, display.language())[0]
        current = alert.state
    refused = {
        service.LINK_USED: _("This link was already used: open the alerts page to do more."),
        service.LINK_CLOSED: _(
            "Nothing to do: the alert is already %(state)s.",
            state=labels.alert_state_label(current),
        ),
    }.get(outcome or "")
    return render_template(
        "pages/alert_action.html",
        action=allowed.action,
        title=title,
        state=current,
        done=outcome == service.LINK_DONE,
        refused=refused,
    ), 409 if refused else 200
