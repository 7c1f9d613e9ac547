"""``quorum serve`` (the web UI, with the scheduler behind its lease) and ``quorum demo``."""

from __future__ import annotations

from pathlib import Path

import click

from sidecar.cli.base import Ctx, pass_ctx
from sidecar.context import Services
from sidecar.scheduler import Scheduler


@click.command()
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
@pass_ctx
def serve(ctx: Ctx, host: str | None, port: int | None) -> None:
    """Serve the web UI."""
    from sidecar.web import create_app
    from sidecar.web.serving import configure_logging, serve_app

    services = ctx.services
    configure_logging(services.settings.log_level)  # QUORUM_LOG_LEVEL
    app = create_app(services=services)
    scheduler = _start_scheduler(services)
    try:
        serve_app(app, host or services.settings.host, port or services.settings.port)
    finally:
        if scheduler is not None:
            scheduler.stop()


def _start_scheduler(services: Services) -> Scheduler | None:
    """The scheduler runs here too, behind the database lease: however many `quorum serve`
    processes run (and a `quorum scheduler`), exactly one of them runs the jobs."""
    if not services.settings.scheduler:
        click.echo("Scheduler off (QUORUM_SCHEDULER=false): sync jobs run only by hand.", err=True)
        return None
    scheduler = Scheduler(services, tick_seconds=services.settings.scheduler_tick)
    scheduler.start(blocking=False)
    click.echo(
        "Scheduler running: sync jobs run on time and “run now” works "
        "(one scheduler across processes, by a database lease).",
        err=True,
    )
    return scheduler


@click.command()
@click.option("--port", default=5000, type=int, help="Port of the web UI.")
@click.option(
    "--data-dir", default=".quorum-demo", type=click.Path(file_okay=False, path_type=Path)
)
def demo(port: int, data_dir: Path) -> None:
    """Start the demo Nextcloud-like server, connect it, sync, and serve the UI."""
    from sidecar.cli.demo import run_demo

    run_demo(data_dir, port)
