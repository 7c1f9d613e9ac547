"""``quorum minutes ...``: read the PVs, verify the register, export it.

Registered in :mod:`sidecar.cli` (its list of commands).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from sidecar.cli.base import Ctx, pass_ctx
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
        f"{done.scan.read} PV read, {done.scan.unchanged} unchanged, {done.scan.unreadable} "
        f"unreadable, {done.scan.approved} signed PDF approved; {done.tasks.created} tasks "
        f"created, {done.tasks.existing} already there, {done.tasks.failed} failed; "
        f"{done.handovers_opened} handovers opened."
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
        click.echo(f"Register verified: {check.entries} entries, none altered.")
        return
    click.echo(
        f"Register altered: entry {check.broken_at} does not verify ({check.reason}). Restore "
        "the database from a backup, and find out who changed it (see the audit log).",
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
        name, document_language = association.name, association.language
    if path.suffix.lower() == ".pdf":
        data = register_export.pdf_in(
            # the association's register, in its language (French for a loi 1901 association)
            entries,
            check,
            name=name,
            language=document_language,
            made_at=datetime.now(UTC),
        )
        path.write_bytes(data)
    else:
        path.write_text(register_export.to_csv(entries), encoding="utf-8")
    click.echo(f"{len(entries)} entries written to {path}.")
