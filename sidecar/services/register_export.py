"""Export the register of deliberations: a CSV for a spreadsheet, a paginated PDF for a funder.

Both carry every entry with its hashes and the verdict of the chain check, so whoever receives
the export can see that the list was complete and unaltered when it was made. Column titles are
passed in by the caller (already translated). Times are written in the association's time zone,
named beside them; the CSV keeps the hashed UTC value too.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fpdf import FPDF

from sidecar import formatting, i18n
from sidecar.i18n import N_
from sidecar.projection.register import ChainCheck, RegisterEntry, entry_fields

COLUMNS = (
    "seq",
    "meeting_day",
    "body_code",
    "path",
    "fileid",
    "etag",
    "sha256",
    "approved_by",
    "approved_via",
    "approved_at",
    "prev_hash",
    "entry_hash",
    "approved_at_local",
)
#: A Unicode font when the system has one; otherwise text is folded to Latin-1 for the core font.
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


def local_text(value: datetime, tz: str) -> str:
    """« 2026-07-01 18:05 Europe/Paris »: a time in ``tz``, named, for a spreadsheet."""
    return f"{formatting.local(value, tz):%Y-%m-%d %H:%M} {tz}"


def to_csv(entries: Sequence[RegisterEntry], tz: str = "UTC") -> str:
    """One row per entry, every column; UTF-8 with a BOM so spreadsheet programs read accents.

    ``approved_at`` is the hashed value (ISO, UTC); ``approved_at_local`` the same moment in the
    association's zone ``tz``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        values = {
            **entry_fields(entry),
            "entry_hash": entry.entry_hash,
            "approved_at_local": local_text(entry.approved_at, tz),
        }
        writer.writerow([_cell(str(values[c])) for c in COLUMNS])
    return "\ufeff" + out.getvalue()


def _cell(text: str) -> str:
    """Neutralise spreadsheet formulas (a path starting with "=" must stay text)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


class _Pdf(FPDF):
    def __init__(self, footer_text: str, unicode_font: Path | None) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.footer_text = footer_text
        self.face = "Helvetica"
        if unicode_font is not None:
            self.add_font("Quorum", "", str(unicode_font))
            self.face = "Quorum"

    def fit(self, value: str) -> str:
        """Text the current font can draw."""
        if self.face != "Helvetica":
            return value
        folded = unicodedata.normalize("NFKD", value)
        return folded.encode("latin-1", "ignore").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.face, size=8)
        label = self.footer_text.replace("{page}", str(self.page_no())).replace("{pages}", "{nb}")
        self.cell(0, 8, self.fit(label), align="C")


def to_pdf(
    entries: Sequence[RegisterEntry],
    *,
    title: str,
    headers: Sequence[str],
    verdict: str,
    made_at: datetime,
    footer: str = "{page} / {pages}",
    chain: ChainCheck | None = None,
    tz: str = "UTC",
    language: str = "en",
) -> bytes:
    """A landscape A4 PDF: title, verdict of the chain check, then one block per entry.

    ``headers``: the labels of meeting, body, file, approved, by, SHA-256, entry hash.
    ``footer``: the page line, with ``{page}`` and ``{pages}``. Times are shown in ``tz``.
    """
    font = next((p for p in FONT_CANDIDATES if p.is_file()), None)
    pdf = _Pdf(footer, font)
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    pdf.set_font(pdf.face, size=14)
    pdf.cell(0, 9, pdf.fit(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.face, size=9)
    made = formatting.datetime_text(made_at, language, tz, size="short")
    pdf.cell(0, 6, pdf.fit(f"{made} ({tz}) — {verdict}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    widths = (12, 26, 18, 110, 50, 61)
    pdf.set_font(pdf.face, size=8)
    labels = ("#", *headers[:3], f"{headers[3]} ({tz})", headers[4])
    for width, label in zip(widths, labels, strict=False):
        pdf.cell(width, 6, pdf.fit(label), border=1)
    pdf.ln()
    for entry in entries:
        row = (
            str(entry.seq),
            entry.meeting_day,
            entry.body_code,
            entry.path[-70:],
            formatting.datetime_text(entry.approved_at, language, tz, size="short"),
            f"{entry.approved_by} ({entry.approved_via})",
        )
        for width, value in zip(widths, row, strict=True):
            pdf.cell(width, 6, pdf.fit(value), border=1)
        pdf.ln()
        pdf.set_font(pdf.face, size=6)
        hashes = f"{headers[5]}: {entry.sha256}   {headers[6]}: {entry.entry_hash}"
        pdf.cell(sum(widths), 4, pdf.fit(hashes), border="LRB", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(pdf.face, size=8)
    return bytes(pdf.output())


def pdf_in(
    entries: Sequence[RegisterEntry],
    chain: ChainCheck,
    *,
    name: str,
    language: str,
    made_at: datetime,
    tz: str = "UTC",
) -> bytes:
    """The register as a PDF with its words in ``language`` and its times in the association's
    zone ``tz``: the page's export and ``quorum minutes export`` give the same document."""

    def say(msgid: str, **params: object) -> str:
        return i18n.gettext(language, msgid, **params)

    verdict = (
        i18n.fill(
            i18n.translations(language).ngettext(
                "Chain verified: %(num)d entry, none altered.",
                "Chain verified: %(num)d entries, none altered.",
                chain.entries,
            ),
            {"num": chain.entries},
        )
        if chain.ok
        else say(
            N_("Chain broken at entry %(seq)s: the register was altered outside Quorum."),
            seq=chain.broken_at or 0,
        )
    )
    return to_pdf(
        entries,
        title=say(N_("Register of deliberations — %(name)s"), name=name),
        headers=(
            say(N_("Meeting")),
            say(N_("Body")),
            say(N_("File")),
            say(N_("Approved on")),
            say(N_("Approved by")),
            "SHA-256",
            say(N_("Entry hash")),
        ),
        verdict=verdict,
        made_at=made_at,
        footer=say(N_("Page {page} of {pages}")),
        tz=tz,
        language=language,
    )
