"""Turning the cells of messy files into clean values, one small function per kind of value.

Files come from other systems and from people with Excel: full-width digits (１３８…), non-breaking
and ideographic spaces, dates as Excel serial numbers or as text in half a dozen forms, amounts with
¥ and thousands separators, and ID numbers that Excel stored as numbers and so rounded. Each function
takes what a reader gives (str, int, float, date, datetime or None) and returns the clean value, or
raises CellError with the reason in Chinese and English. No Flask, no database: plain data in and out.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation


class CellError(ValueError):
    """A cell that cannot be used, with a stable code and the reason in both languages."""

    def __init__(self, code: str, message: str, message_en: str):
        super().__init__(message_en)
        self.code = code
        self.message = message
        self.message_en = message_en


# Zero-width characters and a BOM that slipped into a cell: invisible, never meant.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_HAS_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_SPACES = re.compile(r"\s+")


def text(value) -> str | None:
    """A cell as clean text: NFKC (full-width letters and digits become ASCII, NBSP and the
    ideographic space become spaces), invisible characters removed, runs of space collapsed, trimmed.
    Empty is None."""
    if value is None:
        return None
    if type(value) is not str:
        if isinstance(value, float):
            # A number cell where text was expected: 12.0 is "12", never "12.0".
            value = str(int(value)) if value.is_integer() else repr(value)
        else:
            value = str(value)
    if value.isascii():
        # The common case, kept cheap: a million rows have tens of millions of cells.
        if "  " in value or "\t" in value or "\n" in value or "\r" in value:
            value = _SPACES.sub(" ", value)
        return value.strip() or None
    if not unicodedata.is_normalized("NFKC", value):
        value = unicodedata.normalize("NFKC", value)
    if _HAS_INVISIBLE.search(value):
        value = value.translate(_INVISIBLE)
    cleaned = _SPACES.sub(" ", value).strip()
    return cleaned or None


# ---------------------------------------------------------------------------------------------
# Resident ID numbers (GB 11643-1999)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$")

ROUNDED_ID = CellError(
    "id_number_rounded",
    "身份证号被 Excel 当作数字保存，末尾几位已被舍入，无法恢复；请在源系统中把该列设为文本后重新导出",
    "The ID number was stored as a number by Excel and its last digits were rounded away; it cannot be "
    "recovered. Export it again with the column formatted as text",
)


def id_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(map(operator.mul, map(int, first17), _ID_WEIGHTS)) % 11]


def id_checksum_ok(number: str) -> bool:
    return bool(_ID18.match(number)) and id_check_digit(number[:17]) == number[17]


def upgrade_id15(number: str) -> str:
    """A 15-digit first-generation ID as the 18-digit one it became: century 19 and a check digit.

    Every 15-digit ID was issued to someone born in the 1900s, so the conversion is exact; it is the
    rule of GB 11643-1999 itself, not a guess.
    """
    first17 = number[:6] + "19" + number[6:]
    return first17 + id_check_digit(first17)


def _birth_date(number: str) -> date | None:
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    return born if date(1900, 1, 1) <= born <= date.today() else None


ROUNDED_ID_000 = CellError(
    "id_number_rounded",
    "身份证号以 000 结尾，几乎可以肯定是被 Excel 当作数字保存后舍入的（末几位已丢失，无法恢复）；"
    "请在源系统中把该列设为文本后重新导出。若证件号码确实以 000 结尾，请经保单系统接口提交",
    "The ID number ends in 000: almost certainly Excel stored it as a number and rounded its last digits "
    "away, which cannot be recovered. Export it again as text; a number that really ends in 000 goes "
    "through the policy system's API",
)


def resident_id(value, *, excel_suspect: bool = True) -> tuple[str | None, str | None]:
    """A mainland resident ID number, checked (GB 11643 check digit, real birth date).

    Returns (number, note): the note says what was done to it, e.g. a 15-digit ID upgraded.
    Excel-rounded IDs (a number cell, 3.70102199003071E+17, or 18 digits ending in 000) are refused
    with the reason, never "repaired". Excel keeps 15 significant digits, so a rounded ID always
    ends in 000, and one in eleven of those still passes the check digit; a genuine ID ends in 000
    about once in 1100. Files (``excel_suspect``) refuse them all; the policy system's API, whose
    numbers never went through Excel, does not.
    """
    if value is None:
        return None, None
    if isinstance(value, float):
        if value.is_integer() and value < 1e15:
            value = str(int(value))  # a 15-digit old ID survives as a double
        else:
            raise ROUNDED_ID
    elif isinstance(value, int):
        value = str(value)
    cleaned = text(value)
    if cleaned is None:
        return None, None
    cleaned = cleaned.replace(" ", "").replace("-", "").upper()
    if _SCIENTIFIC.match(cleaned):
        raise ROUNDED_ID
    note = None
    if _ID15.match(cleaned):
        if _birth_date("xxxxxx19" + cleaned[6:12]) is None:
            raise CellError(
                "id_number_invalid",
                "15 位身份证号中的出生日期不存在",
                "The birth date inside the 15-digit ID number does not exist",
            )
        cleaned = upgrade_id15(cleaned)
        note = "id15_upgraded"
    if not _ID18.match(cleaned):
        raise CellError(
            "id_number_invalid",
            "身份证号应为 18 位（最后一位可为 X）",
            "A resident ID number has 18 characters (the last may be X)",
        )
    if excel_suspect and cleaned.endswith("000"):
        raise ROUNDED_ID if not id_checksum_ok(cleaned) else ROUNDED_ID_000
    if not id_checksum_ok(cleaned):
        raise CellError(
            "id_number_checksum",
            "身份证号校验位不正确",
            "The check digit of the ID number is wrong (GB 11643)",
        )
    if _birth_date(cleaned) is None:
        raise CellError(
            "id_number_invalid",
            "身份证号中的出生日期不存在",
            "The birth date inside the ID number does not exist",
        )
    return cleaned, note


def other_id(value) -> str | None:
    """Passports, permits, organisation codes: kept as given, cleaned and upper-cased."""
    cleaned = text(value)
    if cleaned is None:
        return None
    cleaned = cleaned.replace(" ", "").upper()
    if len(cleaned) > 32:
        raise CellError("id_number_invalid", "证件号码过长", "The ID number is too long")
    return cleaned


# ---------------------------------------------------------------------------------------------
# Phones

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0[1-9]\d{1,2}[2-9]\d{6,7}$")
_PHONE_JUNK = re.compile(r"[\s\-()（）.]")
_EXTENSION = re.compile(r"(转|ext\.?|x|#)\d{1,6}$", re.IGNORECASE)


def phone(value) -> str | None:
    """A mainland phone as digits only: mobiles 1[3-9] and 9 digits; landlines with area code.

    +86 / 0086 / 86 before a mobile is dropped; an extension is dropped (the visit needs the line).
    Stored normalised so that R5's shared-phone check is an equality on an index.
    """
    if value is None:
        return None
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError("phone_invalid", "电话号码格式不正确", "Not a phone number")
        value = str(int(value))
    cleaned = text(value)
    if cleaned is None:
        return None
    cleaned = _EXTENSION.sub("", _PHONE_JUNK.sub("", cleaned))
    if cleaned.startswith("+86"):
        cleaned = cleaned[3:]
    elif cleaned.startswith("0086"):
        cleaned = cleaned[4:]
    elif cleaned.startswith("86") and len(cleaned) == 13:
        cleaned = cleaned[2:]
    if not cleaned.isdigit():
        raise CellError("phone_invalid", "电话号码只能包含数字", "A phone number has digits only")
    if _MOBILE.match(cleaned) or _LANDLINE.match(cleaned):
        return cleaned
    if len(cleaned) in (7, 8) and cleaned[0] in "23456789":
        raise CellError("phone_no_area_code", "固定电话缺少区号", "The landline number has no area code")
    if len(cleaned) in (10, 11) and cleaned[0] in "23456789":
        raise CellError(
            "phone_invalid",
            "电话号码格式不正确（若为固定电话，区号开头的 0 可能被 Excel 去掉了）",
            "Not a phone number (if a landline, Excel may have dropped the 0 of the area code)",
        )
    raise CellError(
        "phone_invalid",
        "电话号码格式不正确：手机号为 1 开头的 11 位数字，固定电话需带区号",
        "Not a phone number: mobiles have 11 digits starting with 1, landlines need an area code",
    )


# ---------------------------------------------------------------------------------------------
# Dates

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 leap-year bug included)
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2100, 12, 31)


def _date_error() -> CellError:
    return CellError(
        "date_invalid",
        "日期格式不正确，可用 2026-03-05、2026/3/5、2026.3.5、20260305 或 2026年3月5日",
        "Not a date; use 2026-03-05, 2026/3/5, 2026.3.5, 20260305 or 2026年3月5日",
    )


def _in_range(d: date) -> date:
    if not DATE_MIN <= d <= DATE_MAX:
        raise CellError("date_out_of_range", "日期超出 1900–2100 年的范围", "The date is outside 1900–2100")
    return d


def excel_serial(serial: float) -> date:
    if serial < 1 or serial > 2958465:
        raise _date_error()
    return _in_range(_EXCEL_EPOCH + timedelta(days=int(serial)))


def to_date(value) -> date | None:
    """A date from an Excel date cell, an Excel serial number, or text in the usual forms."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return _in_range(value.date())
    if isinstance(value, date):
        return _in_range(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # 20260305 typed as a number, or an Excel serial (a date cell without date format).
        if 19000101 <= value <= 21001231 and float(value).is_integer():
            return to_date(str(int(value)))
        return excel_serial(float(value))
    cleaned = text(value)
    if cleaned is None:
        return None
    for pattern in _DATE_PATTERNS:
        m = pattern.match(cleaned)
        if m:
            try:
                return _in_range(date(int(m[1]), int(m[2]), int(m[3])))
            except ValueError:
                raise CellError("date_invalid", "日期不存在", "No such date") from None
    if re.fullmatch(r"\d{4,5}(\.0+)?", cleaned):  # a serial that became text on the way
        return excel_serial(float(cleaned))
    raise _date_error()


# ---------------------------------------------------------------------------------------------
# Money: yuan in, integer fen out

_MONEY_JUNK = re.compile(r"[¥￥,，\s]|元$|RMB|CNY", re.IGNORECASE)
_MONEY = re.compile(r"^\d+(\.\d*)?$")


def fen(value) -> int | None:
    """An amount in yuan with at most two decimals, as integer fen. ¥, ￥, 元 and commas are allowed.

    Negative amounts and a third decimal are refused: money is never rounded on the way in.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError("amount_invalid", "金额格式不正确", "Not an amount")
    if isinstance(value, int):
        raw = str(value)
    elif isinstance(value, float):
        raw = repr(value)  # the shortest text that reads back as this float: what was typed
        if "e" in raw or "E" in raw:
            raw = format(Decimal(raw), "f")
    else:
        cleaned = text(value)
        if cleaned is None:
            return None
        raw = _MONEY_JUNK.sub("", cleaned)
    if raw.startswith("-"):
        raise CellError("amount_negative", "金额不能为负数", "The amount cannot be negative")
    if not _MONEY.match(raw):
        raise CellError("amount_invalid", "金额格式不正确", "Not an amount")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise CellError("amount_invalid", "金额格式不正确", "Not an amount") from None
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise CellError(
            "amount_precision",
            "金额最多保留两位小数（到分）",
            "An amount has at most two decimals (fen)",
        )
    result = int(amount * 100)
    if result > 10**15:
        raise CellError("amount_too_large", "金额过大", "The amount is too large")
    return result


# ---------------------------------------------------------------------------------------------
# Small things: yes/no, whole numbers, policy terms

_YES = {"是", "有", "y", "yes", "true", "1", "√", "✓", "t"}
_NO = {"否", "无", "没有", "n", "no", "false", "0", "×", "x", "f"}


def yes_no(value, *, default: bool | None = None) -> bool | None:
    if isinstance(value, bool):
        return value
    cleaned = text(value)
    if cleaned is None:
        return default
    lowered = cleaned.lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    raise CellError("yes_no_invalid", "应填“是”或“否”", "Expected yes or no (是/否)")


def whole_number(value, *, minimum: int = 0, maximum: int = 10**6) -> int | None:
    if value is None:
        return None
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError("number_invalid", "应为整数", "Expected a whole number")
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        cleaned = text(value)
        if cleaned is None:
            return None
        cleaned = re.sub(r"(年|个月|月|期)$", "", cleaned)
        if not re.fullmatch(r"\d+(\.0+)?", cleaned):
            raise CellError("number_invalid", "应为整数", "Expected a whole number")
        number = int(float(cleaned))
    if not minimum <= number <= maximum:
        raise CellError(
            "number_out_of_range",
            f"数值应在 {minimum}–{maximum} 之间",
            f"The number must be between {minimum} and {maximum}",
        )
    return number


WHOLE_LIFE = ("终身", "终生", "至终身", "whole life", "wholelife", "lifetime")
_TERM = re.compile(r"^(\d+)(年|岁|个月|月|y|years?|m|months?)?$", re.IGNORECASE)


def term_months(value) -> tuple[bool, int | None]:
    """A policy term: (given, months). Months may be written 24, 24月, 24个月, 2年, or 终身 (None).

    "至70岁" (to age 70) cannot be turned into months without the insured's age: refused.
    """
    if value is None:
        return False, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True, whole_number(value, minimum=1, maximum=1200)
    cleaned = text(value)
    if cleaned is None:
        return False, None
    lowered = cleaned.lower().replace(" ", "")
    if lowered in WHOLE_LIFE:
        return True, None
    m = _TERM.match(lowered)
    if m and m[2] not in ("岁",):
        n = int(m[1])
        months = n * 12 if m[2] in ("年", "y", "year", "years") else n
        if not 1 <= months <= 1200:
            raise CellError("term_invalid", "保险期间超出范围", "The policy term is out of range")
        return True, months
    raise CellError(
        "term_invalid",
        "保险期间应写成月数（如 24）、“2年”、“24个月”或“终身”",
        "Write the policy term as months (24), 2年, 24个月 or 终身 (whole life)",
    )
