"""``quorum job ...`` and ``quorum scheduler``."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from sidecar import formatting
from sidecar.cli.base import Ctx, pass_ctx, progress_bar, run_summary
from sidecar.cli.words import _, language, schedule_words
from sidecar.context import resolve_association
from sidecar.errors import QuorumError
from sidecar.i18n import N_
from sidecar.services import jobs, webhook_secrets
from sidecar.sync.runner import RunOptions


@click.group()
def job() -> None:
    """Scheduled sync jobs (interval or cron)."""


@job.command("create")
@click.argument("name")
@click.option("--source", "source_name", required=True, help="Name of the source to sync.")
@click.option("--every", help="Interval: 30s, 15m, 2h, 1d.")
@click.option("--cron", help="Cron expression, e.g. '*/15 * * * *' (association's time zone).")
@pass_ctx
def job_create(ctx: Ctx, name: str, source_name: str, every: str | None, cron: str | None) -> None:
    """Add a job; its first run is due at once."""
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association)
        src = jobs.source_by_name(session, association.id, source_name)
        created = jobs.create_job(session, association, src, name, every=every, cron=cron)
        click.echo(
            _(
                "Job “%(name)s” created (%(schedule)s).",
                name=name,
                schedule=schedule_words(jobs.describe(created)),
            )
        )


@job.command("list")
@pass_ctx
def job_list(ctx: Ctx) -> None:
    """List the jobs, their state and next run."""
    lang = language()
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association)
        for found in jobs.list_jobs(session, association.id):
            shown = jobs.view(found)
            when = _next_run(shown.next_run_at, lang, association.timezone)
            note = f" — {shown.paused_reason}" if shown.paused_reason else ""
            schedule = schedule_words(shown.schedule)
            state = STATES.get(shown.state, shown.state) if lang != "en" else shown.state
            click.echo(f"{shown.name}\t{shown.source}\t{schedule}\t{_(state)}\t{when}{note}")


# A job's state in words (the web's labels); English keeps the codes scripts read.
STATES = {
    "running": N_("running"),
    "paused": N_("paused by an administrator"),
    "blocked": N_("stopped: Nextcloud refused the password"),
    "scheduled": N_("scheduled"),
}


def _next_run(moment: datetime | None, lang: str, tz: str) -> str:
    """In English the UTC time scripts read; in French, the association's time, in words."""
    if moment is None:
        return "-"
    if lang == "en":
        return f"{moment:%Y-%m-%d %H:%M} UTC"
    return formatting.datetime_text(moment, lang, tz, size="short")


def _change(ctx: Ctx, ref: str, action: str) -> None:
    with ctx.services.db.session() as session:
        found = jobs.find_job(session, resolve_association(session, ctx.association).id, ref)
        if action == "pause":
            jobs.pause_job(found)
        elif action == "resume":
            jobs.resume_job(found)
        else:
            jobs.remove_job(session, found)
    done = {"pause": _("paused"), "resume": _("resumed"), "remove": _("removed")}[action]
    click.echo(_("Job “%(name)s”: %(done)s.", name=ref, done=done))


@job.command("pause")
@click.argument("name")
@pass_ctx
def job_pause(ctx: Ctx, name: str) -> None:
    """Stop scheduling a job (a running sync finishes)."""
    _change(ctx, name, "pause")


@job.command("resume")
@click.argument("name")
@pass_ctx
def job_resume(ctx: Ctx, name: str) -> None:
    """Schedule a job again, also after a refused password was fixed."""
    _change(ctx, name, "resume")


@job.command("remove")
@click.argument("name")
@pass_ctx
def job_remove(ctx: Ctx, name: str) -> None:
    """Delete a job (its past runs stay)."""
    _change(ctx, name, "remove")


@job.command("run")
@click.argument("name")
@pass_ctx
def job_run(ctx: Ctx, name: str) -> None:
    """Run a job now, here, unless it is already running elsewhere."""
    services = ctx.services
    with services.db.session() as session:
        job_id = jobs.find_job(session, resolve_association(session, ctx.association).id, name).id
    settings = services.settings
    show_bar = sys.stderr.isatty()
    report = jobs.run_job(
        services.db,
        services.vault,
        job_id,
        due=False,
        limits=jobs.JobLimits(settings.http_timeout, settings.job_timeout),
        options=RunOptions(
            deadline=min(settings.http_timeout, settings.job_timeout),
            run_deadline=settings.job_timeout,
            progress=progress_bar if show_bar else None,
        ),
    )
    if report is None:
        raise QuorumError(
            f"Job {name!r} is running already; try again when it has finished.",
            code="job.running",
            name=name,
        )
    click.echo(run_summary(report))
    if report.outcome == "failed":
        sys.exit(1)


@click.command()
@click.option("--tick", default=5.0, show_default=True, help="Seconds between looks for due jobs.")
@pass_ctx
def scheduler(ctx: Ctx, tick: float) -> None:
    """Run due jobs until stopped; only one scheduler at a time holds the lease."""
    from sidecar.scheduler import Scheduler
    from sidecar.web.serving import configure_logging

    configure_logging(ctx.services.settings.log_level)  # QUORUM_LOG_LEVEL, as `quorum serve`
    runner = Scheduler(ctx.services, tick_seconds=tick)
    click.echo(_("Scheduler %(holder)s started (Ctrl-C to stop).", holder=runner.holder), err=True)
    try:
        runner.start(blocking=True)
    except (KeyboardInterrupt, SystemExit):
        runner.stop()


@click.group()
def webhook() -> None:
    """Nextcloud webhooks that make a source's jobs due sooner."""


@webhook.command("secret")
@pass_ctx
def webhook_secret(ctx: Ctx) -> None:
    """Make a new webhook secret for the association (the old one stops working).

    It is shown once: give it to Nextcloud with the association's own address.
    """
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association)
        secret = webhook_secrets.new_secret(association)
        slug = association.slug
    click.echo(secret)
    click.echo(
        f"Address: <Quorum's URL>/webhooks/nextcloud/{slug}, header X-Quorum-Webhook-Secret "
        "with the secret above (occ webhook_listeners:add … --header).",
        err=True,
    )
