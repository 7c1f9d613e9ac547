"""Settings validation and secrets at rest."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sidecar.config import load_settings
from sidecar.errors import ConfigError
from sidecar.security.vault import Vault, add_new_key, drop_old_keys


def test_defaults_and_environment() -> None:
    settings = load_settings(environ={"QUORUM_PORT": "8080", "QUORUM_LANGUAGE": "en"})
    assert settings.port == 8080 and settings.language == "en"
    assert settings.effective_database_url.startswith("sqlite:///")


def test_bad_values_name_the_variable() -> None:
    with pytest.raises(ConfigError, match="QUORUM_PORT"):
        load_settings(environ={"QUORUM_PORT": "eighty"})
    with pytest.raises(ConfigError, match=r"QUORUM_LANGUAGE.*fr or en"):
        load_settings(environ={"QUORUM_LANGUAGE": "de"})
    with pytest.raises(ConfigError, match="QUORUM_ALLOW_PRIVATE_ADDRESSES"):
        load_settings(environ={"QUORUM_ALLOW_PRIVATE_ADDRESSES": "maybe"})


def test_toml_file_and_unknown_keys(tmp_path: Path) -> None:
    good = tmp_path / "quorum.toml"
    good.write_text("[quorum]\nport = 5050\nallow_private_addresses = true\n", encoding="utf-8")
    settings = load_settings(environ={"QUORUM_CONFIG": str(good), "QUORUM_PORT": "6060"})
    assert settings.port == 6060, "the environment wins over the file"
    assert settings.allow_private_addresses is True
    bad = tmp_path / "bad.toml"
    bad.write_text("[quorum]\nprot = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"Unknown setting.*prot"):
        load_settings(environ={"QUORUM_CONFIG": str(bad)})
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(environ={"QUORUM_CONFIG": str(tmp_path / "missing.toml")})


def test_vault_roundtrip_and_key_file_mode(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    vault = Vault.from_file(key_file)
    token = vault.encrypt("app-password-123")
    assert b"app-password-123" not in token
    assert vault.decrypt(token) == "app-password-123"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "app-password" not in repr(vault) and "keys hidden" in repr(vault)


def test_rotation_keeps_old_secrets_readable(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    old_token = Vault.from_file(key_file).encrypt("s3cret")
    add_new_key(key_file)
    vault = Vault.from_file(key_file)
    new_token = vault.rotate(old_token)
    drop_old_keys(key_file)
    assert Vault.from_file(key_file).decrypt(new_token) == "s3cret"
    with pytest.raises(ConfigError, match="cannot be decrypted"):
        Vault.from_file(key_file).decrypt(old_token)
