"""Real minutes files made with the real libraries: ODT (odfpy), DOCX (python-docx), PDF (fpdf2)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from docx import Document
from fpdf import FPDF
from odf.opendocument import OpenDocumentText
from odf.table import Table, TableCell, TableColumn, TableRow
from odf.text import P

Rows = Sequence[Sequence[str]]
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def odt(lines: Sequence[str], table: Rows = ()) -> bytes:
    doc = OpenDocumentText()
    for line in lines:
        doc.text.addElement(P(text=line))
    if table:
        grid = Table(name="Actions")
        grid.addElement(TableColumn(numbercolumnsrepeated=len(table[0])))
        for row in table:
            tr = TableRow()
            for cell in row:
                tc = TableCell()
                tc.addElement(P(text=cell))
                tr.addElement(tc)
            grid.addElement(tr)
        doc.text.addElement(grid)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def docx(lines: Sequence[str], table: Rows = ()) -> bytes:
    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    if table:
        grid = doc.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def pdf(lines: Sequence[str]) -> bytes:
    doc = FPDF()
    doc.add_page()
    unicode_font = FONT.is_file()
    if unicode_font:
        doc.add_font("DejaVu", "", str(FONT))
        doc.set_font("DejaVu", size=11)
    else:  # the core font draws Latin-1 only: "—" becomes "-"
        doc.set_font("Helvetica", size=11)
    for line in lines:
        text = (
            line
            if unicode_font
            else line.replace("—", "-").encode("latin-1", "replace").decode("latin-1")
        )
        doc.multi_cell(0, 6, text or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def clean_pv(day: date, actions: Sequence[str] = ()) -> list[str]:
    """A complete PV of the demo's monthly board meeting, matching what Quorum recorded:
    Alice, Bernard and Hélène accepted; Gérard gave his proxy to Hélène."""
    return [
        "Procès-verbal du Conseil d'administration",
        f"Date : {day:%d/%m/%Y} à 10h00",
        "Lieu : Maison des associations, 28 rue Denfert-Rochereau, Lyon",
        "Convocation : envoyée par courriel quinze jours avant la réunion",
        "Ordre du jour :",
        "1. Approbation du procès-verbal précédent",
        "2. Budget des jardins",
        "Présents (3) : Alice Example, Bernard Lefèvre, Hélène Roussel",
        "Représentés (1) : Gérard Thévenin (pouvoir à Hélène Roussel)",
        "Quorum : atteint (4 sur 7)",
        "Présidente de séance : Alice Example",
        "Secrétaire de séance : Hélène Roussel",
        "Délibération 1 : le budget est adopté. Pour : 4, Contre : 0, Abstention : 0",
        *actions,
        "Signatures : Alice Example, Hélène Roussel",
    ]


def actions_pv(day: date) -> tuple[list[str], Rows]:
    """A clean PV with three actions written the three ways (an "Action :" line, a checkbox and
    a table row), for Bernard, Hélène and Alice: its lines and its table."""
    lines = clean_pv(
        day,
        actions=[
            "Action : Bernard — relancer la mairie avant le 15/01",
            "- [ ] Hélène : commander les graines (échéance 28/02)",
        ],
    )
    table = [
        ["Qui", "Action", "Échéance"],
        ["Alice", "Envoyer le bilan à la Ville", f"31/03/{day.year + 1}"],
    ]
    return lines, table
