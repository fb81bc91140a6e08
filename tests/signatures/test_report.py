"""The PDF evidence report: Chinese text with the font embedded, deterministic, with a QR of the hash."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from signatures import render_report_pdf
from tests.conftest import _unavailable

from .helpers import evidence

IN_CI = os.environ.get("CI") == "true"


def report_data(ev) -> dict:
    m = ev["manifest"]
    return {
        "visit": [
            {"label": "回访编号", "value": m["visit"]["visit_id"]},
            {"label": "保单号", "value": m["visit"]["policy_no"]},
            {"label": "回访专员", "value": m["user"]["name"]},
            {"label": "结果", "value": "已完成"},
        ],
        "answers": [
            {"question": "您是否本人亲自签署投保单？", "answer": "是"},
            {"question": "您是否阅读并理解保险条款及责任免除？", "answer": "已阅读条款与免责条款"},
        ],
        "signatures": [
            {"label": "投保人签名", "png": ev["png"], "sha256": hashlib.sha256(ev["png"]).hexdigest()}
        ],
        "times": {"device": "2026-11-25 10:00:00（北京时间）", "server": "2026-11-25 10:00:05（北京时间）"},
        "place": m["place"],
        "hashes": [{"name": e["name"], "sha256": e["sha256"]} for e in m["media"]],
        "manifest_sha256": ev["seal"]["manifest_sha256"],
        "seal": ev["seal"],
        "log": {
            "leaf_index": 6,
            "tree_size": 7,
            "root": ev["heads"][0]["root"],
            "timestamp": ev["heads"][0]["timestamp"],
        },
        "generated_at": "2026-11-25 10:30",
    }


@pytest.fixture(scope="module")
def pdf():
    return render_report_pdf(report_data(evidence()))


def test_the_report_is_a_deterministic_pdf(pdf):
    assert pdf.startswith(b"%PDF-")
    assert render_report_pdf(report_data(evidence())) != b""  # other keys, other hashes: still renders
    ev = evidence()
    assert render_report_pdf(report_data(ev)) == render_report_pdf(report_data(ev))


def test_only_the_embedded_chinese_font_is_used(pdf):
    fonts = set(re.findall(rb"/BaseFont /([A-Za-z0-9+\-]+)", pdf))
    assert fonts == {b"AAAAAA+WenQuanYiZenHei-0", b"AAAAAA+WenQuanYiZenHeiMono-1"}
    assert pdf.count(b"/FontFile2") == 2  # both subsets embedded as TrueType programs


def _tool(name: str) -> str | None:
    path = shutil.which(name)
    if path is None and IN_CI:
        pytest.fail(f"{name} (Debian poppler-utils) is needed to check the report")
    return path


def test_pdffonts_sees_the_fonts_embedded(pdf, tmp_path):
    if not _tool("pdffonts"):
        _unavailable("poppler-utils not installed (make browser installs it)")
    (tmp_path / "r.pdf").write_bytes(pdf)
    out = subprocess.run(
        ["pdffonts", str(tmp_path / "r.pdf")], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split() for line in out.splitlines()[2:]]
    assert rows and all(row[-5] == "yes" for row in rows), out  # the "emb" column


def test_the_page_renders_with_ink(pdf, tmp_path):
    if not _tool("pdftoppm"):
        _unavailable("poppler-utils not installed (make browser installs it)")
    (tmp_path / "r.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(tmp_path / "r.pdf"), str(tmp_path / "page")], check=True
    )
    from PIL import Image

    page = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    w, h = page.size
    title = page.crop((0, 0, w * 2 // 3, h // 10))  # the Chinese title: glyphs, not blanks
    assert sum(c for v, c in enumerate(title.histogram()) if v < 160) > 100
    assert sum(c for v, c in enumerate(page.histogram()) if v < 160) > 1500


def test_a_missing_font_is_a_clear_error():
    code = (
        "from signatures import render_report_pdf\n"
        "try:\n    render_report_pdf({'manifest_sha256': '0' * 64}, font_path='/nonexistent.ttc')\n"
        "except FileNotFoundError as e:\n    print(e)"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert "fonts-wqy-zenhei" in out.stdout
