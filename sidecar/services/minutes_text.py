"""The plain text of a minutes file: Markdown or text, ODT (odfpy), DOCX (python-docx), PDF (pypdf).

Paragraphs come out one per line, list items prefixed with "- ", table rows as cells joined by
" | " (so the actions reader sees a table whatever the format). Files are read from bytes
already downloaded; a file too large, or one the library cannot open, raises
:class:`UnreadableMinutes` with a sentence saying what to do.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

#: Above this, Quorum does not try to read a PV (a PV is a few pages; a scan can be huge).
MAX_BYTES = 10 * 1024 * 1024
MAX_PDF_PAGES = 60
#: ODT and DOCX are zip archives: refuse one that would inflate beyond this (a zip bomb).
MAX_UNZIPPED = 50 * 1024 * 1024
READABLE = (".md", ".markdown", ".txt", ".odt", ".docx", ".pdf")


class UnreadableMinutes(ValueError):
    """The file's text could not be read; the message says why and what to do."""


def readable(name: str) -> bool:
    """Whether Quorum can read the text of a file named ``name``."""
    return name.lower().endswith(READABLE)


def extract_text(name: str, data: bytes) -> str:
    """The text of the minutes file ``name`` whose content is ``data``."""
    if len(data) > MAX_BYTES:
        raise UnreadableMinutes(
            f"{name} is larger than {MAX_BYTES // 1024 // 1024} MB: save the PV as a lighter "
            "PDF, ODT or DOCX."
        )
    lower = name.lower()
    try:
        if lower.endswith((".odt", ".docx")):
            _check_archive(name, data)
        if lower.endswith(".odt"):
            return _odt(data)
        if lower.endswith(".docx"):
            return _docx(data)
        if lower.endswith(".pdf"):
            return _pdf(data)
    except UnreadableMinutes:
        raise
    except Exception as err:  # each library raises its own errors on a damaged file
        raise UnreadableMinutes(
            f"{name} could not be opened ({type(err).__name__}): save it again from the "
            "word processor, or export it as PDF."
        ) from err
    if lower.endswith(READABLE):
        return data.decode("utf-8", errors="replace")
    raise UnreadableMinutes(f"{name}: Quorum reads Markdown, ODT, DOCX and PDF minutes only.")


def _check_archive(name: str, data: bytes) -> None:
    """An ODT or DOCX must be a zip whose members inflate to a sane size."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableMinutes(f"{name} is not a valid ODT/DOCX archive: save it again.")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED:
            raise UnreadableMinutes(
                f"{name} inflates to more than {MAX_UNZIPPED // 1024 // 1024} MB: is it really a PV?"
            )


# --- ODT -------------------------------------------------------------------------------


def _odt(data: bytes) -> str:
    from odf import opendocument, teletype

    document = opendocument.load(io.BytesIO(data))
    return "\n".join(_odt_lines(document.text, teletype))


def _odt_lines(node: Any, teletype: Any, prefix: str = "") -> Iterator[str]:
    for child in node.childNodes:
        tag = getattr(child, "qname", (None, None))[1]
        if tag in ("p", "h"):
            yield prefix + str(teletype.extractText(child))
        elif tag == "list":
            yield from _odt_lines(child, teletype, "- ")
        elif tag == "list-item":
            yield from _odt_lines(child, teletype, prefix)
        elif tag == "table":
            yield from _odt_table(child, teletype)
            yield ""
        elif tag in ("section", "table-header-rows", "table-rows"):
            yield from _odt_lines(child, teletype, prefix)


def _odt_table(table: Any, teletype: Any) -> Iterator[str]:
    for row in _odt_rows(table):
        cells = [
            " ".join(str(teletype.extractText(p)) for p in cell.childNodes)
            for cell in row.childNodes
            if getattr(cell, "qname", (None, None))[1] == "table-cell"
        ]
        yield " | ".join(c.strip() for c in cells)


def _odt_rows(node: Any) -> Iterator[Any]:
    for child in node.childNodes:
        tag = getattr(child, "qname", (None, None))[1]
        if tag == "table-row":
            yield child
        elif tag in ("table-header-rows", "table-rows", "table-row-group"):
            yield from _odt_rows(child)


# --- DOCX ------------------------------------------------------------------------------


def _docx(data: bytes) -> str:
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                lines.append(" | ".join(cell.text.strip() for cell in row.cells))
            lines.append("")
        else:
            style = (block.style.name if block.style is not None else "") or ""
            bullet = "- " if style.lower().startswith("list") else ""
            lines.append(bullet + block.text)
    return "\n".join(lines)


# --- PDF -------------------------------------------------------------------------------


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise UnreadableMinutes("This PDF is password-protected: put an unprotected copy.")
    if len(reader.pages) > MAX_PDF_PAGES:
        raise UnreadableMinutes(
            f"This PDF has more than {MAX_PDF_PAGES} pages: is it really one PV?"
        )
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    if not text.strip():
        raise UnreadableMinutes(
            "This PDF has no text layer (a scan?): export the PV as PDF from the word "
            "processor, or run text recognition (OCR) on it."
        )
    return text
