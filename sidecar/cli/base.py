"""The root ``quorum`` group and what every command shares: the lazily built services, one-line
errors, the progress bar and a sync run's summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import OperationalError

from integrations.errors import IntegrationError
from integrations.http import redact
from sidecar.cli.words import _, click_words, language, ngettext, translate_help
from sidecar.config import load_settings
from sidecar.context import Services
from sidecar.error_texts import error_text
from sidecar.errors import QuorumError
from sidecar.i18n import N_
from sidecar.security import redaction
from sidecar.sync.runner import RunReport


def database_unavailable(err: OperationalError) -> str:
    """One line for a database that cannot be used right now (never its URL or password)."""
    reason = str(err.orig).strip().splitlines()[0] if err.orig is not None else ""
    return _(
        "The database cannot be used right now (%(reason)s). Check that it is running and "
        "reachable at the configured database_url (for SQLite: that no other program holds the "
        "file locked), then try again.",
        reason=redact(reason)[:160],
    )


class Ctx:
    """Lazily built services, so `quorum --help` needs no database."""

    def __init__(self, association: str | None) -> None:
        self.association = association
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            self._services = Services.from_settings(load_settings())
        return self._services

    def close(self) -> None:
        if self._services is not None:
            self._services.db.dispose()


pass_ctx = click.make_pass_decorator(Ctx)


class QuorumGroup(click.Group):
    """Turns Quorum's errors into one line on stderr and exit status 1, never a traceback; the
    help of every command is put in the reader's language first (:mod:`sidecar.cli.words`)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        translate_help(self)
        with click_words():
            return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except QuorumError as err:
            raise click.ClickException(said(err) + _demo_hint(err)) from err
        except IntegrationError as err:
            raise click.ClickException(err.message) from err
        except OperationalError as err:  # locked, unreachable, refused: not a Quorum bug
            raise click.ClickException(database_unavailable(err)) from err


def said(err: QuorumError) -> str:
    """The error in the command line's language: French from the catalogue, by its code; the
    English message otherwise (it may say more than the catalogue's text, e.g. the cause)."""
    lang = language()
    return err.message if lang == "en" else error_text(err, lang, place=True)


def _demo_hint(err: QuorumError) -> str:
    """After `make demo`, the demo's data is in .quorum-demo/: say so when nothing is here."""
    if err.code != "association.none":
        return ""
    demo = Path(".quorum-demo")
    here = load_settings().data_dir
    if (demo / "quorum.db").exists() and here.resolve() != demo.resolve():
        return " " + _(
            "(Nothing in %(here)s; the demo's data is in %(demo)s/: run the command with "
            "QUORUM_DATA_DIR=%(demo)s.)",
            here=here,
            demo=demo,
        )
    return ""


@click.group(cls=QuorumGroup)
@click.option("--association", "-a", help="Slug of the association (when there are several).")
@click.pass_context
def cli(ctx: click.Context, association: str | None) -> None:
    """Quorum: board meetings, grant dossiers and alerts from your Nextcloud."""
    redaction.install()  # before any command logs: secrets never reach a log record
    ctx.obj = Ctx(association)
    ctx.call_on_close(ctx.obj.close)


def progress_bar(done: int, total: int, what: str) -> None:
    width = 30
    filled = width * done // max(total, 1)
    bar = "#" * filled + "-" * (width - filled)
    click.echo(f"\r[{bar}] {done}/{total} {what[:40]:<40}", nl=done >= total, err=True)


# A run's outcome in words; English keeps the short codes scripts already read ("demo: ok").
OUTCOMES = {
    "ok": N_("up to date"),
    "partial": N_("partly synced"),
    "failed": N_("failed"),
    "deferred": N_("postponed (server asked to wait)"),
}


def outcome_word(outcome: str) -> str:
    if language() == "en" or outcome not in OUTCOMES:
        return outcome
    return _(OUTCOMES[outcome])


def decimal(value: float) -> str:
    """« 0,5 » in French, "0.5" in English: one decimal."""
    text = f"{value:.1f}"
    return text if language() == "en" else text.replace(".", ",")


def run_summary(report: RunReport) -> str:
    line = _(
        "%(source)s: %(outcome)s — %(added)s added, %(changed)s changed, %(removed)s removed, "
        "%(requests)s, %(seconds)s s",
        source=report.source,
        outcome=outcome_word(report.outcome),
        added=report.counts.added,
        changed=report.counts.changed,
        removed=report.counts.removed,
        requests=ngettext("%(num)d request", "%(num)d requests", report.requests),
        seconds=decimal(report.seconds),
    )
    if report.error:
        line += f"\n  {report.error}"
    for name, error in report.collection_errors.items():
        line += f"\n  {name}: {error}"
    return line
