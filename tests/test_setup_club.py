"""End to end: a second association, set up only through the guided setup's proposals.

The basketball club (sidecar.demo.seed_club) names nothing the way the first sample or Quorum's
defaults do. It is served by the demo server, added with `quorum source add`, set up with
`quorum setup --accept` (every proposal taken as proposed, nothing configured by hand), synced
with `quorum sync`; then its meetings, dossiers and sharing findings must be right.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sidecar.cli import cli
from sidecar.config import load_settings
from sidecar.context import Services, resolve_association
from sidecar.demo.seed_club import CLUB_LOGIN, CLUB_USERS, ClubInfo, seed_club
from sidecar.demo.server import DemoServer
from sidecar.projection.grants import Dossier
from sidecar.projection.meetings import Meeting
from sidecar.services import dossiers as grants_service
from sidecar.services import meetings as meetings_service
from sidecar.services import share_audit
from sidecar.storage.models import Body, Collection


@dataclass
class Club:
    info: ClubInfo
    services: Services
    setup_output: str
    url: str


@pytest.fixture(scope="module")
def club(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Club]:
    root = tmp_path_factory.mktemp("club")
    info = seed_club(root / "nextcloud", date.today())
    env = {
        "QUORUM_DATA_DIR": str(root / "data"),
        "QUORUM_DATABASE_URL": f"sqlite:///{root / 'quorum.db'}",
        "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    runner = CliRunner()
    with DemoServer(root / "nextcloud", users=CLUB_USERS) as server:

        def run(*args: str, stdin: str | None = None) -> str:
            result = runner.invoke(cli, list(args), input=stdin, env=env, catch_exceptions=False)
            assert result.exit_code == 0, result.output
            return result.output

        password = CLUB_USERS[CLUB_LOGIN] + "\n"
        run("source", "add", "club", "--url", server.url, "--login", CLUB_LOGIN,
            "--password-stdin", stdin=password)  # fmt: skip
        output = run("setup", "--accept")
        report = json.loads(run("sync", "--json"))
        assert [r["outcome"] for r in report] == ["ok"]
        services = Services.from_settings(
            load_settings(overrides={"data_dir": env["QUORUM_DATA_DIR"],
                                     "database_url": env["QUORUM_DATABASE_URL"],
                                     "allow_private_addresses": "true"})
        )  # fmt: skip
        yield Club(info, services, output, server.url)
        services.db.dispose()


def _meetings(club: Club) -> list[Meeting]:
    with club.services.db.session() as session:
        association = resolve_association(session, None)
        return meetings_service.list_meetings(session, association.id, datetime.now(UTC))


def test_every_calendar_and_folder_gets_a_role(club: Club) -> None:
    with club.services.db.session() as session:
        roles = {
            c.display_name: (c.role, c.enabled)
            for c in session.query(Collection).filter(Collection.kind == "calendar")
        }
        settings = resolve_association(session, None).settings
    assert roles == {
        "Vie du club": ("meetings", True),
        "Dates limites": ("deadlines", True),
        "Entraînements": ("activities", True),
        "Anniversaires": ("ignore", False),
    }
    assert settings["folder_roles"] == {
        "/Communication/": "communication",
        "/Financements/": "grants",
        "/Instances/": "governance",
        "/Trésorerie/": "sensitive",
    }
    assert settings["grants_folder"] == "Financements/"
    evidence = (
        "  Vie du club\t→ meetings\t(its name “Vie du club” suggests it; 1 events named "
        "“Comité directeur”, 1 of them recurring; 1 events named “AGO”)"
    )
    assert evidence in club.setup_output.splitlines()


def test_bodies_come_from_the_meetings_with_their_folders(club: Club) -> None:
    with club.services.db.session() as session:
        bodies = {b.code: b for b in session.query(Body)}
        seats = {code: sorted(m.member.email for m in b.memberships) for code, b in bodies.items()}
        nc_users = {m.member.nc_user for b in bodies.values() for m in b.memberships}
        folders = {code: b.folder for code, b in bodies.items()}
    assert folders == {"CD": "Instances/Comité directeur", "AG": "Instances/AG"}
    assert len(seats["CD"]) == 5 and "karim.belkacem@vbc.example" in seats["CD"]
    assert "karim" in nc_users  # matched to the Nextcloud account, for the sharing audit


def test_meetings_and_their_documents(club: Club) -> None:
    info = club.info
    meetings = _meetings(club)
    cd = {m.day: m for m in meetings if m.body.code == "CD"}
    assert set(cd) == {d for d in info.cd_dates if d in cd}  # only the series' own days
    assert len(cd) >= 8
    overdue = sorted(d for d, m in cd.items() if m.readiness.minutes == "overdue")
    assert overdue == [info.cd_minutes_missing]
    assert cd[info.cd_minutes_by_name].readiness.minutes == "present"
    (ag,) = [m for m in meetings if m.body.code == "AG"]
    assert ag.readiness.minutes == "present" and ag.readiness.agenda
    assert not any("Tournoi" in m.title or "Entraînement" in m.title for m in meetings)
    late = cd[info.cd_late_convocation]
    assert late.readiness.notice_ok is False and late.readiness.notice_days == 5


def test_dossiers(club: Club) -> None:
    info = club.info
    with club.services.db.session() as session:
        association = resolve_association(session, None)
        found = grants_service.dossiers(session, association, info.today)
    by_name: dict[str, Dossier] = {(d.folder or d.funder).strip("/"): d for d in found}
    assert set(by_name) == {info.fdva_folder, info.ans_folder, "Fondation Sport Avenir"}
    fdva = by_name[info.fdva_folder]
    assert fdva.submission_deadline == info.fdva_deadline - __import__("datetime").timedelta(days=2)
    assert len(fdva.deadline_events) == 2
    assert fdva.completeness is not None and 0 < fdva.completeness < 100
    ans = by_name[info.ans_folder]
    assert ans.status == "awarded" and ans.completeness is not None


def test_sharing_findings(club: Club) -> None:
    with club.services.db.session() as session:
        association = resolve_association(session, None)
        result = share_audit.share_audit(session, association, club.services.vault, club.info.today)
    found: set[tuple[str, str]] = {(f.kind, f.path) for f in result.findings}
    assert found == {
        ("public_link_no_password", "/Trésorerie"),
        ("public_link_no_expiry", "/Trésorerie"),
        ("outside_members", "/Communication"),
    }, result.findings


def test_alerts_are_the_true_ones(club: Club) -> None:
    """No false "minutes overdue", one late convocation, the password-less treasury link, the
    phantom dossier gone: the rules over the club once set up by its proposals."""
    from sidecar.alerts.inputs import gather
    from sidecar.rules import evaluate

    now = datetime.now(UTC)
    with club.services.db.session() as session:
        association = resolve_association(session, None)
        result = share_audit.share_audit(session, association, club.services.vault, club.info.today)
        inputs = gather(session, association, now, result.findings)
        settings = association.settings
    conditions = evaluate(inputs, settings, now)
    by_rule: dict[str, list[str]] = {}
    for condition in conditions:
        by_rule.setdefault(condition.rule, []).append(condition.key)
    assert len(by_rule.get("minutes_overdue", [])) == 1, by_rule
    assert club.info.cd_minutes_missing.isoformat() in by_rule["minutes_overdue"][0]
    assert not any("portail" in key for keys in by_rule.values() for key in keys), by_rule
    assert any("public_link_no_password" in key for keys in by_rule.values() for key in keys), (
        by_rule
    )


def _fresh(club: Club, tmp_path: Path) -> tuple[Callable[..., Result], Services]:
    """Another association's database, the same club server, and the source added."""
    env = {
        "QUORUM_DATA_DIR": str(tmp_path / "data"),
        "QUORUM_DATABASE_URL": f"sqlite:///{tmp_path / 'quorum.db'}",
        "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=stdin, env=env, catch_exceptions=False)

    password = CLUB_USERS[CLUB_LOGIN] + "\n"
    added = run("source", "add", "club", "--url", club.url, "--login", CLUB_LOGIN,
                "--password-stdin", "--no-job", stdin=password)  # fmt: skip
    assert added.exit_code == 0, added.output
    services = Services.from_settings(
        load_settings(overrides={"data_dir": env["QUORUM_DATA_DIR"],
                                 "database_url": env["QUORUM_DATABASE_URL"],
                                 "allow_private_addresses": "true"})
    )  # fmt: skip
    return run, services


def _settings_and_roles(services: Services) -> tuple[dict[str, Any], dict[str, str | None]]:
    with services.db.session() as session:
        settings = dict(resolve_association(session, None).settings or {})
        roles = {
            c.display_name: c.role
            for c in session.query(Collection).filter(Collection.kind == "calendar")
        }
    services.db.dispose()
    return settings, roles


def test_setup_refuses_an_unknown_role_with_the_list(club: Club, tmp_path: Path) -> None:
    run, services = _fresh(club, tmp_path)
    refused = run("setup", "--calendar", "Vie du club=bogus")
    assert refused.exit_code != 0
    assert (
        "Unknown role 'bogus' for 'Vie du club': choose one of meetings, deadlines, activities, "
        "ignore." in refused.output
    )
    wrong_folder = run("setup", "--folder", "Financements=bogus")
    assert "choose one of governance, grants, sensitive, communication, documents" in (
        wrong_folder.output
    )
    settings, roles = _settings_and_roles(services)
    assert "folder_roles" not in settings and set(roles.values()) <= {None, "meetings",
                                                                       "deadlines"}  # fmt: skip


def test_setup_applies_a_folder_role_given_on_the_command_line(club: Club, tmp_path: Path) -> None:
    run, services = _fresh(club, tmp_path)
    done = run("setup", "--folder", "Communication=grants", "--folder", "/Financements/=documents")
    assert done.exit_code == 0, done.output
    assert "Applied:" in done.output
    settings, roles = _settings_and_roles(services)
    assert settings["folder_roles"]["/Communication/"] == "grants"
    assert settings["folder_roles"]["/Financements/"] == "documents"
    assert settings["grants_folder"] == "Communication/"
    assert roles["Vie du club"] == "meetings"  # the rest as proposed


def test_setup_asks_about_each_item_in_a_terminal(
    club: Club, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --accept in a terminal, one prompt per calendar then per top folder."""
    from sidecar.cli import guided

    monkeypatch.setattr(guided, "sys", SimpleNamespace(stdin=SimpleNamespace(isatty=lambda: True)))
    run, services = _fresh(club, tmp_path)
    # Calendars in the order shown, then folders; Enter keeps the proposal.
    answers = "\n\nactivities\n\n" + "\n" * 4
    done = run("setup", stdin=answers)
    assert done.exit_code == 0, done.output
    assert (
        "Anniversaires (meetings, deadlines, activities, ignore) [ignore]: activities"
        in done.output
    )
    settings, roles = _settings_and_roles(services)
    assert roles["Anniversaires"] == "activities" and roles["Vie du club"] == "meetings"
    assert settings["grants_folder"] == "Financements/"
