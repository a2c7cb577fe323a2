"""Real PDFs with a Unicode font (DejaVu Sans, vendored with its licence in lib/fonts/), so that
accents, the euro sign and French narrow spaces print as they should."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"


def new_pdf(*, title: str, author: str = "Pépinière") -> FPDF:
    # Imported here: fpdf takes seconds to import, and only PDF requests need it.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_font(FAMILY, "", 11)
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_auto_page_break(auto=True, margin=15)
    return pdf
