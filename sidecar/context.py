"""The services a command or a web request works with, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.appapi import AppApiCredentials
from sidecar.config import Settings
from sidecar.errors import NotFound
from sidecar.security.vault import Vault
from sidecar.storage import Database
from sidecar.storage.models import Association

DEFAULT_SLUG = "default"


@dataclass
class Services:
    settings: Settings
    db: Database
    vault: Vault

    @classmethod
    def from_settings(cls, settings: Settings, *, upgrade: bool = True) -> Services:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.effective_database_url, connections=2 * settings.sync_workers + 8)
        if upgrade:
            db.upgrade()
        vault = Vault.from_file(settings.effective_key_file)
        vault.appapi = appapi_credentials(settings)
        return cls(settings, db, vault)


def appapi_credentials(settings: Settings) -> AppApiCredentials | None:
    """This ExApp's identity and secret in AppAPI mode; None otherwise."""
    if settings.mode != "appapi" or not settings.app_secret:
        return None
    return AppApiCredentials(settings.app_id, settings.effective_app_version, settings.app_secret)


def resolve_association(session: Session, slug: str | None, *, create: bool = False) -> Association:
    """The association named by ``slug``; without one, the only association of this install.

    A single-association install never has to name it: the first command creates ``default``.
    """
    if slug:
        found = session.scalar(select(Association).where(Association.slug == slug))
        if found is None:
            raise NotFound(
                f"No association {slug!r}. `quorum association list` shows them.",
                code="association.unknown",
                slug=slug,
            )
        return found
    all_ = list(session.scalars(select(Association).order_by(Association.id).limit(2)))
    if len(all_) == 1:
        return all_[0]
    if len(all_) > 1:
        raise NotFound(
            "This Quorum serves several associations: add --association SLUG.",
            code="association.several",
        )
    if not create:
        raise NotFound(
            "No association yet: add a source first (`quorum source add`).", code="association.none"
        )
    association = Association(slug=DEFAULT_SLUG, name="Mon association", settings={})
    session.add(association)
    session.flush()
    return association
