"""Reading files: encodings, title rows, header names, Excel cells; never the whole file at once."""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest

from server.intake.parsing import CsvReader, FileError, XlsxReader, detect_encoding, open_file
from server.intake.validators import check_row

HEADER = (
    "保单号,回访事项,面访原因,机构代码,产品名称,产品类型,销售渠道,保险期间,"
    "投保人姓名,投保人证件号码,投保人电话"
)
ENGLISH_HEADER = (
    "policy_number,item,source,institution_code,product_name,product_type,channel,term,"
    "holder_name,holder_id,phone"
)
ROW = "P001,新单,无电话,370102,鑫福年年终身寿险,传统型,个人代理,终身,张三,11010519491231002X,13800138000"


def write(tmp_path, text: str, encoding: str, name="f.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_encoding_reads_the_same(tmp_path, encoding):
    path = write(tmp_path, f"{HEADER}\r\n{ROW}\r\n", encoding)
    with open_file(path) as reader:
        rows = list(reader)
    assert rows == [(2, dict(zip(reader.layout.columns.values(), ROW.split(","), strict=True)))]
    assert rows[0][1]["holder_name"] == "张三"
    assert reader.encoding == ("utf-8-sig" if encoding.startswith("utf") else "gb18030")


def test_gb18030_only_characters_are_read(tmp_path):
    # 㐀 (U+3400) is outside GBK: only GB18030 has it.
    path = write(tmp_path, f"{HEADER}\n{ROW.replace('张三', '张㐀')}\n", "gb18030")
    with open_file(path) as reader:
        assert next(iter(reader))[1]["holder_name"] == "张㐀"


def test_gbk_whose_first_megabytes_are_plain_ascii_is_still_gbk(tmp_path):
    # A sniff of the first block would say UTF-8; the only Chinese is on the last row.
    ascii_row = (
        "P001,new_business,no_phone,370102,X,traditional,agency,240,Zhang,11010519491231002X,13800138000"
    )
    body = ENGLISH_HEADER + "\n"
    body += f"{ascii_row}\n" * 40000
    path = tmp_path / "late.csv"
    path.write_bytes(body.encode("ascii") + f"{ROW}\n".encode("gbk"))
    assert path.stat().st_size > 3 * 2**20  # several of detect_encoding's blocks
    assert detect_encoding(path) == "gb18030"
    with open_file(path) as reader:
        *_, (number, last) = reader
    assert number == 40002 and last["holder_name"] == "张三"


def test_undecodable_file_is_a_file_error(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\x81\x30\xff\xff" * 10)
    with pytest.raises(FileError) as err:
        open_file(path)
    assert err.value.code in ("encoding_unknown", "header_not_found")


def test_title_rows_are_skipped_and_row_numbers_match_the_spreadsheet(tmp_path):
    path = write(
        tmp_path, f"2026年3月回访清单\n\n{HEADER}\n{ROW}\n\n{ROW.replace('P001', 'P002')}\n", "utf-8-sig"
    )
    with open_file(path) as reader:
        rows = list(reader)
    assert reader.layout.header_row == 3
    assert [number for number, _ in rows] == [4, 6]


def test_english_headers_and_unknown_columns(tmp_path):
    header = ENGLISH_HEADER + ",colour"
    path = write(tmp_path, f"{header}\n{ROW},blue\n", "utf-8")
    with open_file(path) as reader:
        row = next(iter(reader))[1]
    assert reader.layout.unknown == ["colour"]
    assert check_row(row).errors == []


def test_headers_with_stars_spaces_and_units_are_recognised(tmp_path):
    header = HEADER.replace("保单号", "*保单号").replace("投保人姓名", " 投保人 姓名 ") + ",保费（元）"
    path = write(tmp_path, f"{header}\n{ROW},5000\n", "utf-8")
    with open_file(path) as reader:
        row = next(iter(reader))[1]
    assert row["policy_number"] == "P001" and row["holder_name"] == "张三" and row["premium"] == "5000"


def test_missing_required_columns_are_named(tmp_path):
    path = write(tmp_path, "保单号,回访事项,面访原因\nP1,新单,无电话\n", "utf-8")
    with pytest.raises(FileError) as err:
        open_file(path)
    assert err.value.code == "header_missing_columns"
    assert "产品名称" in err.value.message and "product_name" in err.value.details["missing"]


def test_tab_separated_exports_are_read(tmp_path):
    path = write(tmp_path, f"{HEADER.replace(',', chr(9))}\n{ROW.replace(',', chr(9))}\n", "utf-8")
    with open_file(path) as reader:
        assert next(iter(reader))[1]["policy_number"] == "P001"


def test_old_xls_files_are_refused_with_advice(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(FileError) as err:
        open_file(path)
    assert err.value.code == "xls_not_supported"


def make_xlsx(path, *, numeric_id=True):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["回访需求清单"])
    sheet.append([*HEADER.split(","), "生效日期", "宽限期截止日", "金额"])
    sheet.append(
        [
            "P001",
            "新单",
            "无电话",
            "370102",
            "产品",
            "传统型",
            "个人代理",
            240,
            "张三",
            370102199003071234.0 if numeric_id else "11010519491231002X",
            13800138000,
            datetime(2026, 3, 5),
            46086,
            1000.01,
        ]
    )
    book.save(path)
    return path


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_xlsx_cells_keep_their_types_and_rounded_ids_are_caught(tmp_path, engine):
    path = make_xlsx(tmp_path / "f.xlsx")
    with XlsxReader(path, engine=engine) as reader:
        assert reader.total_rows == 3 and reader.layout.header_row == 2
        ((number, row),) = list(reader)
    assert number == 3
    checked = check_row(row)
    errors = {e.column: e.code for e in checked.errors}
    assert errors == {"holder_id_number": "id_number_rounded"}
    r = checked.record
    assert r["holder_phone"] == "13800138000"
    assert str(r["effective_date"]) == "2026-03-05" and str(r["grace_end"]) == "2026-03-05"
    assert r["term_months"] == 240
    assert reader.progress == 1.0


def test_xlsx_with_text_ids_is_clean(tmp_path):
    path = make_xlsx(tmp_path / "f.xlsx", numeric_id=False)
    with open_file(path) as reader:
        ((_, row),) = list(reader)
    assert check_row(row).errors == []


def test_csv_progress_is_the_share_of_bytes_read(tmp_path):
    path = write(tmp_path, f"{HEADER}\n" + f"{ROW}\n" * 20000, "utf-8")
    reader = CsvReader(path)
    seen = []
    for i, _ in enumerate(reader):
        if i % 5000 == 0:
            seen.append(reader.progress)
    reader.close()
    assert seen == sorted(seen) and seen[-1] < 1.0 and reader.progress == 1.0
