"""The ``quorum`` command line: thin commands over the services.

Every command group is registered here, in one list; each module defines its commands and
imports only :mod:`sidecar.cli.base`, never this package.
"""

from __future__ import annotations

from sidecar.cli import (
    access,
    alerts,
    associations,
    deploy,
    domain,
    guided,
    jobs,
    minutes,
    serve,
    setup,
    sources,
    worker,
)
from sidecar.cli.base import cli

COMMANDS = (
    setup.db,
    sources.source,
    sources.sync,
    setup.config,
    guided.setup,
    serve.serve,
    serve.demo,
    access.user,
    access.token,
    access.secrets,
    alerts.alerts,
    deploy.backup_command,
    deploy.restore_command,
    domain.roster_group,
    domain.feed_group,
    jobs.job,
    jobs.scheduler,
    jobs.webhook,
    minutes.minutes,
    worker.worker,
    associations.association,
)

for _command in COMMANDS:
    cli.add_command(_command)


def main() -> None:
    """Entry point of the ``quorum`` script."""
    cli()


__all__ = ["cli", "main"]
