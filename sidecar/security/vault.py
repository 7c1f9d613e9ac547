"""Secrets at rest: app passwords, SMTP passwords and webhook secrets, encrypted with Fernet.

The key lives outside the database: ``QUORUM_KEY_FILE`` (default ``<data_dir>/secret.key``, created
with mode 0600 on first use). The file may hold several keys, newest first, one per line: the
first encrypts, all decrypt, which is how ``quorum secrets rotate`` re-encrypts without downtime.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from integrations.appapi import AppApiCredentials
from sidecar.errors import ConfigError


class Vault:
    """Encrypts and decrypts small secrets; never logs or returns them in a repr."""

    #: The AppAPI identity and secret of this process (``QUORUM_MODE=appapi``), set once from the
    #: settings by :meth:`sidecar.context.Services.from_settings`; None outside app mode.
    appapi: AppApiCredentials | None = None

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ConfigError("No encryption key: set QUORUM_KEY_FILE to a file holding one.")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def __repr__(self) -> str:
        return "Vault(<keys hidden>)"

    @classmethod
    def from_file(cls, path: Path, *, create: bool = True) -> Vault:
        if not path.exists():
            if not create:
                raise ConfigError(f"The key file {path} does not exist.")
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key() + b"\n")
        lines = [line.strip() for line in path.read_bytes().splitlines() if line.strip()]
        try:
            return cls(lines)
        except ValueError as err:
            raise ConfigError(f"The key file {path} does not hold valid Fernet keys.") from err

    def encrypt(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken as err:
            raise ConfigError(
                "A stored secret cannot be decrypted with the current key file: "
                "restore the old key (add it as a second line) or enter the secret again."
            ) from err

    def rotate(self, token: bytes) -> bytes:
        return self._fernet.rotate(token)


def add_new_key(path: Path) -> None:
    """Put a fresh key first in the key file, keeping the old ones for decryption."""
    old = path.read_bytes() if path.exists() else b""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(Fernet.generate_key() + b"\n" + old)
    tmp.replace(path)


def drop_old_keys(path: Path) -> None:
    """After rotation, keep only the newest key."""
    first = path.read_bytes().splitlines()[0]
    path.chmod(0o600)
    path.write_bytes(first + b"\n")
