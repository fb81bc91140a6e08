"""Cells as messy files deliver them: IDs, phones, dates, amounts, full-width text (no database)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from server.intake import normalise as n
from server.intake.validators import check_row

VALID_ID = "11010519491231002X"  # the GB 11643 standard's own example


def test_text_turns_full_width_and_odd_spaces_into_plain_text():
    assert n.text("\u00a0 张\u3000三 \u200b") == "张 三"
    assert n.text("１３８００１３８０００") == "13800138000"
    assert n.text("ＡＢＣ１２３") == "ABC123"
    assert n.text("  a  b\t") == "a b"
    assert n.text("   ") is None
    assert n.text(12.0) == "12"


@pytest.mark.parametrize(
    "raw, expected",
    [
        (VALID_ID, VALID_ID),
        (VALID_ID.lower(), VALID_ID),  # lowercase x
        (f" {VALID_ID} ", VALID_ID),
        ("１１０１０５１９４９１２３１００２Ｘ", VALID_ID),  # full-width
    ],
)
def test_resident_id_accepts_valid_numbers_in_any_dress(raw, expected):
    assert n.resident_id(raw) == (expected, None)


def test_resident_id_checks_the_gb11643_check_digit():
    with pytest.raises(n.CellError) as err:
        n.resident_id("110105194912310021")
    assert err.value.code == "id_number_checksum"
    assert "校验位" in err.value.message


@pytest.mark.parametrize(
    "raw", [3.70102199003071e17, "3.70102199003071E+17", "3.70102199003071e17", "370102199003071000"]
)
def test_excel_rounded_ids_are_reported_as_lost_not_repaired(raw):
    with pytest.raises(n.CellError) as err:
        n.resident_id(raw)
    assert err.value.code == "id_number_rounded"
    assert "无法恢复" in err.value.message and "cannot be recovered" in err.value.message_en


def test_an_id_ending_in_000_with_a_good_check_digit_is_still_suspect_in_files_but_not_from_the_api():
    number = "370102199003071000"  # Excel's rounding of 3701021990030710xx; its check digit happens to fit
    assert n.id_checksum_ok(number)
    with pytest.raises(n.CellError) as err:
        n.resident_id(number)
    assert err.value.code == "id_number_rounded" and "000" in err.value.message
    assert n.resident_id(number, excel_suspect=False) == (number, None)


def test_fifteen_digit_ids_are_upgraded_to_eighteen_with_a_note():
    number, note = n.resident_id("370102900307123")
    assert note == "id15_upgraded"
    assert number.startswith("37010219900307123") and n.id_checksum_ok(number)
    # a 15-digit ID stored as a number survives exactly (15 digits fit in a double)
    assert n.resident_id(370102900307123.0)[0] == number


def test_id_with_impossible_birth_date_is_refused():
    first17 = "37010219901332123"
    with pytest.raises(n.CellError) as err:
        n.resident_id(first17 + n.id_check_digit(first17))
    assert err.value.code == "id_number_invalid"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        (13800138000.0, "13800138000"),
        ("0531-86001234", "053186001234"),
        ("(0531)86001234", "053186001234"),
        ("0531-86001234转8001", "053186001234"),
        ("010-12345678", "01012345678"),
    ],
)
def test_mainland_phones_are_normalised(raw, expected):
    assert n.phone(raw) == expected


@pytest.mark.parametrize(
    "raw, code",
    [
        ("12800138000", "phone_invalid"),
        ("86001234", "phone_no_area_code"),
        ("1380013800", "phone_invalid"),
        ("abc", "phone_invalid"),
    ],
)
def test_bad_phones_are_refused_with_a_reason(raw, code):
    with pytest.raises(n.CellError) as err:
        n.phone(raw)
    assert err.value.code == code


@pytest.mark.parametrize(
    "raw",
    [
        "2026-03-05",
        "2026/3/5",
        "2026.3.5",
        "20260305",
        "2026年3月5日",
        "２０２６年３月５日",
        "2026-03-05 00:00:00",
        datetime(2026, 3, 5, 0, 0),
        date(2026, 3, 5),
        46086.0,  # an Excel serial
        46086,
        20260305,
    ],
)
def test_dates_in_every_usual_form(raw):
    assert n.to_date(raw) == date(2026, 3, 5)


@pytest.mark.parametrize("raw", ["2026-02-30", "03/05/2026", "明天", "2026-13-01"])
def test_bad_dates_are_refused(raw):
    with pytest.raises(n.CellError):
        n.to_date(raw)


@pytest.mark.parametrize(
    "raw, fen",
    [
        ("1000", 100000),
        ("999.99", 99999),
        ("1000.01", 100001),
        ("¥1,000.00", 100000),
        ("￥1，000.5", 100050),
        ("1000元", 100000),
        (999.99, 99999),
        (1000, 100000),
        ("１０００", 100000),
        ("0.1", 10),
    ],
)
def test_amounts_in_yuan_become_integer_fen(raw, fen):
    assert n.fen(raw) == fen


@pytest.mark.parametrize(
    "raw, code",
    [
        ("1000.001", "amount_precision"),
        (1000.005, "amount_precision"),
        ("-5", "amount_negative"),
        ("1e3x", "amount_invalid"),
    ],
)
def test_amounts_refused(raw, code):
    with pytest.raises(n.CellError) as err:
        n.fen(raw)
    assert err.value.code == code


def test_terms_are_months_years_or_whole_life():
    assert n.term_months("24") == (True, 24)
    assert n.term_months("2年") == (True, 24)
    assert n.term_months("13个月") == (True, 13)
    assert n.term_months("终身") == (True, None)
    assert n.term_months(None) == (False, None)
    with pytest.raises(n.CellError):
        n.term_months("至70岁")


def _row(**over):
    row = {
        "policy_number": "p001",
        "item": "新单",
        "source": "无电话",
        "institution_code": "370102",
        "product_name": "鑫福年年终身寿险",
        "product_type": "传统型",
        "channel": "个人代理",
        "term": "终身",
        "holder_name": "张三",
        "holder_id_number": VALID_ID,
        "holder_phone": "13800138000",
    }
    row.update(over)
    return {k: v for k, v in row.items() if v is not None}


def test_a_clean_row_becomes_a_record():
    c = check_row(_row())
    assert c.errors == []
    r = c.record
    assert r["policy_number"] == "P001" and r["item"] == "new_business" and r["source"] == "no_phone"
    assert r["term_months"] is None and r["insured_name"] == "张三" and r["holder_is_person"] is True
    assert r["external_ref"].startswith("auto:")


def test_row_errors_name_the_column_and_the_value():
    c = check_row(_row(holder_phone="12345", item="随便"))
    columns = {e.column: e for e in c.errors}
    assert set(columns) == {"holder_phone", "item"}
    assert columns["holder_phone"].value == "12345"
    assert columns["item"].column_zh == "回访事项"


def test_new_business_needs_a_term_and_claims_an_amount():
    assert [e.column for e in check_row(_row(term=None)).errors] == ["term"]
    assert [e.column for e in check_row(_row(item="理赔")).errors] == ["amount"]


def test_the_same_row_gets_the_same_automatic_reference():
    assert (
        check_row(_row()).record["external_ref"]
        == check_row(_row(holder_name="张三 ")).record["external_ref"]
    )


def test_organisation_holder_is_not_a_person():
    c = check_row(_row(holder_type="单位", holder_id_number="91370100MA3C000000"))
    assert c.errors == [] and c.record["holder_is_person"] is False and c.record["holder_id_type"] == "uscc"
