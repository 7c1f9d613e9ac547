"""The command line in the reader's language: French help and messages when the language is
French, English otherwise, from the web's catalogue; --help without markup; plurals that agree."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from sidecar.cli import cli
from sidecar.cli.base import run_summary
from sidecar.cli.words import CLICK_WORDS, help_texts
from sidecar.sync.counts import Counts
from sidecar.sync.runner import RunReport

FRENCH = {"QUORUM_LANGUAGE": "fr", "LC_ALL": None, "LC_MESSAGES": None, "LANG": "fr_FR.UTF-8"}
ENGLISH = {"QUORUM_LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "C.UTF-8"}
CATALOGUE = Path(__file__).resolve().parents[1] / "sidecar/translations/fr/LC_MESSAGES/messages.po"


def _helps(env: dict[str, str | None]) -> dict[str, str]:
    """The --help page of every command, in the language of ``env``."""
    pages: dict[str, str] = {}

    def walk(path: list[str], command: click.Command) -> None:
        result = CliRunner().invoke(cli, [*path, "--help"], env=env)
        assert result.exit_code == 0, result.output
        pages[" ".join(path) or "quorum"] = result.output
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk([*path, name], sub)

    walk([], cli)
    return pages


def test_help_in_french_then_in_english_without_markup() -> None:
    french = _helps(FRENCH)
    assert "Tâches de synchronisation planifiées" in french["job"]
    assert "Utilisation :" in french["job"] and "Afficher ce message et quitter." in french["job"]
    assert "--appapi-user NCUSER à la place" in french["source add"]
    english = _helps(ENGLISH)
    assert "Scheduled sync jobs (interval or cron)." in english["job"]
    for page in (*french.values(), *english.values()):
        assert "``" not in page, page


def test_help_follows_the_language_of_each_run_not_of_the_first() -> None:
    """Click caches a command's --help option with the words of its first use."""
    english = CliRunner().invoke(cli, ["job", "--help"], env=ENGLISH).output
    french = CliRunner().invoke(cli, ["job", "--help"], env=FRENCH).output
    assert "Show this message and exit." in english
    assert "Afficher ce message et quitter." in french


def test_every_help_text_has_a_french_translation() -> None:
    with CATALOGUE.open("rb") as handle:
        catalog = read_po(handle)
    known = {m.id for m in catalog if m.id and m.string}
    missing = [t for t in (*help_texts(cli), *CLICK_WORDS) if t not in known]
    assert missing == []


@pytest.mark.parametrize(
    ("env", "one", "two"),
    [(ENGLISH, "1 request,", "2 requests,"), (FRENCH, "1 requête,", "2 requêtes,")],
)
def test_a_run_summary_agrees_with_its_counts(
    env: dict[str, str | None], one: str, two: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    report = RunReport(1, "demo", "ok", Counts(added=1), requests=1, seconds=0.5)
    assert one in run_summary(report)
    report.requests = 2
    assert two in run_summary(report)
    assert ("demo: ok" in run_summary(report)) == (env is ENGLISH)  # scripts read "ok"
