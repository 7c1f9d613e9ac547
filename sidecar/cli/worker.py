"""``quorum worker``: run sync runs and alerts cycles from the PostgreSQL task queue."""

from __future__ import annotations

import logging

import click

from sidecar.cli.base import Ctx, pass_ctx
from sidecar.errors import QuorumError


@click.command()
@click.option("--concurrency", type=int, default=None, help="Tasks at once (QUORUM_SYNC_WORKERS).")
@click.option("--keep-finished", is_flag=True, help="Keep finished tasks in the queue's table.")
@pass_ctx
def worker(ctx: Ctx, concurrency: int | None, keep_finished: bool) -> None:
    """Run queued syncs and alerts cycles until stopped (QUORUM_TASK_QUEUE=procrastinate).

    Start as many as you like, on any machine that reaches the database; `quorum scheduler`
    (exactly one runs, behind its lease) defers what is due.
    """
    from sidecar import task_queue  # procrastinate is needed only here

    settings = ctx.services.settings
    if settings.task_queue != "procrastinate":
        raise QuorumError(
            "`quorum worker` runs tasks from the PostgreSQL queue: set "
            "QUORUM_TASK_QUEUE=procrastinate (and the same on `quorum scheduler`).",
            code="worker.no_queue",
        )
    logging.basicConfig(level=settings.log_level.upper())
    task_queue.ensure_schema(settings)
    task_queue.use_services(ctx.services)
    click.echo("Worker started (Ctrl-C to stop).", err=True)
    task_queue.worker_app(settings).run_worker(
        queues=[task_queue.QUEUE],
        concurrency=concurrency or settings.sync_workers,
        delete_jobs="never" if keep_finished else "successful",
        install_signal_handlers=True,
    )
