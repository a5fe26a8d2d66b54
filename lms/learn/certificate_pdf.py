"""A certificate of completion as a one-page PDF, in the reader's language.

Drawn with fpdf2 in DejaVu Sans (lms/fonts, embedded: every script of the seven languages), with
a QR code (segno) that leads to the certificate's public check page, the signed statement
(lms.learn.statements) in the address's fragment, for the check without a connection. The QR
code is placed as an image, so that a phone camera, or a test, can read it back from the file.
It is printed 55 mm wide at error correction level L (segno raises the level when that costs
no extra size); a statement that would need a version above MAX_QR_VERSION (an unusually long
name or module title) is left out, and the code leads to the check address alone.
"""
from __future__ import annotations

import io
import re

import segno
from flask_babel import format_date
from flask_babel import gettext as _
from fpdf import FPDF
from PIL import Image

from lms.config import ROOT
from lms.core.templating import percent
from lms.learn.certificate_records import grouped
from lms.learn.models import Certificate

FONTS = ROOT / "lms" / "fonts"
_MARKERS = re.compile(r"(\*\*|__|~~|--)")
INK = (11, 12, 12)
MUTED = (80, 90, 95)


def _plain(text: str) -> str:
    """`text` with fpdf2's markdown markers escaped, so that a name is printed exactly as written."""
    return _MARKERS.sub(r"\\\1", text.replace("\\", "\\\\"))


MAX_QR_VERSION = 20  # 97 modules: 0.52 mm each at 55 mm with the quiet zone


def qr_code(verify_url: str, statement: str | None = None) -> segno.QRCode:
    """The QR code of the check address, with the statement in its fragment when it fits in MAX_QR_VERSION."""
    if statement:
        code = segno.make(f"{verify_url}#{statement}", error="l", micro=False)
        if code.version <= MAX_QR_VERSION:
            return code
    return segno.make(verify_url, error="l", micro=False)


def qr_image(code: segno.QRCode) -> Image.Image:
    """A QR code as a greyscale image with its quiet zone."""
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=8, border=4)
    buffer.seek(0)
    return Image.open(buffer).convert("L")


def render(cert: Certificate, verify_url: str, lang: str, statement: str | None = None) -> bytes:
    """The PDF of `cert`, its texts in the current request's language (`lang`), the QR code leading to `verify_url`
    with `statement` in its fragment."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_lang(lang)
    pdf.set_title(_("Certificate of completion"))
    pdf.set_creator("lms")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    width = pdf.w - 2 * 25
    pdf.set_draw_color(*INK)
    pdf.set_line_width(1.2)
    pdf.rect(12, 12, pdf.w - 24, pdf.h - 24)
    pdf.set_line_width(0.4)
    pdf.rect(15, 15, pdf.w - 30, pdf.h - 30)

    pdf.set_text_color(*MUTED)
    pdf.set_font("DejaVu", "", 13)
    pdf.set_xy(25, 35)
    pdf.multi_cell(width, 7, _("Election officials' training"), align="C", new_x="LMARGIN")
    pdf.set_text_color(*INK)
    pdf.set_font("DejaVu", "B", 26)
    pdf.set_x(25)
    pdf.multi_cell(width, 12, _("Certificate of completion"), align="C", new_x="LMARGIN")
    pdf.ln(12)

    sentence = _("This certifies that %(name)s has completed the training module %(module)s on %(date)s "
                 "with a score of %(score)s.", name=f"**{_plain(cert.full_name)}**",
                 module=f"**{_plain(cert.module_title)}**", date=format_date(cert.completed_at.date(), "long"),
                 score=percent(cert.score))
    pdf.set_font("DejaVu", "", 16)
    pdf.set_x(25)
    pdf.multi_cell(width, 9, sentence, align="C", markdown=True, new_x="LMARGIN")
    if cert.unit_name or cert.unit_code:
        pdf.ln(6)
        pdf.set_font("DejaVu", "", 13)
        pdf.set_x(25)
        unit = f"{cert.unit_name} ({cert.unit_code})" if cert.unit_name else cert.unit_code
        pdf.multi_cell(width, 7, _("Issuing unit: %(unit)s", unit=unit), align="C", new_x="LMARGIN")

    size = 55
    top = pdf.h - 40 - size
    pdf.image(qr_image(qr_code(verify_url, statement)), x=(pdf.w - size) / 2, y=top, w=size, h=size,
              alt_text=_("QR code of the check page"))
    pdf.set_xy(25, top + size + 3)
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(width, 7, _("Code: %(code)s", code=grouped(cert.code)), align="C", new_x="LMARGIN")
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(*MUTED)
    pdf.set_x(25)
    pdf.multi_cell(width, 5, _("Anyone can check this certificate at %(url)s", url=verify_url), align="C",
                   new_x="LMARGIN")
    return bytes(pdf.output())
