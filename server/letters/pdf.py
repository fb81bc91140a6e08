"""The printable letter of a letter callback (R13), as a Chinese PDF.

Plain data in, PDF bytes out (``services.letter_data`` gathers the data). The font handling is the
evidence report's (``signatures.report``): Debian's WenQuanYi Zen Hei embedded as a subset, never
Noto CJK (reportlab cannot embed it) and never ``UnicodeCIDFont`` (embeds nothing). Every page carries
the letter's code in text and as a QR code (reportlab's own, drawn as vectors), so a page that comes
back alone still names its letter. The output is deterministic (reportlab's invariant mode).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from signatures.report import DEFAULT_FONT, FONT, MONO
from signatures.report import _register as register_fonts

BOX = "□"
MARGIN = 18 * mm


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "p": base,
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=24, alignment=1, spaceAfter=2),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11, leading=16, alignment=1),
        "h": ParagraphStyle("h", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=3),
        "q": ParagraphStyle("q", parent=base, spaceBefore=5),
        "answer": ParagraphStyle("answer", parent=base, leftIndent=14, spaceBefore=2),
        "note": ParagraphStyle(
            "note", parent=base, fontSize=8.5, leading=12, leftIndent=14, textColor=colors.HexColor("#444444")
        ),
        "small": ParagraphStyle(
            "small", parent=base, fontSize=8.5, leading=12, textColor=colors.HexColor("#444444")
        ),
        "address": ParagraphStyle("address", parent=base, fontSize=12, leading=18),
        "code": ParagraphStyle("code", parent=base, fontName=MONO, fontSize=15, leading=20),
    }


def _text(value: Any) -> str:
    return escape("" if value is None else str(value)).replace("\n", "<br/>")


def _qr(value: str, size: float) -> Drawing:
    widget = QrCodeWidget(value, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.initialFontName = FONT  # else the renderer names Helvetica (unembedded) in the PDF
    drawing.add(widget)
    return drawing


def _lines(count: int, width: float) -> Table:
    """Ruled lines to write on."""
    table = Table([[""] for _ in range(count)], colWidths=[width], rowHeights=[8 * mm] * count)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.HexColor("#666666")),
            ]
        )
    )
    table.hAlign = "RIGHT"
    return table


def _answer(question: Mapping[str, Any], st: dict, width: float) -> list[Any]:
    kind = question["kind"]
    if kind == "choices":
        gap = "&nbsp;" * 6
        marks = gap.join(f"{BOX} {_text(label)}" for label in question["choices"])
        hint = "（可多选）" if question.get("multiple") else ""
        return [Paragraph(marks + (f"{gap}{hint}" if hint else ""), st["answer"])]
    if kind == "digits":
        boxes = " ".join(BOX for _ in range(question.get("digits", 4)))
        return [Paragraph(f"<font size='16'>{boxes}</font>", st["answer"])]
    if kind == "date":
        return [Paragraph("________ 年 ____ 月 ____ 日", st["answer"])]
    if kind == "number":
        return [Paragraph(f"______________ {_text(question.get('unit', ''))}", st["answer"])]
    if kind == "lines":
        return [_lines(question.get("lines", 3), width - 14)]
    return []


def _on_page(code: str, sender: str):
    def draw(canvas, doc) -> None:
        canvas.saveState()
        size = 16 * mm
        renderPDF.draw(_qr(code, size), canvas, A4[0] - MARGIN - size, 6 * mm)
        canvas.setFont(FONT, 8.5)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawString(MARGIN, 12 * mm, f"回访码 {code}　·　{sender}　·　第 {doc.page} 页")
        canvas.drawString(MARGIN, 8 * mm, "请勿涂改或剪切本页的回访码和二维码，它用于识别您寄回的问卷。")
        canvas.restoreState()

    return draw


def render_letter_pdf(letter: Mapping[str, Any], font_path: str = DEFAULT_FONT) -> bytes:
    """PDF bytes of the letter::

    {"code": str, "sender": str, "recipient": {"name", "address"}, "title": str,
     "questionnaire_title": str, "cover": [str], "policy": [{"label", "value"}], "instructions": str,
     "sections": [{"title", "questions": [{"number", "text", "kind", "choices", "multiple",
                   "digits", "unit", "lines", "condition"}]}],
     "signers": [{"label", "name"}], "closing": str, "return_note": str, "dated": str}

    ``kind`` is ``choices`` (tick boxes), ``digits`` (one box per digit), ``date``, ``number``,
    ``lines`` (ruled lines for text) or ``none`` (a statement with no answer).
    """
    register_fonts(font_path)
    st = _styles()
    width = A4[0] - 2 * MARGIN
    code = letter["code"]
    story: list[Any] = []

    recipient = letter.get("recipient") or {}
    address = [
        Paragraph(_text(recipient.get("address") or "（地址未提供）"), st["address"]),
        Paragraph(f"{_text(recipient.get('name'))}&nbsp;&nbsp;收", st["address"]),
        Spacer(1, 3 * mm),
        Paragraph(f"寄件：{_text(letter.get('sender'))}", st["small"]),
    ]
    qr_block = [_qr(code, 30 * mm), Paragraph(_text(code), st["code"])]
    head = Table([[address, qr_block]], colWidths=[width - 40 * mm, 40 * mm])
    head.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, 0), (1, 0), "CENTER"),
            ]
        )
    )
    story += [head, Spacer(1, 6 * mm)]
    story.append(Paragraph(_text(letter.get("title", "客户回访函")), st["title"]))
    if letter.get("questionnaire_title"):
        story.append(Paragraph(_text(letter["questionnaire_title"]), st["subtitle"]))
    story.append(Spacer(1, 4 * mm))
    for paragraph in letter.get("cover", []):
        story.append(Paragraph(_text(paragraph), st["p"]))
        story.append(Spacer(1, 2 * mm))

    if letter.get("return_note"):
        story += [Paragraph(_text(letter["return_note"]), st["p"]), Spacer(1, 2 * mm)]

    if letter.get("policy"):
        rows = [
            [Paragraph(_text(r["label"]), st["p"]), Paragraph(_text(r["value"]), st["p"])]
            for r in letter["policy"]
        ]
        table = Table(rows, colWidths=[32 * mm, width - 32 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                    ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f0f0f0")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [Spacer(1, 2 * mm), table]
    if letter.get("instructions"):
        story += [Spacer(1, 3 * mm), Paragraph(_text(letter["instructions"]), st["small"])]

    for section in letter.get("sections", []):
        story.append(Paragraph(_text(section["title"]), st["h"]))
        for question in section["questions"]:
            block = [Paragraph(f"{question['number']}. {_text(question['text'])}", st["q"])]
            if question.get("condition"):
                block.append(Paragraph(f"※ {_text(question['condition'])}", st["note"]))
            block += _answer(question, st, width)
            story.append(KeepTogether(block))

    # The signatures, the closing words and the date stay together: a signature never sits alone
    # on a page away from what it confirms.
    block: list[Any] = [
        Paragraph("签名确认", st["h"]),
        Paragraph(
            "本人已亲自阅读并如实填写以上问卷，所填内容真实。请本人亲笔签名，不得由他人代签。", st["p"]
        ),
    ]
    for signer in letter.get("signers", []):
        row = [
            [
                Paragraph(f"{_text(signer['label'])}（{_text(signer.get('name'))}）签名：", st["p"]),
                "",
                Paragraph("日期：", st["p"]),
                Paragraph("________ 年 ____ 月 ____ 日", st["p"]),
            ]
        ]
        table = Table(
            row, colWidths=[52 * mm, width - 52 * mm - 74 * mm, 18 * mm, 56 * mm], rowHeights=[16 * mm]
        )
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                    ("LINEBELOW", (1, 0), (1, 0), 0.6, colors.black),
                ]
            )
        )
        block += [Spacer(1, 2 * mm), table]
    block.append(Spacer(1, 5 * mm))
    if letter.get("closing"):
        block += [Paragraph(_text(letter["closing"]), st["p"]), Spacer(1, 2 * mm)]
    if letter.get("dated"):
        block.append(Paragraph(f"{_text(letter.get('sender'))}　{_text(letter['dated'])}", st["p"]))
    story.append(KeepTogether(block))

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=16 * mm,
        bottomMargin=26 * mm,  # the code and its QR code at the foot of every page
        title=f"客户回访函 {code}",
        author="回访通",
        subject=code,
        invariant=1,
        initialFontName=FONT,
    )
    footer = _on_page(code, letter.get("sender") or "")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
