"""Recorded Nextcloud 29 exchanges (``tests/fixtures/nextcloud``: real answers of a Nextcloud 29
server, kept in the repository so that a fresh clone tests alone; see its README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import responses

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "nextcloud"
BASE_URL = "http://nextcloud.example"


def load_fixture(name: str) -> dict[str, Any]:
    """The exchange ``NN-…json`` whose file name starts with ``name`` ("52" or "52-caldav-…")."""
    matches = sorted(FIXTURES.glob(f"{name}*.json"))
    if len(matches) != 1:
        raise LookupError(f"{len(matches)} fixtures match {name!r} in {FIXTURES}")
    data: dict[str, Any] = json.loads(matches[0].read_text(encoding="utf-8"))
    return data


def response_body(name: str) -> bytes:
    """The recorded response body of fixture ``name`` as bytes."""
    return str(load_fixture(name)["response"]["body"]).encode("utf-8")


def add_fixture(rsps: responses.RequestsMock, name: str) -> dict[str, Any]:
    """Register fixture ``name`` on ``rsps`` at :data:`BASE_URL` + its recorded path."""
    fx = load_fixture(name)
    answer = fx["response"]
    rsps.add(
        fx["request"]["method"],
        BASE_URL + fx["request"]["path"],
        status=answer["status"],
        body=str(answer["body"]).encode("utf-8"),
        headers={k: v for k, v in answer["headers"].items() if k.lower() != "content-type"},
        content_type=answer["headers"].get("Content-Type", "text/plain"),
    )
    return fx
