"""The command line says what went wrong in the reader's language: French with
``QUORUM_LANGUAGE=fr`` even in an English terminal (``LANG=C.UTF-8``), English with
``QUORUM_LANGUAGE=en`` even in a French one; Click's own words follow the same choice; every
error code has a French text, and every error the command line raises has a code."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner, Result

from sidecar.cli import cli
from sidecar.error_texts import TEXTS

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "sidecar/translations/fr/LC_MESSAGES/messages.po"
FRENCH = {"QUORUM_LANGUAGE": "fr", "LC_ALL": None, "LC_MESSAGES": None, "LANG": "C.UTF-8"}
ENGLISH = {"QUORUM_LANGUAGE": "en", "LC_ALL": None, "LC_MESSAGES": None, "LANG": "fr_FR.UTF-8"}
# Words that give an English sentence away (French output has none of them).
ENGLISH_MARKERS = (" the ", "No ", "does not", "Unknown", " is not ", "Error:", "Usage:", "Missing")

Run = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    """``quorum`` against a fresh SQLite database, with two associations (club, autre) and a
    source ``s`` of club that is never contacted."""
    base = {
        "QUORUM_DATA_DIR": str(tmp_path / "data"),
        "QUORUM_DATABASE_URL": f"sqlite:///{tmp_path / 'q.db'}",
        "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
        "LANGUAGE": None,
    }
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str | None], stdin: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=stdin, env=base | env)

    for slug in ("club", "autre"):
        assert invoke("association", "create", slug, env=ENGLISH).exit_code == 0
    added = invoke(
        "-a", "club", "source", "add", "s", "--url", "http://127.0.0.1:9", "--login", "a",
        "--password-stdin", "--no-discover", "--no-job", stdin="secret\n", env=ENGLISH,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    yield invoke


def _toml(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# (arguments, the French text, the English text)
CASES: list[tuple[tuple[str, ...], str, str]] = [
    (("-a", "nope", "job", "list"), "Aucune association « nope »", "No association 'nope'"),
    (("job", "list"), "Ce Quorum sert plusieurs associations", "serves several associations"),
    (("-a", "autre", "sync"), "Rien à synchroniser", "Nothing to sync"),
    (("-a", "club", "sync", "--source", "x"), "Aucune source nommée « x »", "No source named 'x'"),
    (("-a", "club", "job", "pause", "x"), "Aucune tâche « x »", "No job 'x'"),
    (
        ("-a", "club", "job", "create", "j", "--source", "s", "--every", "3parsecs"),
        "« 3parsecs » n’est pas un intervalle",
        "'3parsecs' is not an interval",
    ),
    (
        ("-a", "club", "job", "create", "j", "--source", "s", "--cron", "99 * * * *"),
        "n’est pas une expression cron",
        "is not a cron expression",
    ),
    (
        ("association", "create", "Bad Slug"),
        "« Bad Slug » n’est pas un identifiant valide",
        "is not a valid slug",
    ),
    (("association", "create", "club"), "« club » existe déjà", "exists already"),
    (("-a", "club", "alerts", "ack", "999"), "Aucune alerte n° 999", "No alert #999"),
    (("-a", "club", "alerts", "test", "--channel", "x"), "Aucun canal « x »", "No channel 'x'"),
    (("-a", "club", "token", "revoke", "999"), "Aucun jeton d’API n° 999", "No API token 999"),
    (("-a", "autre", "setup"), "Aucune source pour l’instant", "No source yet"),
    (
        ("-a", "club", "source", "add", "t", "--url", "http://127.0.0.1:9", "--login", "a"),
        "Donnez le mot de passe d’application",
        "Give the app password",
    ),
    (("-a", "club", "alerts", "list", "--state", "weird"), "Valeur non valide", "Invalid value"),
    (("-a", "club", "alerts", "test"), "Option manquante", "Missing option"),
]
FILES = [
    ("language.toml", '[association]\nlanguage = "de"\n', "association.language : de", "'de'"),
    ("broken.toml", "[association\n", "n’est pas du TOML valide", "not valid TOML"),
    ("member.toml", '[[members]]\nname = "X"\n', "adresse e-mail valide", "needs a valid email"),
    ("key.toml", "[association]\ncolour = 1\n", "Clé « colour » inconnue", "Unknown key"),
]


def _failing(run: Run, tmp_path: Path, env: dict[str, str | None]) -> list[tuple[str, str]]:
    """(French text, output) of every failing command, run in ``env``, then (English text...)."""
    found = []
    for args, french, english in CASES:
        result = run(*args, env=env)
        assert result.exit_code != 0, (args, result.output)
        found.append((french if env is FRENCH else english, result.output))
    for name, text, french, english in FILES:
        result = run("-a", "club", "config", "import", _toml(tmp_path, name, text), env=env)
        assert result.exit_code == 1, (name, result.output)
        found.append((french if env is FRENCH else english, result.output))
    return found


def test_failing_commands_speak_french_in_an_english_terminal(run: Run, tmp_path: Path) -> None:
    for expected, output in _failing(run, tmp_path, FRENCH):
        assert expected in output, output
        assert "Erreur : " in output, output
        assert not [m for m in ENGLISH_MARKERS if m in output], output


def test_failing_commands_speak_english_in_a_french_terminal(run: Run, tmp_path: Path) -> None:
    for expected, output in _failing(run, tmp_path, ENGLISH):
        assert expected in output, output
        assert "Error: " in output and "Erreur" not in output, output


def test_what_went_well_is_said_in_french_with_plurals(run: Run, tmp_path: Path) -> None:
    created = run("-a", "club", "job", "create", "j", "--source", "s", "--every", "1h", env=FRENCH)
    assert "Tâche « j » créée (toutes les heures)" in created.output, created.output
    listed = run("-a", "club", "job", "list", env=FRENCH).output
    assert "toutes les heures" in listed and "planifiée" in listed and "UTC" not in listed, listed
    english = run("-a", "club", "job", "list", env=ENGLISH).output
    assert "every 1h\tscheduled" in english and "UTC" in english, english  # what scripts read
    associations = run("association", "list", env=FRENCH).output
    assert "jamais" in associations and "sans tâche" in associations, associations
    one = '[[members]]\nname = "A"\nemail = "a@x.fr"\n'
    two = one + '[[members]]\nname = "B"\nemail = "b@x.fr"\n'
    once = run("-a", "club", "config", "import", _toml(tmp_path, "1.toml", one), env=FRENCH)
    assert "1 membre," in once.output and "Importé" in once.output, once.output
    twice = run("-a", "club", "config", "import", _toml(tmp_path, "2.toml", two), env=FRENCH)
    assert "2 membres," in twice.output, twice.output
    assert (
        "2 members,"
        in run("-a", "club", "config", "import", _toml(tmp_path, "3.toml", two), env=ENGLISH).output
    )
    verified = run("-a", "club", "minutes", "verify", env=FRENCH).output
    assert "Registre vérifié : 0 inscription" in verified, verified
    for output in (created.output, listed, associations, once.output, verified):
        assert not [m for m in ENGLISH_MARKERS if m in output], output


def test_click_words_follow_quorum_language_not_the_terminal() -> None:
    runner = CliRunner()
    french = runner.invoke(cli, ["source", "add", "--help"], env=FRENCH | {"LANGUAGE": None})
    for words in ("Utilisation :", "Options :", "Afficher ce message et quitter.", "par défaut"):
        assert words in french.output, french.output
    assert "[default" not in french.output and "`" not in french.output, french.output
    group = runner.invoke(cli, ["association", "--help"], env=FRENCH | {"LANGUAGE": None})
    assert "Commandes :" in group.output, group.output
    create = runner.invoke(cli, ["association", "create", "--help"], env=FRENCH)
    flat = " ".join(create.output.split())  # help is wrapped to the terminal's width
    assert "quorum -a SLUG user create-admin" in flat and "user add" not in flat, flat
    english = runner.invoke(cli, ["source", "add", "--help"], env=ENGLISH | {"LANGUAGE": None})
    assert "Usage:" in english.output and "[default: 15m]" in english.output, english.output
    assert "Utilisation" not in english.output and "`" not in english.output


def test_every_error_code_has_a_french_text() -> None:
    with CATALOGUE.open("rb") as handle:
        catalog = read_po(handle)
    french = {m.id: m.string for m in catalog if m.id and m.string}
    missing = [code for code, msgid in TEXTS.items() if not french.get(msgid)]
    assert missing == []
    untranslated = [code for code, msgid in TEXTS.items() if french[msgid] == msgid]
    assert untranslated == []


# The modules whose errors reach the command line; each error they raise names its code.
CODED = [
    *sorted((ROOT / "sidecar/cli").glob("*.py")),
    *(ROOT / "sidecar" / name for name in ("context.py", "config.py")),
    *(
        ROOT / "sidecar/services" / f"{name}.py"
        for name in ("jobs", "sources", "federation", "settings_io", "api_tokens", "accounts")
    ),
    ROOT / "sidecar/alerts/service.py",
]
ERRORS = {"QuorumError", "ConfigError", "NotFound"}


def test_every_error_the_command_line_meets_has_a_code() -> None:
    uncoded = []
    for path in CODED:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                name = getattr(node.exc.func, "id", None) or getattr(node.exc.func, "attr", None)
                if name in ERRORS and not any(k.arg == "code" for k in node.exc.keywords):
                    uncoded.append(f"{path.relative_to(ROOT)}:{node.lineno}")
                elif name in ERRORS:
                    code = next(k.value for k in node.exc.keywords if k.arg == "code")
                    assert isinstance(code, ast.Constant) and code.value in TEXTS, (path, code)
    assert uncoded == []
