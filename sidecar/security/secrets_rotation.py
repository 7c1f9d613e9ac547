"""``quorum secrets rotate``: a new key encrypts every stored secret, then the old keys go.

Every ``*_enc`` column of every table is a Fernet token (app passwords, SMTP passwords, webhook
secrets...): finding them by name means a column added later is rotated too. The key file holds
the new key first and the old ones after it until the database transaction has committed, so a
failure half-way leaves every secret readable.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Table, select, update

from sidecar.security.vault import Vault, add_new_key, drop_old_keys
from sidecar.storage import Database
from sidecar.storage.models import Base


def encrypted_columns() -> list[tuple[Table, list[str]]]:
    """Each table with its ``*_enc`` columns."""
    found = []
    for table in Base.metadata.sorted_tables:
        names = [c.name for c in table.columns if c.name.endswith("_enc")]
        if names:
            found.append((table, names))
    return found


def rotate_secrets(db: Database, key_file: Path) -> int:
    """Re-encrypt every stored secret with a fresh key and drop the old keys; return the count."""
    add_new_key(key_file)
    vault = Vault.from_file(key_file, create=False)
    count = 0
    with db.session() as session:
        for table, names in encrypted_columns():
            key = list(table.primary_key.columns)
            for row in session.execute(select(*key, *(table.c[n] for n in names))).mappings():
                values = {n: vault.rotate(row[n]) for n in names if row[n]}
                if not values:
                    continue
                where = [column == row[column.name] for column in key]
                session.execute(update(table).where(*where).values(**values))
                count += len(values)
    drop_old_keys(key_file)
    return count
