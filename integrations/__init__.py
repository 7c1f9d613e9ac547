"""Clients for the outside world: WebDAV, CalDAV, Nextcloud OCS, SMTP, webhooks.

Nothing here imports Flask, SQLAlchemy or the ``sidecar`` package: these modules speak protocols
and return plain frozen dataclasses (see :mod:`integrations.types`).
"""
