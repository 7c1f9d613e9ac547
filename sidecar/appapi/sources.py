"""App mode: add a source that reads the registering Nextcloud through AppAPI, and discover it.

One use case for the admin page (:mod:`sidecar.web.admin_sources`) and ``quorum source add NAME
--appapi-user NCUSER``: store the source (no password: AppAPI signs every request with the
app's secret and Nextcloud runs it with the chosen account's rights), then probe it as
``quorum source add`` does, record its calendars and folders, and give it the same default sync
job (every ``DEFAULT_EVERY``). Everything happens in the
caller's transaction, so a source Nextcloud refuses to serve is not kept.

No Flask here. Errors name the form field they belong to (:class:`FieldError`) and carry a
stable ``code`` the web layer translates.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar.appapi.mode import credentials
from sidecar.config import Settings
from sidecar.errors import QuorumError
from sidecar.security.vault import Vault
from sidecar.services.jobs import create_default_job
from sidecar.services.sources import Discovery, add_appapi_source, probe, record_discovery
from sidecar.services.user_admin import FieldError
from sidecar.storage.models import Association, Source
from sidecar.sync.connection import connect

MAX_NAME = 100


class NotAppMode(QuorumError):
    """Quorum does not run as a Nextcloud app here, so no AppAPI source can be added."""

    def __init__(self) -> None:
        super().__init__(
            "Quorum is not running as a Nextcloud app here (QUORUM_MODE=appapi): add the source "
            "with its address, login and app password instead (`quorum source add NAME --url "
            "URL --login LOGIN --password-stdin`).",
            code="source.not_app_mode",
        )


@dataclass(frozen=True)
class AddedSource:
    """The new source and what its account offers."""

    source_id: int
    name: str
    discovery: Discovery
    job: str  # the name of its sync job


def add_and_discover(
    session: Session,
    settings: Settings,
    vault: Vault,
    association: Association,
    name: str,
    nc_user: str,
) -> AddedSource:
    """Store an AppAPI source reading as ``nc_user`` and record its calendars and folders.

    Raises :class:`NotAppMode` outside app mode, :class:`FieldError` on a bad name or account;
    an :class:`~integrations.errors.IntegrationError` from the probe propagates (the caller's
    transaction then drops the source).
    """
    if settings.mode != "appapi":
        raise NotAppMode()
    name = name.strip()
    _check_name(session, association, name)
    nc_user = nc_user.strip()
    if not nc_user or ":" in nc_user or len(nc_user) > 200:
        raise FieldError(
            "nc_user",
            "Name the Nextcloud account Quorum should read as (its user id).",
            code="source.nc_user",
        )
    source = add_appapi_source(session, association, name, settings.nextcloud_url, nc_user)
    conn = connect(source, vault, deadline=settings.http_timeout, appapi=credentials(settings))
    try:
        found = probe(conn)
    finally:
        conn.close()
    record_discovery(session, source, found)
    # the same default job as `quorum source add`: a source nobody syncs would stay empty
    job = create_default_job(session, association, source)
    return AddedSource(source.id, source.name, found, job.name)


def _check_name(session: Session, association: Association, name: str) -> None:
    if not name or len(name) > MAX_NAME:
        raise FieldError(
            "name",
            f"Give the source a name of 1 to {MAX_NAME} characters.",
            code="source.name",
            max=MAX_NAME,
        )
    taken = session.scalar(
        select(Source.id).where(Source.association_id == association.id, Source.name == name)
    )
    if taken is not None:
        raise FieldError(
            "name",
            f"A source named {name!r} already exists; pick another name.",
            code="source.name_taken",
            name=name,
        )


def sources(session: Session, association_id: int) -> list[Source]:
    """The association's sources, by name."""
    return list(
        session.scalars(
            select(Source).where(Source.association_id == association_id).order_by(Source.name)
        )
    )
