"""The issued document as a one-page PDF, drawn with reportlab alone.

The page names the service, the applicant (with the NIK masked), the tracking
number, the completion date and the issuing agency, and carries the
verification code twice: printed, and in a QR code holding the public verify
address. Page streams are left uncompressed so the text stays searchable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import TYPE_CHECKING

# reportlab is imported where a PDF is drawn: it costs each API process a few
# MiB of memory, and documents are downloaded far less often than the API runs.
if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

mm = 72 / 25.4  # points per millimetre, as reportlab.lib.units.mm
QR_SIZE = 40 * mm
MARGIN = 20 * mm
LINE = 8 * mm


@dataclass(frozen=True)
class DocumentFacts:
    """What the page prints, already masked and in the reader's language."""

    heading: str
    service: str
    agency: str
    applicant: str
    masked_nik: str
    tracking_number: str
    completed: date
    code: str
    verify_url: str
    labels: dict[str, str]


def document_pdf(facts: DocumentFacts) -> bytes:
    """Return the document of ``facts`` as PDF bytes."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    out = BytesIO()
    page = Canvas(out, pagesize=A4, pageCompression=0)
    page.setTitle(f"{facts.heading} {facts.tracking_number}")
    page.setAuthor(facts.agency)
    width, height = A4

    page.setFont("Helvetica-Bold", 16)
    page.drawString(MARGIN, height - MARGIN - 10 * mm, facts.heading)
    page.setFont("Helvetica", 11)
    page.drawString(MARGIN, height - MARGIN - 17 * mm, facts.agency)
    page.line(
        MARGIN, height - MARGIN - 21 * mm, width - MARGIN, height - MARGIN - 21 * mm
    )

    _facts_table(page, facts, top=height - MARGIN - 32 * mm)
    _verification(page, facts, width)
    page.showPage()
    page.save()
    return out.getvalue()


def _facts_table(page: Canvas, facts: DocumentFacts, top: float) -> None:
    labels = facts.labels
    rows = (
        (labels["service"], facts.service),
        (labels["applicant"], facts.applicant),
        (labels["nik"], facts.masked_nik),
        (labels["tracking_number"], facts.tracking_number),
        (labels["completed"], facts.completed.strftime("%d-%m-%Y")),
        (labels["agency"], facts.agency),
        (labels["code"], facts.code),
    )
    for row, (label, value) in enumerate(rows):
        y = top - row * LINE
        page.setFont("Helvetica", 10)
        page.drawString(MARGIN, y, label)
        page.setFont("Helvetica-Bold", 11)
        page.drawString(MARGIN + 50 * mm, y, value)


def _verification(page: Canvas, facts: DocumentFacts, width: float) -> None:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(facts.verify_url, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(
        QR_SIZE,
        QR_SIZE,
        transform=[QR_SIZE / (right - left), 0, 0, QR_SIZE / (top - bottom), 0, 0],
    )
    drawing.add(widget)
    renderPDF.draw(drawing, page, width - MARGIN - QR_SIZE, MARGIN + 10 * mm)

    page.setFont("Helvetica", 9)
    page.drawString(MARGIN, MARGIN + 20 * mm, facts.labels["verify_hint"])
    page.drawString(MARGIN, MARGIN + 15 * mm, facts.verify_url)
