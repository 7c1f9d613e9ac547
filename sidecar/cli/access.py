"""``quorum user``, ``quorum token`` and ``quorum secrets``."""

from __future__ import annotations

import getpass
import sys

import click
from sqlalchemy.orm import Session

from sidecar.cli.base import Ctx, pass_ctx
from sidecar.cli.words import _, ngettext
from sidecar.context import resolve_association
from sidecar.errors import NotFound, QuorumError
from sidecar.security.secrets_rotation import rotate_secrets
from sidecar.services import accounts, api_tokens


def _audit(session: Session, action: str, association_id: int | None, **details: object) -> None:
    actor = f"cli:{getpass.getuser()}"
    accounts.record_audit(
        session, action, actor=actor, user_id=None, association_id=association_id, details=details
    )


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group()
def user() -> None:
    """Accounts that sign in to the web UI."""


@user.command("create-admin")
@click.argument("login")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_ctx
def user_create_admin(ctx: Ctx, login: str, password_stdin: bool) -> None:
    """Create a local admin (or reset its password): for first setup, or without Nextcloud."""
    password = _read_password(password_stdin)
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association, create=True)
        created = accounts.create_local_admin(session, association, login, password)
        _audit(session, "user.create_admin", association.id, login=created.login)
        slug = association.slug
    click.echo(_("Admin %(login)s can sign in to association “%(slug)s”.", login=login, slug=slug))


@click.group()
def token() -> None:
    """Personal API tokens (``Authorization: Bearer …``)."""


@token.command("create")
@click.argument("name")
@click.option("--user", "login", required=True, help="Login of the user the token acts as.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(api_tokens.SCOPES),
    default=("read",),
    show_default=True,
    help="Repeat for several: --scope read --scope write.",
)
@pass_ctx
def token_create(ctx: Ctx, name: str, login: str, scopes: tuple[str, ...]) -> None:
    """Issue a token; it is printed once and only its hash is stored."""
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association)
        found = accounts.find_user(session, association.id, login)
        if found is None:
            raise NotFound(
                f"No user {login!r} in {association.slug!r}.",
                code="user.unknown",
                login=login,
                association=association.slug,
            )
        value = api_tokens.create_token(session, found, name, scopes)
        _audit(session, "token.create", association.id, user=login, name=name, scopes=scopes)
    click.echo(value)


@token.command("list")
@pass_ctx
def token_list(ctx: Ctx) -> None:
    """Tokens of the association: id, user, name, scopes, last use, state."""
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association)
        rows = api_tokens.list_tokens(session, association.id)
    for t in rows:
        used = t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else _("never used")
        state = _("revoked") if t.revoked else _("active")
        click.echo(f"{t.id}\t{t.user}\t{t.name}\t{','.join(t.scopes)}\t{used}\t{state}")


@token.command("revoke")
@click.argument("token_id", type=int)
@pass_ctx
def token_revoke(ctx: Ctx, token_id: int) -> None:
    """Revoke a token at once (``quorum token list`` shows the ids)."""
    with ctx.services.db.session() as session:
        association = resolve_association(session, ctx.association)
        api_tokens.revoke_token(session, association.id, token_id)
        _audit(session, "token.revoke", association.id, token_id=token_id)
    click.echo(_("Token %(id)s revoked.", id=token_id))


@click.group()
def secrets() -> None:
    """Secrets at rest (app passwords, SMTP passwords, webhook secrets)."""


@secrets.command("rotate")
@pass_ctx
def secrets_rotate(ctx: Ctx) -> None:
    """Re-encrypt every stored secret with a new key, then drop the old key."""
    services = ctx.services
    key_file = services.settings.effective_key_file
    if not key_file.exists():
        raise QuorumError(
            f"No key file at {key_file}: nothing to rotate.",
            code="secrets.no_key_file",
            path=key_file,
        )
    count = rotate_secrets(services.db, key_file)
    with services.db.session() as session:
        _audit(session, "secrets.rotate", None, count=count)
    click.echo(
        ngettext(
            "%(num)d secret re-encrypted with a new key; the old key was removed.",
            "%(num)d secrets re-encrypted with a new key; the old key was removed.",
            count,
        )
    )
