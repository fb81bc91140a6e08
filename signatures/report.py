"""The PDF evidence report of a visit, in Chinese, for a customer, a regulator or a court.

Plain data in, PDF bytes out. reportlab with Debian's WenQuanYi Zen Hei (``fonts-wqy-zenhei``),
embedded as a subset, so the page reads the same on a machine without Chinese fonts (reportlab
cannot embed Noto CJK, and ``UnicodeCIDFont`` embeds nothing: neither is used). Hashes are set in
the font's monospaced face. The QR code (reportlab's own, drawn as vectors) holds
``sha256:<manifest hash>`` so a reader can type or scan it into the verifier. The output is
deterministic (reportlab's invariant mode: no creation time, fixed document id).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image as PILImage
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

DEFAULT_FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
FONT, MONO = "WQYZenHei", "WQYZenHeiMono"


def _register(font_path: str) -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    if not Path(font_path).exists():
        raise FileNotFoundError(
            f"Chinese font {font_path} is missing: install Debian's fonts-wqy-zenhei "
            "(apt-get install fonts-wqy-zenhei) / 缺少中文字体"
        )
    pdfmetrics.registerFont(TTFont(FONT, font_path, subfontIndex=0))
    pdfmetrics.registerFont(TTFont(MONO, font_path, subfontIndex=1))


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9.5, leading=14, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=24, spaceAfter=4),
        "h": ParagraphStyle("h", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4),
        "p": base,
        "small": ParagraphStyle(
            "small", parent=base, fontSize=8, leading=11, textColor=colors.HexColor("#444444")
        ),
        "mono": ParagraphStyle("mono", parent=base, fontName=MONO, fontSize=7.5, leading=10, wordWrap=None),
    }


def _text(value: Any) -> str:
    return escape("" if value is None else str(value)).replace("\n", "<br/>")


def _table(rows: list[list[Any]], widths: list[float]) -> Table:
    t = Table(rows, colWidths=widths)
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),  # or Table names Helvetica, unembedded, in the PDF
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f0f0f0")),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return t


def _image(data: bytes, max_w: float, max_h: float) -> Image:
    with PILImage.open(io.BytesIO(data)) as im:
        w, h = im.size
    k = min(max_w / w, max_h / h)
    return Image(io.BytesIO(data), width=w * k, height=h * k, hAlign="LEFT")


def _qr(value: str, size: float) -> Drawing:
    widget = QrCodeWidget(value, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.initialFontName = FONT  # else the renderer names Helvetica (unembedded) in the PDF
    drawing.add(widget)
    return drawing


def render_report_pdf(report: Mapping[str, Any], font_path: str = DEFAULT_FONT) -> bytes:
    """PDF bytes of the evidence report. ``report`` is plain data, every key optional but the hash::

    {"title": str, "visit": [{"label", "value"}], "answers": [{"question", "answer"}],
     "signatures": [{"label", "png": bytes, "sha256"}], "photos": [{"label", "image": bytes}],
     "times": {"device", "server"}, "place": {"label", "lat", "lng", "accuracy_m"},
     "hashes": [{"name", "sha256"}], "manifest_sha256": str,
     "seal": {"alg", "key_id"}, "log": {"leaf_index", "tree_size", "root", "timestamp"},
     "similarity": {"band", "message_zh", "message_en"}, "generated_at": str}
    """
    _register(font_path)
    st = _styles()
    width = A4[0] - 36 * mm
    story: list[Any] = []
    manifest_sha256 = report["manifest_sha256"]

    header = [
        Paragraph(_text(report.get("title", "上门回访证据报告")), st["title"]),
        Paragraph("Field visit evidence report / 本报告由回访通根据封存的证据清单生成", st["small"]),
        Spacer(1, 3 * mm),
        Paragraph("证据清单哈希（SHA-256）/ Manifest hash:", st["small"]),
        Paragraph(manifest_sha256, st["mono"]),
    ]
    top = Table([[header, _qr("sha256:" + manifest_sha256, 32 * mm)]], colWidths=[width - 36 * mm, 36 * mm])
    top.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(top)

    label_w = 38 * mm
    if report.get("visit"):
        story.append(Paragraph("回访信息", st["h"]))
        rows = [
            [Paragraph(_text(r["label"]), st["p"]), Paragraph(_text(r["value"]), st["p"])]
            for r in report["visit"]
        ]
        story.append(_table(rows, [label_w, width - label_w]))

    times, place = report.get("times") or {}, report.get("place") or {}
    if times or place:
        story.append(Paragraph("时间与地点", st["h"]))
        rows = []
        if times.get("device"):
            rows.append(["设备时间", times["device"]])
        if times.get("server"):
            rows.append(["服务器接收时间", times["server"]])
        if place:
            where = place.get("label") or ""
            if place.get("lat") is not None and place.get("lng") is not None:
                where += f"（纬度 {place['lat']}，经度 {place['lng']}"
                where += (
                    f"，精度约 {place['accuracy_m']} 米）" if place.get("accuracy_m") is not None else "）"
                )
            rows.append(["地点", where])
        story.append(
            _table(
                [[Paragraph(_text(a), st["p"]), Paragraph(_text(b), st["p"])] for a, b in rows],
                [label_w, width - label_w],
            )
        )

    if report.get("answers"):
        story.append(Paragraph("问卷回答", st["h"]))
        rows = [[Paragraph("问题", st["p"]), Paragraph("回答", st["p"])]]
        rows += [
            [Paragraph(f"{n}. {_text(a['question'])}", st["p"]), Paragraph(_text(a["answer"]), st["p"])]
            for n, a in enumerate(report["answers"], 1)
        ]
        t = _table(rows, [width * 0.62, width * 0.38])
        t.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e4e4"))]))
        story.append(t)

    if report.get("signatures"):
        story.append(Paragraph("签名", st["h"]))
        for sig in report["signatures"]:
            block = [Paragraph(_text(sig["label"]), st["p"]), _image(sig["png"], width * 0.7, 40 * mm)]
            if sig.get("sha256"):
                block.append(Paragraph("SHA-256 " + sig["sha256"], st["mono"]))
            story.append(KeepTogether([*block, Spacer(1, 2 * mm)]))
    if report.get("similarity"):
        s = report["similarity"]
        hint = (
            f"签名一致性提示（仅供参考，不作结论）：{_text(s.get('message_zh'))}。{_text(s.get('limits_zh'))}"
        )
        story.append(Paragraph(hint, st["small"]))

    if report.get("photos"):
        story.append(Paragraph("照片", st["h"]))
        for photo in report["photos"]:
            story.append(
                KeepTogether(
                    [
                        Paragraph(_text(photo["label"]), st["p"]),
                        _image(photo["image"], width * 0.6, 70 * mm),
                        Spacer(1, 2 * mm),
                    ]
                )
            )

    story.append(Paragraph("完整性信息", st["h"]))
    rows = [
        [Paragraph(_text(h["name"]), st["p"]), Paragraph(h["sha256"], st["mono"])]
        for h in report.get("hashes", [])
    ]
    seal, log = report.get("seal") or {}, report.get("log") or {}
    if seal:
        rows.append(
            [
                Paragraph("服务器封印", st["p"]),
                Paragraph(_text(f"{seal.get('alg')} 密钥 {seal.get('key_id')}"), st["mono"]),
            ]
        )
    if log:
        rows.append(
            [
                Paragraph("防篡改日志", st["p"]),
                Paragraph(
                    _text(
                        f"第 {log.get('leaf_index')} 条 / 共 {log.get('tree_size')} 条，"
                        f"树头时间 {log.get('timestamp')}，根 {log.get('root')}"
                    ),
                    st["mono"],
                ),
            ]
        )
    if rows:
        story.append(_table(rows, [label_w, width - label_w]))
    story.append(Spacer(1, 4 * mm))
    story.append(
        Paragraph(
            "校验方法：向保险公司索取本次回访的证据包（zip），运行其中的 verify_bundle.py；"
            "任何文件的任何改动都会使校验失败并指出改动的部分。"
            + (f" 报告生成时间：{_text(report['generated_at'])}。" if report.get("generated_at") else ""),
            st["small"],
        )
    )

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title="上门回访证据报告",
        author="回访通",
        subject=manifest_sha256,
        invariant=1,
        initialFontName=FONT,
    )
    doc.build(story)
    return buf.getvalue()
