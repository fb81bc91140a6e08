"""The printable letter (R13): a real PDF in Chinese, font embedded, naming the holder and the code."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.extensions import db
from tests.conftest import _unavailable

from .conftest import ADDRESS

IN_CI = os.environ.get("CI") == "true"


def _tool(name: str) -> str | None:
    path = shutil.which(name)
    if path is None and IN_CI:
        pytest.fail(f"{name} (Debian poppler-utils) is needed to check the letter")
    return path


def _text(pdf: bytes, tmp_path) -> str:
    if not _tool("pdftotext"):
        _unavailable("poppler-utils not installed (make browser installs it)")
    (tmp_path / "letter.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "letter.pdf"), str(tmp_path / "letter.txt")], check=True
    )
    return (tmp_path / "letter.txt").read_text(encoding="utf-8")


def test_the_letter_is_a_pdf_naming_the_holder_and_the_code(issue, tmp_path):
    caller, letter = issue()
    response = caller.get(f"/api/v1/letters/{letter['id']}/letter.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    assert pdf.startswith(b"%PDF-")
    fonts = set(re.findall(rb"/BaseFont /([A-Za-z0-9+\-]+)", pdf))
    assert fonts and all(b"WenQuanYi" in font for font in fonts)  # embedded, never Helvetica or a CID font
    text = _text(pdf, tmp_path)
    flat = re.sub(r"\s+", "", text)
    assert "王秀兰" in flat and letter["code"] in flat
    assert re.sub(r"\s+", "", ADDRESS) in flat
    assert "信函回访" in flat and "工作指引" in flat  # the cover says why the company writes (R13)
    assert "由于我们没有您有效的联系电话" in flat  # the task's source: no phone
    assert "鑫福年年终身寿险" in flat  # placeholders filled from the policy facts
    assert "{" not in text
    assert "□是" in flat and "□否" in flat  # tick boxes
    assert "投保人（王秀兰）签名" in flat and "被保险人（李明）签名" in flat  # R7: pays on death, two signers
    assert "客户服务专员确认" not in flat  # nobody visits a letter
    assert flat.count(f"回访码{letter['code']}") >= 2  # on every page's foot (and in the table)


def test_printing_is_audited_and_kept_in_the_history(issue):
    caller, letter = issue()
    caller.get(f"/api/v1/letters/{letter['id']}/letter.pdf")
    detail = caller.get(f"/api/v1/letters/{letter['id']}").json
    assert [e["action"] for e in detail["history"]] == ["created", "printed"]
    actions = list(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == str(letter["id"])))
    )
    assert "letter_printed" in actions


def test_a_holder_who_is_the_insured_signs_once(issue, tmp_path):
    same = {"holder_id_number": "370102198502023456", "insured_id_number": "370102198502023456"}
    caller, letter = issue(holder_name="赵敏", insured_name="赵敏", pays_on_death=True, **same)
    flat = re.sub(r"\s+", "", _text(caller.get(f"/api/v1/letters/{letter['id']}/letter.pdf").data, tmp_path))
    assert "投保人（赵敏）签名" in flat and "被保险人（" not in flat


def test_the_pages_render_with_ink(issue, tmp_path):
    if not _tool("pdftoppm"):
        _unavailable("poppler-utils not installed (make browser installs it)")
    caller, letter = issue()
    (tmp_path / "l.pdf").write_bytes(caller.get(f"/api/v1/letters/{letter['id']}/letter.pdf").data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(tmp_path / "l.pdf"), str(tmp_path / "page")], check=True
    )
    from PIL import Image

    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 2
    first = Image.open(pages[0]).convert("L")
    assert sum(c for v, c in enumerate(first.histogram()) if v < 160) > 2000
