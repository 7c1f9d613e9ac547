"""No SQL statement is built during a warm request to the pages and API endpoints readers open
most (issue 14): each statement is built once per process, with bound parameters, and run
with a dict of values.

Building a SQLAlchemy statement and its cache key costs about 0.17 ms
(``select(...).join(...).where(...)`` plus ``_generate_cache_key``): about as much as running
it on PostgreSQL, and with 20 clients on 2 cores every tenth of a millisecond of CPU per
request is queued behind. Counted here: the ``Select`` objects constructed during one request,
after two to warm what a worker keeps. No time is measured.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.sql.selectable import Select

from sidecar.context import Services, resolve_association
from sidecar.services import meetings as service
from tests.access_helpers import LoginAs

PAGES = (
    "/",
    "/meetings/{meeting}",
    "/api/v1/meetings/{meeting}",
    "/documents",
    "/api/v1/documents",
    "/grants",
    "/api/v1/obligations",
    "/bodies",
    "/api/v1/bodies",
)
ROOT = Path(__file__).resolve().parent.parent
SIDECAR = str(ROOT / "sidecar")


@contextmanager
def built_selects(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Where in Quorum's code each ``Select`` constructed inside the block was built."""
    seen: list[str] = []
    original = Select.__init__

    def counting(self: Select[Any], *entities: Any) -> None:
        ours = [f for f in traceback.extract_stack()[:-1] if f.filename.startswith(SIDECAR)]
        if ours:
            at = ours[-1]
            seen.append(f"{Path(at.filename).relative_to(ROOT)}:{at.lineno} {at.name}")
        else:
            seen.append("outside sidecar/")
        original(self, *entities)

    with monkeypatch.context() as patched:
        patched.setattr(Select, "__init__", counting)
        yield seen


def test_a_warm_request_builds_no_statement(
    synced: Services, login_as: LoginAs, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = login_as("admin")
    with synced.db.session() as session:
        aid = resolve_association(session, None).id
        meeting = service.list_meetings(session, aid, datetime.now(UTC))[0].id
    built = []
    for page in PAGES:
        path = page.format(meeting=meeting)
        for _ in range(2):  # warm: what a worker keeps is built
            assert client.get(path).status_code == 200, path
        with built_selects(monkeypatch) as seen:
            assert client.get(path).status_code == 200, path
        if seen:
            built.append(f"{path}: " + ", ".join(seen))
    assert not built, "statements built during a warm request:\n" + "\n".join(built)
