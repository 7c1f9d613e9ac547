"""The documentation keeps up with the code: every setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

from sidecar.config import OPTIONS

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    docs = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    missing = [o.name for o in OPTIONS if f"QUORUM_{o.name.upper()}" not in docs]
    assert missing == [], "document these settings in docs/deploy.md"


def test_readme_gives_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _listed_in_settings_check() -> dict[str, tuple[str, ...]]:
    """Every list of keys or values settings_check knows, by its name (new lists included)."""
    from sidecar.rules.catalogue import CATALOGUE
    from sidecar.services import settings_check

    lists = {
        name: value
        for name, value in vars(settings_check).items()
        if name.isupper() and isinstance(value, tuple) and all(isinstance(v, str) for v in value)
    }
    lists["RULES"] = tuple(rule.name for rule in CATALOGUE)
    lists["thresholds"] = tuple(
        f"{rule.name}.{name}" for rule in CATALOGUE for name in rule.thresholds
    )
    return lists


def _documented(item: str, docs: str) -> bool:
    """In backticks, as a table or a key of the TOML example (`[[bodies]]`, `key = `), or in a
    `# a | b` comment."""
    word = re.escape(item)
    return bool(
        re.search(
            rf"`{word}`|\[\[?{word}\]|^\s*{word} = |[{{,]\s*{word} = |#[^\n]*(?<![\w.-]){word}(?![\w.-])",
            docs,
            re.M,
        )
    )


def test_every_settings_key_and_value_is_in_docs_settings() -> None:
    docs = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = {
        name: [item for item in items if not _documented(item, docs)]
        for name, items in _listed_in_settings_check().items()
    }
    assert {k: v for k, v in missing.items() if v} == {}, "document these in docs/settings.md"
