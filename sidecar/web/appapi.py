"""The endpoints Nextcloud's AppAPI calls, and the AppAPI check of every other request.

- ``GET /heartbeat``: no authentication (AppAPI polls it before it knows the app is up).
- ``POST /init``: answers at once and prepares Quorum in a background thread that reports its
  progress to Nextcloud (``PUT /ocs/v2.php/apps/app_api/ex-app/status``).
- ``PUT /enabled?enabled=1|0``: registers or removes the top-menu entry, idempotently; the
  answer is ``{"error": ""}`` on success, as AppAPI expects.

In AppAPI mode every view not declared public (:mod:`sidecar.web.access`) also requires valid
AppAPI headers, checked before anything else; the request then acts as the Nextcloud user they
name (``g.nextcloud_user``, for the access layer to map to a Quorum account).
In standalone mode the lifecycle endpoints answer 404 and nothing else changes.
"""

from __future__ import annotations

import logging
import threading

from flask import Blueprint, Flask, abort, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue

from integrations.errors import IntegrationError
from sidecar.appapi import mode as appapi
from sidecar.context import Services
from sidecar.web.access import public, role_of
from sidecar.web.context import services
from sidecar.web.errors import json_error

log = logging.getLogger(__name__)
bp = Blueprint("appapi", __name__)
INIT_THREAD = "quorum.appapi.init"


def init_app(app: Flask) -> None:
    """Check the AppAPI settings and install the signature check (the blueprint, CSRF-exempt since
    AppAPI signs its requests, is listed in :mod:`sidecar.web.blueprints`)."""
    appapi.check_settings(app.extensions["quorum"].settings)
    # First of all checks: a forged AppAPI request is refused before any session logic runs.
    app.before_request_funcs.setdefault(None, []).insert(0, _require_appapi_signature)


def _appapi_mode() -> bool:
    return services().settings.mode == "appapi"


def _verify() -> appapi.NextcloudCaller:
    """The verified caller, or a 401 (the same answer whichever check failed)."""
    try:
        caller = appapi.verify_request(request.headers, appapi.credentials(services().settings))
    except appapi.AppApiRefused as err:
        abort(401, description=err.message)
    g.nextcloud_user = caller.user_id
    return caller


def _require_appapi_signature() -> None:
    """In AppAPI mode, only Nextcloud may call non-public views, as one of its users."""
    if not _appapi_mode() or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and role_of(view) == "public":
        return
    _verify()


@bp.get("/heartbeat")
@public
def heartbeat() -> ResponseReturnValue:
    """AppAPI's liveness poll: no authentication, no database."""
    return jsonify(status="ok")


@bp.post("/init")
@public  # signed by AppAPI, checked below
def init() -> ResponseReturnValue:
    """Start preparing Quorum; progress goes to Nextcloud, the answer comes at once."""
    if not _appapi_mode():
        abort(404)
    _verify()
    quorum = services()
    thread = threading.Thread(target=_init_in_background, args=(quorum,), name="appapi-init")
    current_app.extensions[INIT_THREAD] = thread  # tests join it
    thread.start()
    return jsonify({})


def _init_in_background(quorum: Services) -> None:
    ocs = appapi.ocs_for(quorum.settings)
    try:
        appapi.run_init(quorum, appapi.report_to(ocs))
    finally:
        ocs.http.close()


@bp.put("/enabled")
@public  # signed by AppAPI, checked below
def enabled() -> ResponseReturnValue:
    """Register (``enabled=1``) or remove (``enabled=0``) the top-menu entry."""
    if not _appapi_mode():
        abort(404)
    _verify()
    flag = request.args.get("enabled", "")
    if flag not in {"0", "1"}:
        return json_error("enabled must be 0 or 1", 400)
    quorum = services()
    ocs = appapi.ocs_for(quorum.settings)
    try:
        appapi.set_enabled(quorum.db, ocs, flag == "1")
    except IntegrationError as err:
        log.warning("AppAPI enabled=%s failed: %s", flag, err.message)
        return jsonify(error=err.message)
    finally:
        ocs.http.close()
    return jsonify(error="")
