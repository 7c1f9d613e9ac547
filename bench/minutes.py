"""Benchmark: reading minutes and verifying the register (pure work, no server).

For each format it makes one realistic PV (the board meeting of the tests: 11 fields, three
actions, a table) with the real libraries, then times text extraction plus reading the fields
and the actions, as a scan does for each PV whose ETag changed. The baseline is what a scan
without the ETag gate would cost: reading every PV again at every alerts cycle. It also times
the verification of a register of 1 000 and 10 000 entries (each hashed and linked).

    .venv/bin/python bench/minutes.py
    .venv/bin/python bench/minutes.py --pvs 200 --repeat 20
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from datetime import UTC, date, datetime

from sidecar.projection.actions import read_actions
from sidecar.projection.minutes import read_minutes
from sidecar.projection.register import (
    GENESIS,
    ChainHead,
    RegisterEntry,
    entry_fields,
    hash_of,
    verify,
)
from sidecar.services.minutes_text import extract_text
from tests.minutes.documents import clean_pv, docx, odt, pdf

DAY = date(2026, 3, 7)
ACTIONS = [
    "Action : Bernard — relancer la mairie avant le 15/01",
    "- [ ] Hélène : commander les graines (échéance 28/02)",
]
TABLE = [["Qui", "Action", "Échéance"], ["Alice", "Envoyer le bilan", "31/03/2027"]]


def _documents() -> dict[str, bytes]:
    lines = clean_pv(DAY, ACTIONS)
    return {
        "pv.md": "\n".join(lines).encode(),
        "pv.odt": odt(lines, TABLE),
        "pv.docx": docx(lines, TABLE),
        "pv.pdf": pdf(lines),
    }


def _read_ms(name: str, data: bytes, repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        text = extract_text(name, data)
        read_minutes(text)
        read_actions(text, DAY)
    return (time.perf_counter() - started) * 1000 / repeat


def _chain(n: int) -> list[RegisterEntry]:
    entries, previous = [], GENESIS
    at = datetime(2026, 3, 14, tzinfo=UTC)
    for seq in range(1, n + 1):
        draft = RegisterEntry(seq, f"u{seq}", "2026-03-07", "CA", f"/PV {seq}.pdf", str(seq),
                              f'"{seq}"', "a" * 64, "chloe", "officer", at, previous, "")  # fmt: skip
        entry = replace(draft, entry_hash=hash_of(entry_fields(draft)))
        entries.append(entry)
        previous = entry.entry_hash
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pvs", type=int, default=100, help="PVs in the association")
    parser.add_argument("--repeat", type=int, default=10, help="readings averaged per format")
    args = parser.parse_args()
    print(
        f"format  bytes    ms/PV | a scan of {args.pvs} unchanged PVs: without the ETag gate | with it"
    )
    print("-" * 92)
    for name, data in _documents().items():
        ms = _read_ms(name, data, args.repeat)
        ungated = f"{args.pvs} downloads + {ms * args.pvs:,.0f} ms reading"
        print(f"{name[3:]:<6} {len(data):>6} {ms:>8.2f} | {ungated:>43} | 0 downloads, 0 ms")
    for n in (1_000, 10_000):
        entries = _chain(n)
        started = time.perf_counter()
        assert verify(entries, ChainHead(n, entries[-1].entry_hash)).ok
        print(
            f"verify a register of {n:>6} entries: {(time.perf_counter() - started) * 1000:8.1f} ms"
        )


if __name__ == "__main__":
    main()
