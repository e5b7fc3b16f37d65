"""Printable receipts: what the counter hands the resident, with a QR code.

The QR code holds only the public tracking address with the tracking number;
the NIK is never in it, so a lost receipt does not open the file on its own.
"""

from __future__ import annotations

import re

_XML_DECLARATION = re.compile(r"^<\?xml[^>]*\?>\s*")


def qr_svg(text: str) -> str:
    """Return ``text`` as a QR code in an inline ``<svg>`` element."""
    # Imported here: qrcode brings in Pillow, which most API processes never use.
    import qrcode
    from qrcode.image.svg import SvgPathImage

    image = qrcode.make(text, image_factory=SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    return _XML_DECLARATION.sub("", svg)
