"""The WSGI entry point for gunicorn: ``gunicorn sidecar.wsgi:app``.

Workers never migrate the database (four workers starting at once would race): run
``quorum db upgrade`` before gunicorn, as the container entrypoint does. With
``QUORUM_SCHEDULER=true`` every worker starts a background scheduler, and the database lease
lets exactly one of them run due jobs (the others wait to take over if it dies); the
recommended deployment runs ``quorum scheduler`` in its own process and sets
``QUORUM_SCHEDULER=false`` for the web.

On SIGTERM gunicorn lets requests in flight finish (``--graceful-timeout``); the worker's exit
stops the scheduler and hands the lease back. A sync interrupted by the exit is one database
transaction: it is rolled back, and its job's claim expires after ``job_timeout``.
"""

from __future__ import annotations

import atexit
import logging

from flask import Flask

from sidecar.config import load_settings
from sidecar.context import Services
from sidecar.web import create_app


def build_app() -> Flask:
    """The application of one gunicorn worker, with its scheduler if configured."""
    settings = load_settings()
    logging.basicConfig(level=settings.log_level.upper())
    quorum = Services.from_settings(settings, upgrade=False)
    application = create_app(services=quorum)
    if settings.scheduler:
        from sidecar.scheduler import Scheduler

        scheduler = Scheduler(quorum, tick_seconds=settings.scheduler_tick)
        scheduler.start(blocking=False)
        atexit.register(scheduler.stop)
    return application


app = build_app()
