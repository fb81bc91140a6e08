"""Placeholders in question text, filled from the policy facts and formatted the Chinese way.

``{premium}`` becomes ``¥1,234.50``, ``{grace_end}`` becomes ``2026年3月5日``. ``{{`` and ``}}`` are
literal braces. The tablet has the same table in ``pwa/src/shared/questionnaire/placeholders.js``;
``tests/vectors/placeholders.json`` proves both write the same text. An unknown name in a definition is
an error when it is saved (``definition.check_definition``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

MISSING = "【未提供】"

PRODUCT_TYPES = {
    "traditional": "传统型",
    "participating": "分红型",
    "universal": "万能型",
    "unit_linked": "投资连结型",
}
CHANNELS = {
    "agency": "个人代理",
    "bank": "银行代理",
    "telemarketing": "电话销售",
    "broker": "经纪代理",
    "internet": "互联网",
    "direct": "直销",
}
FREQUENCIES = {
    "single": "趸交",
    "annual": "年交",
    "semiannual": "半年交",
    "quarterly": "季交",
    "monthly": "月交",
}

_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def format_money(fen: Any) -> str:
    """Integer fen as yuan: 123450 -> ¥1,234.50 (never through float)."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        return MISSING
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


def format_date(value: Any) -> str:
    """ISO date as the Chinese write it: 2026-03-05 -> 2026年3月5日."""
    match = _DATE.match(value) if isinstance(value, str) else None
    if not match:
        return MISSING
    year, month, day = (int(part) for part in match.groups())
    return f"{year}年{month}月{day}日"


def format_years(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        return MISSING
    return f"{value}年"


def format_text(value: Any) -> str:
    if value is None or value == "":
        return MISSING
    return str(value)


def _label(table: dict[str, str]) -> Callable[[Any], str]:
    return lambda value: table.get(value, MISSING) if isinstance(value, str) else MISSING


def format_fee_items(items: Any) -> str:
    """R7 fee items: 初始费用（3%）¥120.00；保单管理费（每月5元）¥60.00."""
    if not isinstance(items, list):
        return MISSING
    if not items:
        return "无"
    parts = []
    for item in items:
        if not isinstance(item, dict):
            continue
        text = str(item.get("name") or item.get("code") or "")
        if item.get("rate"):
            text += f"（{item['rate']}）"
        if isinstance(item.get("amount_fen"), int):
            text += format_money(item["amount_fen"])
        parts.append(text)
    return "；".join(parts)


def mask_id(number: Any) -> str:
    """An ID number as shown to the specialist: first 3 and last 4 characters, the rest hidden."""
    if not isinstance(number, str) or len(number) < 8:
        return MISSING
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


# name -> (fact key, formatter, Chinese description for the designer)
PLACEHOLDERS: dict[str, tuple[str, Callable[[Any], str], str]] = {
    "policy_number": ("policy_number", format_text, "保单号"),
    "product_name": ("product_name", format_text, "产品名称"),
    "product_type": ("product_type", _label(PRODUCT_TYPES), "产品类型"),
    "channel": ("channel", _label(CHANNELS), "销售渠道"),
    "bank_name": ("bank_name", format_text, "代理银行"),
    "holder_name": ("holder_name", format_text, "投保人姓名"),
    "insured_name": ("insured_name", format_text, "被保险人姓名"),
    "holder_id_masked": ("holder_id_masked", format_text, "投保人证件号（遮蔽）"),
    "premium": ("premium_fen", format_money, "期交保费"),
    "payment_frequency": ("payment_frequency", _label(FREQUENCIES), "交费方式"),
    "payment_period": ("payment_period_years", format_years, "交费期间"),
    "term": ("term_years", format_years, "保险期间"),
    "sum_assured": ("sum_assured_fen", format_money, "基本保险金额"),
    "delivery_date": ("delivery_date", format_date, "保单签收日"),
    "cooling_off_end": ("cooling_off_end", format_date, "犹豫期截止日"),
    "premium_due_date": ("premium_due_date", format_date, "续期保费应交日"),
    "grace_end": ("grace_end", format_date, "宽限期截止日"),
    "lapse_date": ("lapse_date", format_date, "保单失效日"),
    "amount": ("amount_fen", format_money, "退保金或赔付金额"),
    "fee_items": ("fee_items", format_fee_items, "扣费项目及标准"),
    "first_premium_deduction": ("first_premium_deduction_fen", format_money, "首期保费扣除的费用"),
    "account_credit": ("account_credit_fen", format_money, "计入保单账户的净额"),
    "salesperson_name": ("salesperson_name", format_text, "销售人员姓名"),
    "institution_name": ("institution_name", format_text, "服务机构"),
}


def names_in(text: str) -> list[str]:
    """The placeholder names a text uses, in order (escaped braces are not placeholders)."""
    return [m.group(1) for m in _TOKEN.finditer(text or "") if m.group(1)]


def unknown_in(text: str) -> list[str]:
    return [name for name in names_in(text) if name not in PLACEHOLDERS]


def value_of(name: str, facts: dict) -> str:
    key, formatter, _ = PLACEHOLDERS[name]
    if key == "holder_id_masked" and not facts.get(key) and facts.get("holder_id_number"):
        return mask_id(facts["holder_id_number"])
    return formatter(facts.get(key))


def fill(text: str, facts: dict) -> str:
    """The text with every placeholder replaced; an unknown name stays as written."""

    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        return value_of(name, facts) if name in PLACEHOLDERS else token

    return _TOKEN.sub(replace, text or "")


def catalog() -> list[dict]:
    return [{"name": name, "fact": key, "label": label} for name, (key, _, label) in PLACEHOLDERS.items()]
