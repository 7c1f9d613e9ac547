"""``quorum source add NAME --appapi-user NCUSER``: an app-mode source, added and discovered."""

from __future__ import annotations

import click

from sidecar.appapi import sources as appapi_sources
from sidecar.appapi.mode import app_association
from sidecar.context import Services


def add_appapi_source(services: Services, slug: str | None, name: str, nc_user: str) -> None:
    """Add the source in the association the app serves, and list what it offers."""
    settings = services.settings
    if settings.mode != "appapi":
        raise appapi_sources.NotAppMode()
    with services.db.session() as session:
        association = app_association(session, slug or settings.appapi_association, create=True)
        added = appapi_sources.add_and_discover(
            session, settings, services.vault, association, name, nc_user
        )
    found = added.discovery
    click.echo(
        f"Source {added.name!r} added, reading {settings.nextcloud_url} as {nc_user} through "
        f"AppAPI: {len(found.calendars)} calendars, {len(found.folders)} top folders."
    )
    for cal in found.calendars:
        click.echo(f"  calendar {cal.display_name or cal.name}\t{cal.href}")
    for folder in found.folders:
        click.echo(f"  folder {folder.path}")
