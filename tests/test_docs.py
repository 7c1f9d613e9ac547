"""The documentation keeps up with the code: every setting is documented."""

from __future__ import annotations

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
