"""``quorum demo``: the demo Nextcloud, a connected source, a first sync, and the web UI.

Everything lives in one data directory (default ``.quorum-demo/``): the demo server's files and
calendars, the SQLite database and the key file. Ctrl-C stops the web UI and the demo server.
"""

from __future__ import annotations

import socket
from datetime import date
from pathlib import Path

from sqlalchemy import select

from sidecar.config import load_settings
from sidecar.context import Services, resolve_association
from sidecar.demo import DEMO_LOGIN, DEMO_USERS, DemoServer, seed
from sidecar.demo.seed import BUREAU_MEMBERS, CA_MEMBERS, MEMBERS
from sidecar.services import jobs
from sidecar.services import sources as sources_service
from sidecar.services.settings_io import import_settings
from sidecar.storage.models import Source
from sidecar.sync.connection import connect
from sidecar.sync.runner import RunOptions

DEMO_SOURCE = "demo"
DEMO_EVERY = "15m"
DEMO_ADMIN = "admin"


def run_demo(data_dir: Path, port: int) -> None:
    data_dir = data_dir.resolve()
    _check_port_free(port)
    info = seed(data_dir / "nextcloud", date.today())
    services = Services.from_settings(
        load_settings(overrides={"data_dir": str(data_dir), "allow_private_addresses": "true"})
    )
    with DemoServer(data_dir / "nextcloud", seed_info=info) as server:
        print(f"Demo Nextcloud (Radicale + WsgiDAV) on {server.url}", flush=True)
        source_id = connect_demo_source(services, server.url)
        _demo_job(services, source_id)
        admin_password = _demo_admin(services)
        report = jobs.sync_source(services.db, services.vault, source_id, options=RunOptions())
        print(
            f"First sync: {report.outcome}, {report.counts.added} items, "
            f"{report.requests} requests, {report.seconds:.1f} s",
            flush=True,
        )
        from sidecar.scheduler import Scheduler
        from sidecar.web import create_app
        from sidecar.web.serving import serve_app

        app = create_app(services=services)
        scheduler = Scheduler(services, tick_seconds=services.settings.scheduler_tick)
        scheduler.start(blocking=False)
        print(
            f"Scheduler running: the demo source syncs every {DEMO_EVERY} and “run now” works.",
            flush=True,
        )
        try:
            serve_app(
                app,
                "127.0.0.1",
                port,
                banner=(
                    f"\n  Quorum demo: http://127.0.0.1:{port}/\n"
                    f"  Sign in to Quorum: {DEMO_ADMIN} / {admin_password}\n"
                    f"  (demo Nextcloud login: {DEMO_LOGIN} / {DEMO_USERS[DEMO_LOGIN]})\n"
                    f"  The command line reads this demo with QUORUM_DATA_DIR={data_dir}\n"
                    "  Press Ctrl-C to stop.\n"
                ),
            )
        finally:
            scheduler.stop()
    print("Demo stopped.")


def _demo_job(services: Services, source_id: int) -> None:
    """The demo source's sync job, as `quorum source add` creates one for any source."""
    with services.db.session() as session:
        association = resolve_association(session, None)
        source = session.get(Source, source_id)
        if source is not None and not jobs.list_jobs(session, association.id):
            jobs.create_job(session, association, source, DEMO_SOURCE, every=DEMO_EVERY)


def _demo_admin(services: Services) -> str:
    """A local admin with a fresh password each run (printed in the banner; only its hash is stored)."""
    import secrets

    from sidecar.services.accounts import create_local_admin

    password = secrets.token_urlsafe(12)
    with services.db.session() as session:
        create_local_admin(session, resolve_association(session, None), DEMO_ADMIN, password)
    return password


def _check_port_free(port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as err:
            raise SystemExit(
                f"Port {port} is already in use: stop what runs there, or use "
                f"`quorum demo --port 5001`."
            ) from err


def connect_demo_source(services: Services, url: str) -> int:
    """Add (or re-point, since the port may change) the demo source, and the demo settings."""
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        association.name = "Jardins partagés de la Croix-Rousse"
        existing = session.scalar(
            select(Source).where(
                Source.association_id == association.id, Source.name == DEMO_SOURCE
            )
        )
        if existing is None:
            existing = sources_service.add_source(
                session,
                services.vault,
                association,
                DEMO_SOURCE,
                url,
                DEMO_LOGIN,
                DEMO_USERS[DEMO_LOGIN],
                allow_private=True,
            )
            import_settings(session, association, demo_settings_toml())
        existing.base_url = url.rstrip("/") + "/"
        conn = connect(existing, services.vault, deadline=services.settings.http_timeout)
        try:
            found = sources_service.probe(conn)
        finally:
            conn.close()
        sources_service.record_discovery(session, existing, found)
        return existing.id


def demo_settings_toml() -> str:
    """The sample association's bodies and roster, as an admin would import them."""
    lines = ["[association]", 'name = "Jardins partagés de la Croix-Rousse"', ""]
    for member in MEMBERS:
        lines += [
            "[[members]]",
            f'name = "{member.name}"',
            f'email = "{member.email}"',
            f'nextcloud_user = "{member.uid}"',
            "",
        ]
    bodies = (
        ("CA", "Conseil d'administration", "ca", CA_MEMBERS),
        ("BUREAU", "Bureau", "bureau", BUREAU_MEMBERS),
        ("AG", "Assemblée générale", "ag", CA_MEMBERS),
    )
    roles = {m.uid: m.role for m in MEMBERS}
    emails = {m.uid: m.email for m in MEMBERS}
    for code, name, kind, uids in bodies:
        lines += ["[[bodies]]", f'code = "{code}"', f'name = "{name}"', f'kind = "{kind}"']
        lines += [f"members = [{', '.join(_ref(emails[u], roles[u]) for u in uids)}]", ""]
    return "\n".join(lines)


def _ref(email: str, role: str) -> str:
    return f'{{ email = "{email}", role = "{role}" }}'
