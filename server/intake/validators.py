"""One intake row: raw cells in, a clean record or the list of what is wrong with it out.

Checks what a row says by itself (formats, required fields, dates in order); what depends on the
database (institution in the caller's scope, duplicates, R1 scope) is server.intake.services' job.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from server.intake import normalise as n
from server.intake.columns import BY_KEY, LABELS, LOOKUPS, ORGANISATION_ID_TYPES, header_key


@dataclass
class RowError:
    column: str | None  # the column key (None: the row as a whole)
    value: str | None
    code: str
    message: str
    message_en: str

    @property
    def column_zh(self) -> str:
        return BY_KEY[self.column].zh if self.column in BY_KEY else ""


@dataclass
class Checked:
    record: dict = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, column, value, code, zh, en):
        self.errors.append(RowError(column, _shown(value), code, zh, en))


def _shown(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)[:200]


def _required(c: Checked, key: str, value):
    c.fail(key, value, "required", f"“{BY_KEY[key].zh}”不能为空", f"{key} is required")


def _enum(c: Checked, raw: dict, key: str, *, required: bool = False, default: str | None = None):
    value = raw.get(key)
    if value is None:
        if required:
            _required(c, key, value)
        return default
    lookup = LOOKUPS[key]
    if value in lookup:  # the usual spelling, straight from the file
        return lookup[value]
    cleaned = n.text(value)
    if cleaned is None:
        if required:
            _required(c, key, value)
        return default
    code = lookup.get(header_key(cleaned))
    if code is None:
        allowed = "、".join(LABELS[key].values())
        c.fail(
            key,
            value,
            f"{key}_unknown",
            f"“{cleaned}”不是可识别的{BY_KEY[key].zh}，可填：{allowed}",
            f"{cleaned!r} is not a known {key}; use one of {', '.join(LABELS[key])}",
        )
    return code


# Values that repeat across rows (dates, yes/no, amounts) are worked out once.
_MEMO: dict = {}
_MEMO_MAX = 50_000
_MEMO_FUNCS = {n.to_date, n.yes_no, n.fen, n.whole_number}


def _cell(c: Checked, raw: dict, key: str, fn, *, required: bool = False, **kwargs):
    value = raw.get(key)
    if value is None and not required:
        return kwargs.get("default")
    memo = fn in _MEMO_FUNCS and type(value) in (str, float, int)
    try:
        if memo:
            memo_key = (fn, value, tuple(kwargs.items()))
            result = _MEMO.get(memo_key, _MEMO)
            if result is _MEMO:
                try:
                    result = fn(value, **kwargs)
                except n.CellError as err:
                    result = err
                if len(_MEMO) >= _MEMO_MAX:
                    _MEMO.clear()
                _MEMO[memo_key] = result
            if isinstance(result, n.CellError):
                raise result
        else:
            result = fn(value, **kwargs)
    except n.CellError as err:
        c.fail(key, value, err.code, err.message, err.message_en)
        return None
    if result is None and required:
        _required(c, key, value)
    return result


def _name(c: Checked, raw: dict, key: str, *, required: bool, limit: int = 100) -> str | None:
    value = n.text(raw.get(key))
    if value is None:
        if required:
            _required(c, key, raw.get(key))
        return None
    if len(value) > limit:
        c.fail(
            key, value, "too_long", f"“{BY_KEY[key].zh}”超过 {limit} 个字", f"{key} is longer than {limit}"
        )
        return None
    return value


def _resident_id(value):
    """n.resident_id, remembered like the cells above: the insured is most often the holder, so
    a row usually carries the same number twice."""
    if type(value) is not str:
        return n.resident_id(value)
    memo_key = (n.resident_id, value)
    result = _MEMO.get(memo_key, _MEMO)
    if result is _MEMO:
        try:
            result = n.resident_id(value)
        except n.CellError as err:
            result = err
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        _MEMO[memo_key] = result
    if isinstance(result, n.CellError):
        raise result
    return result


def _id_number(c: Checked, raw: dict, key: str, id_type: str | None) -> str | None:
    value = raw.get(key)
    try:
        if id_type in (None, "resident_id"):
            number, note = _resident_id(value)
            if note:
                c.notes.append(f"{key}:{note}")
            return number
        return n.other_id(value)
    except n.CellError as err:
        c.fail(key, value, err.code, err.message, err.message_en)
        return None


def auto_external_ref(record: dict) -> str:
    """A row without 需求编号 gets one from what makes it this row: importing the same file twice
    creates nothing twice."""
    basis = "|".join(
        str(record.get(k) or "") for k in ("policy_number", "item", "source", "event_date", "amount_fen")
    )
    return "auto:" + hashlib.sha256(basis.encode()).hexdigest()[:32]


def check_row(raw: dict, *, default_institution_code: str | None = None) -> Checked:
    """Check one row of raw cells (keyed by column key). The record's keys are Policy columns plus
    the task fields (item, source, event_date, amount_fen, paid_to_other, due_date, notes,
    external_ref) and the codes to resolve (institution_code, salesperson_*)."""
    c = Checked()
    r = c.record

    number = n.text(raw.get("policy_number"))
    if number is None:
        _required(c, "policy_number", raw.get("policy_number"))
    elif len(number) > 40 or " " in number:
        c.fail("policy_number", number, "policy_number_invalid", "保单号格式不正确", "Invalid policy number")
    else:
        r["policy_number"] = number.upper()

    r["item"] = _enum(c, raw, "item", required=True)
    r["source"] = _enum(c, raw, "source", required=True)
    inst = n.text(raw.get("institution_code")) or default_institution_code
    if inst is None:
        _required(c, "institution_code", raw.get("institution_code"))
    r["institution_code"] = inst

    r["product_code"] = _name(c, raw, "product_code", required=False, limit=40)
    r["product_name"] = _name(c, raw, "product_name", required=True, limit=200)
    r["product_type"] = _enum(c, raw, "product_type", required=True)
    r["channel"] = _enum(c, raw, "channel", required=True)
    r["bank_name"] = _name(c, raw, "bank_name", required=False)
    r["group_business"] = _cell(c, raw, "group_business", n.yes_no, default=False)

    term_given, months = False, None
    try:
        term_given, months = n.term_months(raw.get("term"))
    except n.CellError as err:
        c.fail("term", raw.get("term"), err.code, err.message, err.message_en)
        term_given = True
    r["term_months"] = months
    if r["item"] == "new_business" and not term_given:
        # R1 turns on the term for new business: an empty cell must not read as whole life.
        c.fail(
            "term",
            None,
            "required",
            "新单回访必须填写保险期间（R1：一年以上）",
            "New business needs the policy term (R1: longer than one year)",
        )

    id_type = _enum(c, raw, "holder_id_type", default="resident_id")
    holder_type = _enum(c, raw, "holder_type", default=None)
    if holder_type == "organisation" and n.text(raw.get("holder_id_type")) is None:
        id_type = "uscc"
    r["holder_id_type"] = id_type or "resident_id"
    r["holder_is_person"] = holder_type != "organisation" and id_type not in ORGANISATION_ID_TYPES
    r["holder_name"] = _name(c, raw, "holder_name", required=True)
    r["holder_id_number"] = _id_number(c, raw, "holder_id_number", id_type)
    if r["holder_is_person"] and r["holder_id_number"] is None and raw.get("holder_id_number") is None:
        _required(c, "holder_id_number", None)  # R7: the visit verifies the holder by ID number
    r["holder_phone"] = _cell(c, raw, "holder_phone", n.phone)
    r["holder_address"] = _name(c, raw, "holder_address", required=False, limit=300)
    r["insured_name"] = _name(c, raw, "insured_name", required=False) or r["holder_name"]
    r["insured_id_number"] = _id_number(c, raw, "insured_id_number", None)
    r["insured_phone"] = _cell(c, raw, "insured_phone", n.phone)
    r["pays_on_death"] = _cell(c, raw, "pays_on_death", n.yes_no, default=False)

    r["premium_fen"] = _cell(c, raw, "premium", n.fen) or 0
    r["payment_frequency"] = _enum(c, raw, "payment_frequency", default="annual")
    r["payment_period_years"] = _cell(c, raw, "payment_period_years", n.whole_number, maximum=100)
    r["sum_assured_fen"] = _cell(c, raw, "sum_assured", n.fen)
    for key in (
        "effective_date",
        "delivery_date",
        "cooling_off_end",
        "premium_due_date",
        "grace_end",
        "lapse_date",
        "event_date",
        "due_date",
    ):
        r[key] = _cell(c, raw, key, n.to_date)
    r["amount_fen"] = _cell(c, raw, "amount", n.fen)
    r["paid_to_other"] = _cell(c, raw, "paid_to_other", n.yes_no, default=False)
    r["salesperson_code"] = _name(c, raw, "salesperson_code", required=False, limit=32)
    r["salesperson_name"] = _name(c, raw, "salesperson_name", required=False)
    r["salesperson_phone"] = _cell(c, raw, "salesperson_phone", n.phone)
    r["notes"] = _name(c, raw, "notes", required=False, limit=500)

    item = r["item"]
    # The date the item is about: given, or the policy date that goes with the item.
    if r["event_date"] is None:
        r["event_date"] = {"grace_period": r["grace_end"], "lapse": r["lapse_date"]}.get(item)
    if item == "grace_period" and r["event_date"] is None:
        c.fail(
            "grace_end",
            None,
            "required",
            "宽限期回访必须填写宽限期截止日",
            "Grace period needs grace_end (R8)",
        )
    if item in ("surrender", "claim") and r["amount_fen"] is None and raw.get("amount") is None:
        c.fail(
            "amount",
            None,
            "required",
            "退保、理赔回访必须填写金额（R1：1000 元以上）",
            "Surrender and claim need the amount (R1: 1000 yuan or more)",
        )
    if (
        r["effective_date"]
        and r["cooling_off_end"]
        and r["cooling_off_end"] < r["effective_date"]
        and not any(e.column == "cooling_off_end" for e in c.errors)
    ):
        c.fail(
            "cooling_off_end",
            r["cooling_off_end"].isoformat(),
            "date_order",
            "犹豫期截止日早于生效日期",
            "The cooling-off end is before the effective date",
        )

    ref = n.text(raw.get("external_ref"))
    if ref is not None and len(ref) > 80:
        c.fail("external_ref", ref, "too_long", "需求编号超过 80 个字符", "external_ref is longer than 80")
        ref = None
    r["external_ref"] = ref or (auto_external_ref(r) if not c.errors else None)
    return c
