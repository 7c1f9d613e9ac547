"""AppAPI mode: Quorum run by Nextcloud as an external app (ExApp).

The mode is configuration (``QUORUM_MODE=appapi``), not a fork: the same application gains the
three lifecycle endpoints AppAPI calls (:mod:`sidecar.web.appapi`) and checks that every other
request really comes from the Nextcloud that registered it.

- :func:`verify_request` checks ``EX-APP-ID``, ``EX-APP-VERSION`` and ``AUTHORIZATION-APP-API``,
  all three compared in constant time and all three always compared (the time taken says
  nothing about which one was wrong), and returns the Nextcloud user the request acts for.
- :func:`run_init` is what ``POST /init`` starts: it prepares the database and reports its
  progress to Nextcloud, which enables the app at 100 %.
- :func:`set_enabled` registers or removes Quorum's top-menu entry. It is idempotent across
  workers and repeated calls: a marker row, claimed atomically, records that the entry was
  registered, so a second ``PUT /enabled`` (or a second worker) sends nothing.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from integrations.appapi import (
    HEADER_APP_ID,
    HEADER_APP_VERSION,
    HEADER_AUTHORIZATION,
    AppApiCredentials,
    AppApiHttpClient,
    AppApiOcs,
    decode_authorization,
)
from integrations.errors import IntegrationError
from sidecar.config import Settings
from sidecar.context import Services, resolve_association
from sidecar.errors import ConfigError, NotFound, QuorumError
from sidecar.storage import Database
from sidecar.storage.models import Association, Lease

log = logging.getLogger(__name__)

MENU_NAME = "quorum"
MENU_DISPLAY_NAME = "Quorum"
MENU_ICON = ""  # AppAPI's own app icon until Quorum ships one
# A marker, not a lease: the `leases` table already gives an atomic, named row per process-wide
# fact; this one never expires by itself and is dropped when Nextcloud forgets the entry.
MENU_MARKER = f"appapi:top-menu:{MENU_NAME}"
MARKER_HOLDER = "nextcloud"
NEVER = datetime(9999, 12, 31, tzinfo=UTC)

Progress = Callable[[int, str], None]


class HeaderSource(Protocol):
    """Anything with ``get(name)`` for headers (a dict, or Werkzeug's case-insensitive Headers)."""

    def get(self, key: str) -> str | None: ...


class AppApiRefused(QuorumError):
    """A request claiming to come from Nextcloud failed the AppAPI check (answer 401)."""


@dataclass(frozen=True)
class NextcloudCaller:
    """Who a verified AppAPI request acts for: a Nextcloud user id, or "" for Nextcloud itself."""

    user_id: str


def app_version(settings: Settings) -> str:
    """The version registered in Nextcloud: ``QUORUM_APP_VERSION``, else the package's."""
    return settings.effective_app_version


def credentials(settings: Settings) -> AppApiCredentials:
    """This ExApp's identity and secret, from the settings."""
    return AppApiCredentials(settings.app_id, app_version(settings), settings.app_secret)


def check_settings(settings: Settings) -> None:
    """Refuse to start in AppAPI mode without what Nextcloud must have given us."""
    if settings.mode != "appapi":
        return
    missing = [
        f"QUORUM_{name.upper()}"
        for name in ("app_id", "app_secret", "nextcloud_url")
        if not getattr(settings, name)
    ]
    if missing:
        raise ConfigError(
            f"QUORUM_MODE=appapi needs {', '.join(missing)}: Nextcloud's AppAPI passes them as "
            "APP_ID, APP_SECRET and NEXTCLOUD_URL (the container entrypoint maps them)."
        )


def verify_request(headers: HeaderSource, expected: AppApiCredentials) -> NextcloudCaller:
    """The caller of a request signed by Nextcloud's AppAPI; raises :class:`AppApiRefused`.

    The log line says which check failed, never a header value.
    """
    app_id = headers.get(HEADER_APP_ID) or ""
    version = headers.get(HEADER_APP_VERSION) or ""
    authorization = headers.get(HEADER_AUTHORIZATION) or ""
    if not (app_id and version and authorization):
        log.warning("AppAPI request refused: AppAPI headers missing")
        raise AppApiRefused("This endpoint is for Nextcloud's AppAPI only.")
    decoded = decode_authorization(authorization)
    user_id, secret = decoded if decoded is not None else ("", "")
    # Evaluate every comparison before deciding, so the timing reveals nothing.
    id_ok = hmac.compare_digest(app_id.encode(), expected.app_id.encode())
    version_ok = hmac.compare_digest(version.encode(), expected.app_version.encode())
    secret_ok = hmac.compare_digest(secret.encode(), expected.secret.encode())
    if not (id_ok & version_ok & secret_ok & (decoded is not None) & bool(expected.secret)):
        failed = [
            name
            for name, ok in (("app id", id_ok), ("app version", version_ok), ("secret", secret_ok))
            if not ok
        ]
        log.warning("AppAPI request refused: wrong %s", ", ".join(failed) or "authorization")
        raise AppApiRefused("This endpoint is for Nextcloud's AppAPI only.")
    return NextcloudCaller(user_id)


def client_for(settings: Settings, user_id: str = "") -> AppApiHttpClient:
    """An HTTP client to the registering Nextcloud acting as ``user_id`` (with that user's
    rights), every request signed with the AppAPI headers and bounded by ``http_timeout``."""
    return AppApiHttpClient(
        settings.nextcloud_url, credentials(settings), user_id, deadline=settings.http_timeout
    )


def ocs_for(settings: Settings, user_id: str = "") -> AppApiOcs:
    """The AppAPI OCS endpoints, as ``user_id`` (close with ``.http.close()``)."""
    return AppApiOcs(client_for(settings, user_id))


# --- /init ------------------------------------------------------------------------------------


def run_init(services: Services, report: Progress) -> bool:
    """Prepare Quorum after (re)installation and tell Nextcloud how far it got.

    Nextcloud forgets an ExApp's UI entries when it is removed, while Quorum's database may
    survive on its volume: so the top-menu marker is dropped here and ``PUT /enabled``
    registers the entry again. Returns False when a step failed (the error was reported).
    """
    steps: tuple[tuple[int, Callable[[Services], None]], ...] = (
        (30, lambda s: s.db.upgrade()),
        (60, _ensure_association),
        (90, lambda s: forget_registrations(s.db)),
    )
    done = 0
    try:
        for progress, step in steps:
            step(services)
            done = progress
            report(progress, "")
    except Exception as err:  # any failure must reach the admin, not only our log
        log.exception("AppAPI init failed at %s %%", done)
        report(done, f"Quorum could not initialise: {_reason(err)}")
        return False
    report(100, "")
    return True


def _ensure_association(services: Services) -> None:
    with services.db.session() as session:
        app_association(session, services.settings.appapi_association, create=True)


def app_association(session: Session, slug: str, *, create: bool = False) -> Association:
    """The association the app serves: ``QUORUM_APPAPI_ASSOCIATION``, else the only one.

    With ``create``, a named association that does not exist yet is created (``/init`` on a
    fresh volume); an install holding several associations must name one.
    """
    if slug:
        found = session.scalar(select(Association).where(Association.slug == slug))
        if found is not None:
            return found
        if not create:
            raise ConfigError(
                f"QUORUM_APPAPI_ASSOCIATION names {slug!r}, which does not exist: fix the "
                "setting, or run `quorum association list` to see the slugs."
            )
        association = Association(slug=slug, name=slug, settings={})
        session.add(association)
        session.flush()
        return association
    try:
        return resolve_association(session, None, create=create)
    except NotFound as err:
        raise ConfigError(
            "In app mode Quorum serves one association, and this install holds several (or "
            "none): set QUORUM_APPAPI_ASSOCIATION to the slug of the one Nextcloud belongs to."
        ) from err


def _reason(err: Exception) -> str:
    if isinstance(err, QuorumError | IntegrationError):
        return err.message
    return type(err).__name__


def report_to(ocs: AppApiOcs) -> Progress:
    """A :data:`Progress` that sends each step to Nextcloud (failures to report are logged)."""

    def send(progress: int, error: str) -> None:
        try:
            ocs.set_init_progress(progress, error)
        except IntegrationError as err:
            log.warning("could not report init progress %s %% to Nextcloud: %s", progress, err)

    return send


# --- /enabled ---------------------------------------------------------------------------------


def set_enabled(db: Database, ocs: AppApiOcs, enabled: bool) -> bool:
    """Register (``enabled``) or remove the top-menu entry; True if Nextcloud was called.

    Idempotent: the marker row is claimed before the entry is registered, so a repeated
    ``PUT /enabled?enabled=1`` — or the same call reaching another worker — registers nothing.
    """
    if enabled:
        if not _claim_marker(db):
            return False
        try:
            ocs.register_top_menu(MENU_NAME, MENU_DISPLAY_NAME, icon=MENU_ICON)
        except Exception:
            _drop_marker(db)  # not registered after all: the next PUT tries again
            raise
        return True
    if not menu_registered(db):
        return False
    ocs.unregister_top_menu(MENU_NAME)
    _drop_marker(db)
    return True


def menu_registered(db: Database) -> bool:
    with db.session() as session:
        return session.scalar(select(Lease.name).where(Lease.name == MENU_MARKER)) is not None


def forget_registrations(db: Database) -> None:
    """Forget what we registered in Nextcloud (it forgets it on reinstall)."""
    _drop_marker(db)


def _claim_marker(db: Database) -> bool:
    try:
        with db.session() as session:
            session.add(Lease(name=MENU_MARKER, holder=MARKER_HOLDER, expires_at=NEVER))
    except IntegrityError:  # registered already, or another worker is registering it now
        return False
    return True


def _drop_marker(db: Database) -> None:
    with db.session() as session:
        session.execute(delete(Lease).where(Lease.name == MENU_MARKER))
