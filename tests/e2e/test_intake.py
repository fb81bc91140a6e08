"""The console's intake page in a real Chromium: upload a messy CSV, read the dry run, confirm, see
the result and the error report of a bad file."""

from __future__ import annotations

import csv
import io

from playwright.sync_api import expect

from tests.e2e.conftest import TABLET
from tests.e2e.test_login import sign_in

HEADER = [
    "需求编号",
    "保单号",
    "回访事项",
    "面访原因",
    "机构代码",
    "产品名称",
    "产品类型",
    "销售渠道",
    "保险期间",
    "投保人姓名",
    "投保人证件号码",
    "投保人电话",
    "金额",
]


def messy_csv(rows) -> bytes:
    out = io.StringIO()
    out.write("2026年回访需求清单（系统导出）\r\n")  # a title row above the header
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("gbk")


GOOD = [
    [
        "E2E-1",
        "PE0001",
        "新单",
        "无电话",
        "370102",
        "鑫福年年终身寿险",
        "传统",
        "个人代理",
        "终身",
        "\u3000张 三",
        "11010519491231002x",
        "１３９ ０００１ ２３４５",
        "",
    ],
    [
        "E2E-2",
        "PE0002",
        "退保",
        "拒绝电话回访",
        "370103",
        "金玉满堂两全保险（分红型）",
        "分红型",
        "银保",
        "15年",
        "李四",
        "370102198501100009",
        "0531-86001234",
        "￥1,000.00",
    ],
    [
        "E2E-3",
        "PE0003",
        "理赔",
        "电话回访失败",
        "370202",
        "康宁终身重大疾病保险",
        "传统型",
        "个人代理",
        "终身",
        "王五",
        "37010319851212001X",
        "13800138000",
        "999.99",
    ],
]


def test_upload_a_messy_csv_check_it_confirm_and_see_the_result(page, base, shot, tmp_path):
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    sign_in(page, "admin")
    page.get_by_test_id("nav-intake").click()
    expect(page.get_by_role("heading", name="回访需求导入")).to_be_visible()

    path = tmp_path / "回访需求.csv"
    path.write_bytes(messy_csv(GOOD))
    page.get_by_test_id("intake-file").set_input_files(str(path))
    page.get_by_test_id("intake-upload").click()

    batch = page.get_by_test_id("intake-batch")
    expect(batch).to_have_attribute("data-status", "checked", timeout=20_000)
    expect(page.get_by_test_id("intake-status")).to_contain_text("试导入完成")
    expect(page.get_by_test_id("intake-count-task_created")).to_contain_text("2")
    expect(page.get_by_test_id("intake-count-out_of_scope")).to_contain_text("1")
    rows = page.get_by_test_id("intake-preview-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_have_attribute("data-outcome", "out_of_scope")
    expect(rows.nth(2)).to_contain_text("1000")
    shot(page, "intake-dry-run-zh")

    page.get_by_test_id("intake-confirm").click()
    page.locator(".van-dialog__confirm").click()
    expect(batch).to_have_attribute("data-status", "imported", timeout=20_000)
    expect(page.get_by_test_id("intake-imported")).to_contain_text("已创建 2 个面访任务")
    expect(page.get_by_test_id("intake-progress")).to_contain_text("100%")
    expect(page.get_by_test_id("intake-batch-row").first).to_contain_text("已导入")
    shot(page, "intake-imported-zh")

    # The same file again: every row is a duplicate, nothing to confirm twice.
    page.get_by_test_id("intake-file").set_input_files(str(path))
    page.get_by_test_id("intake-upload").click()
    expect(batch).to_have_attribute("data-status", "checked", timeout=20_000)
    expect(page.get_by_test_id("intake-count-duplicate")).to_contain_text("2")


def test_a_file_with_errors_shows_them_and_offers_the_report(page, base, shot, tmp_path):
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    sign_in(page, "admin")
    page.get_by_test_id("nav-intake").click()
    bad = [
        [*GOOD[0][:10], "3.70102199003071E+17", *GOOD[0][11:]],
        [*GOOD[1][:11], "12345", GOOD[1][12]],
    ]
    path = tmp_path / "bad.csv"
    path.write_bytes(messy_csv(bad))
    page.get_by_test_id("intake-file").set_input_files(str(path))
    page.get_by_test_id("intake-upload").click()
    expect(page.get_by_test_id("intake-fix-first")).to_contain_text("2 处错误", timeout=20_000)
    expect(page.get_by_test_id("intake-confirm")).to_have_count(0)
    errors = page.get_by_test_id("intake-errors")
    expect(errors).to_contain_text("无法恢复")
    expect(errors).to_contain_text("投保人电话")
    with page.expect_download() as download:
        page.get_by_test_id("intake-download-csv").click()
    saved = tmp_path / "report.csv"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith("\ufeff".encode())
    assert "投保人证件号码" in saved.read_text(encoding="utf-8-sig")
    shot(page, "intake-errors-zh")

    page.get_by_test_id("lang-switch").first.click()
    expect(page.get_by_test_id("intake-fix-first")).to_contain_text("2 errors")
    shot(page, "intake-errors-en")
