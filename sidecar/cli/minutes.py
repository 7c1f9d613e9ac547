"""``quorum minutes ...``: read the PVs, verify the register, export it.

Registered in :mod:`sidecar.cli` (its list of commands).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from sidecar.cli.base import Ctx, pass_ctx
from sidecar.cli.words import _, ngettext
from sidecar.context import resolve_association
from sidecar.projection.register import verify
from sidecar.services import minutes_cycle, register, register_export


@click.group()
def minutes() -> None:
    """Minutes (PV): the register of deliberations, actions as tasks, handovers."""


@minutes.command("scan")
@pass_ctx
def minutes_scan(ctx: Ctx) -> None:
    """Read the PVs that changed, write their actions as tasks, open due handovers."""
    with ctx.services.db.session() as session:
        association_id = resolve_association(session, ctx.association).id
    done = minutes_cycle.run(ctx.services, association_id, datetime.now(UTC))
    click.echo(
        _(
            "%(read)s, %(unchanged)s unchanged, %(unreadable)s unreadable, %(approved)s; "
            "%(created)s, %(existing)s already there, %(failed)s failed; %(handovers)s.",
            read=ngettext("%(num)d PV read", "%(num)d PVs read", done.scan.read),
            unchanged=done.scan.unchanged,
            unreadable=done.scan.unreadable,
            approved=ngettext(
                "%(num)d signed PDF approved", "%(num)d signed PDFs approved", done.scan.approved
            ),
            created=ngettext("%(num)d task created", "%(num)d tasks created", done.tasks.created),
            existing=done.tasks.existing,
            failed=done.tasks.failed,
            handovers=ngettext(
                "%(num)d handover opened", "%(num)d handovers opened", done.handovers_opened
            ),
        )
    )
    for problem in [*done.scan.errors, *done.tasks.errors]:
        click.echo(problem, err=True)


@minutes.command("verify")
@pass_ctx
def minutes_verify(ctx: Ctx) -> None:
    """Check the register's hash chain; exit 1 when an entry was altered."""
    with ctx.services.db.session() as session:
        check = register.check_chain(session, resolve_association(session, ctx.association).id)
    if check.ok:
        click.echo(
            ngettext(
                "Register verified: %(num)d entry, not altered.",
                "Register verified: %(num)d entries, none altered.",
                check.entries,
            )
        )
        return
    click.echo(
        _(
            "Register altered: entry %(entry)s does not verify (%(reason)s). Restore the "
            "database from a backup, and find out who changed it (see the audit log).",
            entry=check.broken_at,
            reason=check.reason,
        ),
        err=True,
    )
    raise SystemExit(1)


@minutes.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def minutes_export(ctx: Ctx, path: Path) -> None:
    """Export the register to PATH: a PDF when it ends with .pdf, else CSV."""
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association)
        entries = register.entries(session, association.id)
        check = verify(entries, register.head(session, association.id))
        name, document_language, tz = association.name, association.language, association.timezone
    if path.suffix.lower() == ".pdf":
        data = register_export.pdf_in(
            # the association's register, in its language (French for a loi 1901 association)
            entries,
            check,
            name=name,
            language=document_language,
            made_at=datetime.now(UTC),
            tz=tz,
        )
        path.write_bytes(data)
    else:
        path.write_text(register_export.to_csv(entries, tz), encoding="utf-8")
    click.echo(
        ngettext(
            "%(num)d entry written to %(path)s.",
            "%(num)d entries written to %(path)s.",
            len(entries),
            path=path,
        )
    )
