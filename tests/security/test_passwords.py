"""Local passwords are stored as scrypt hashes at werkzeug's full strength (N=2^15, r=8, p=1).

The suite lowers the strength for speed (tests/conftest.py), so this looks at the product in a
Python process of its own, where no test set-up has run.
"""

from __future__ import annotations

import subprocess
import sys

from werkzeug.security import check_password_hash

PROBE = "from sidecar.services.accounts import hash_password; print(hash_password('a secret'))"


def test_a_password_is_stored_as_a_full_strength_scrypt_hash() -> None:
    stored = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    method, salt, digest = stored.split("$")
    assert method == "scrypt:32768:8:1"
    assert len(salt) >= 16 and len(digest) == 128  # a 16-character salt, a 64-byte key
    assert check_password_hash(stored, "a secret") and not check_password_hash(stored, "secret")
