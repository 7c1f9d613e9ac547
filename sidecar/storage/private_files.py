"""Files only Quorum's own account may read: the database, keys, secrets and backups (0600).

Created with the mode from the start (``O_CREAT`` with 0600, whatever the umask), so there is
no moment when another local account could open them; an existing file is narrowed too.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_MODE = 0o600


def ensure_private(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 if missing, else set its mode to 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        path.chmod(PRIVATE_MODE)
    else:
        os.close(fd)
    return path


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` to a new or existing file that stays 0600."""
    ensure_private(path)
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
