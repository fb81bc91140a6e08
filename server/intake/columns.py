"""The columns an intake file may have, their header names (Chinese and English), and the words of
each enumeration as offices write them. README.md's intake section is written from this table.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str  # the field name in the JSON batch API and in the error report's English column
    zh: str  # the header people write, and the name the error report shows
    aliases: tuple[str, ...] = ()
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "external_ref",
        "需求编号",
        ("外部编号", "回访需求编号", "流水号", "external_ref", "ref", "request_id"),
    ),
    Column("policy_number", "保单号", ("保单号码", "保险单号", "policy_number", "policy_no", "policy"), True),
    Column("item", "回访事项", ("回访类型", "业务类型", "事项", "item", "business_item"), True),
    Column("source", "面访原因", ("面访来源", "转面访原因", "来源", "source", "reason"), True),
    Column(
        "institution_code", "机构代码", ("管理机构代码", "机构编码", "institution_code", "institution"), False
    ),
    Column("product_code", "产品代码", ("险种代码", "product_code")),
    Column("product_name", "产品名称", ("险种名称", "product_name", "product"), True),
    Column("product_type", "产品类型", ("险种类型", "product_type"), True),
    Column("channel", "销售渠道", ("渠道", "channel"), True),
    Column("bank_name", "银行名称", ("代理银行", "bank_name", "bank")),
    Column("group_business", "团体业务", ("是否团险", "团险", "group_business", "group")),
    Column("term", "保险期间", ("保险期间(月)", "保险期限", "保障期限", "term", "term_months")),
    Column("holder_name", "投保人姓名", ("投保人", "holder_name", "holder"), True),
    Column("holder_type", "投保人类型", ("holder_type",)),
    Column("holder_id_type", "投保人证件类型", ("证件类型", "holder_id_type")),
    Column(
        "holder_id_number",
        "投保人证件号码",
        ("投保人身份证号", "投保人证件号", "身份证号", "holder_id_number", "holder_id"),
    ),
    Column(
        "holder_phone",
        "投保人电话",
        ("投保人手机", "投保人联系电话", "联系电话", "手机号", "holder_phone", "phone"),
    ),
    Column("holder_address", "投保人地址", ("联系地址", "地址", "holder_address", "address")),
    Column("insured_name", "被保险人姓名", ("被保险人", "被保人姓名", "insured_name", "insured")),
    Column(
        "insured_id_number",
        "被保险人证件号码",
        ("被保险人身份证号", "被保人身份证号", "insured_id_number", "insured_id"),
    ),
    Column("insured_phone", "被保险人电话", ("被保险人手机", "insured_phone")),
    Column("pays_on_death", "身故责任", ("含身故责任", "pays_on_death")),
    Column("premium", "保费", ("保费(元)", "期交保费", "premium", "premium_yuan")),
    Column("payment_frequency", "缴费方式", ("交费方式", "缴费频率", "payment_frequency")),
    Column(
        "payment_period_years", "缴费年期", ("交费年期", "缴费期间", "payment_period_years", "payment_years")
    ),
    Column("sum_assured", "保额", ("保额(元)", "基本保额", "sum_assured", "sum_assured_yuan")),
    Column("effective_date", "生效日期", ("生效日", "承保日期", "effective_date")),
    Column("delivery_date", "回执签收日期", ("保单送达日期", "签收日期", "delivery_date")),
    Column("cooling_off_end", "犹豫期截止日", ("犹豫期满日", "cooling_off_end")),
    Column("premium_due_date", "应缴日期", ("应交日期", "续期应缴日", "premium_due_date")),
    Column("grace_end", "宽限期截止日", ("宽限期满日", "grace_end")),
    Column("lapse_date", "失效日期", ("失效日", "lapse_date")),
    Column("event_date", "事项日期", ("退保日期", "理赔日期", "给付日期", "event_date")),
    Column("amount", "金额", ("金额(元)", "退保金额", "理赔金额", "给付金额", "amount", "amount_yuan")),
    Column("paid_to_other", "他人代领", ("是否代领", "paid_to_other")),
    Column(
        "salesperson_code", "业务员代码", ("业务员工号", "销售人员代码", "代理人代码", "salesperson_code")
    ),
    Column("salesperson_name", "业务员姓名", ("销售人员姓名", "代理人姓名", "salesperson_name")),
    Column("salesperson_phone", "业务员电话", ("销售人员电话", "代理人电话", "salesperson_phone")),
    Column("due_date", "截止日期", ("要求完成日期", "due_date")),
    Column("notes", "备注", ("说明", "notes", "note", "remark")),
)
BY_KEY = {c.key: c for c in COLUMNS}
REQUIRED = tuple(c.key for c in COLUMNS if c.required)

_HEADER_JUNK = re.compile(r"[\s*＊:：_\-]")


def header_key(header: str) -> str:
    """Headers compared loosely: NFKC, lower case, no spaces, stars (required marks), colons, _ or -."""
    return _HEADER_JUNK.sub("", unicodedata.normalize("NFKC", str(header)).lower())


HEADERS: dict[str, str] = {}
for _col in COLUMNS:
    for _name in (_col.zh, _col.key, *_col.aliases):
        HEADERS.setdefault(header_key(_name), _col.key)
    # "保费（元）" and "保费(元)" and "保费元": the unit in brackets is optional.
    for _name in (_col.zh, *_col.aliases):
        for _unit in ("元", "月", "年"):
            HEADERS.setdefault(header_key(f"{_name}({_unit})"), _col.key)


def column_for(header) -> str | None:
    if header is None:
        return None
    return HEADERS.get(header_key(header))


# Enumerations: code word → the words offices write. Matching is on header_key() of the cell.
ITEMS = {
    "new_business": ("新单", "新契约", "新单回访", "新契约回访", "new_business", "new"),
    "grace_period": ("宽限期", "续期宽限期", "续期", "续期缴费", "grace_period", "grace"),
    "lapse": ("失效", "保单失效", "lapse", "lapsed"),
    "surrender": ("退保", "surrender"),
    "claim": ("理赔", "给付", "理赔给付", "生存给付", "满期给付", "claim", "benefit"),
    "other": ("其他", "other"),
}
SOURCES = {
    "phone": ("电话回访", "首次电话回访", "待电话回访", "电话", "phone", "phone_first"),
    "no_phone": ("无电话", "无联系电话", "没有电话", "no_phone"),
    "phone_refused": ("拒绝电话回访", "拒访", "拒绝电话", "phone_refused", "refused"),
    "phone_failed": ("电话回访失败", "电话不通", "电话失败", "回访失败", "phone_failed", "failed"),
    "explanation": ("沟通解释", "沟通解释件", "解释件", "explanation"),
    "re_sign": ("补签名", "补签", "代签", "未签名", "re_sign", "resign"),
}
PRODUCT_TYPES = {
    "traditional": ("传统型", "传统", "普通型", "traditional"),
    "participating": ("分红型", "分红", "分红险", "participating"),
    "universal": ("万能型", "万能", "万能险", "universal"),
    "unit_linked": ("投资连结型", "投资连结", "投连", "投连险", "unit_linked", "unitlinked"),
}
CHANNELS = {
    "agency": ("个人代理", "个险", "代理人", "个人营销", "agency"),
    "bank": ("银行代理", "银保", "银行保险", "银邮代理", "bank", "bancassurance"),
    "telemarketing": ("电话销售", "电销", "telemarketing"),
    "broker": ("经纪", "经纪代理", "专业代理", "broker"),
    "internet": ("互联网", "网销", "internet", "online"),
    "direct": ("直销", "团险直销", "direct"),
}
PAYMENT_FREQUENCIES = {
    "single": ("趸交", "趸缴", "一次交清", "一次性", "single"),
    "annual": ("年交", "年缴", "annual", "yearly"),
    "semiannual": ("半年交", "半年缴", "semiannual"),
    "quarterly": ("季交", "季缴", "quarterly"),
    "monthly": ("月交", "月缴", "monthly"),
}
# holder_id_type. "uscc" (统一社会信用代码) and "org" are organisations: not an individual holder (R1).
ID_TYPES = {
    "resident_id": ("身份证", "居民身份证", "resident_id", "id_card"),
    "passport": ("护照", "passport"),
    "hk_macao_permit": ("港澳居民来往内地通行证", "回乡证", "港澳通行证", "hk_macao_permit"),
    "taiwan_permit": ("台湾居民来往大陆通行证", "台胞证", "taiwan_permit"),
    "foreign_permanent": ("外国人永久居留身份证", "外国人永久居留证", "foreign_permanent"),
    "military": ("军官证", "士兵证", "military"),
    "uscc": ("统一社会信用代码", "营业执照", "uscc"),
    "org": ("组织机构代码", "组织机构代码证", "org"),
    "other": ("其他", "other"),
}
ORGANISATION_ID_TYPES = frozenset({"uscc", "org"})
HOLDER_TYPES = {
    "person": ("个人", "自然人", "person", "individual"),
    "organisation": ("单位", "企业", "团体", "法人", "organisation", "organization", "company"),
}


def _lookup(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out = {}
    for code, words in table.items():
        for word in (code, *words):
            out[word] = code
            out[header_key(word)] = code
    return out


LOOKUPS = {
    "item": _lookup(ITEMS),
    "source": _lookup(SOURCES),
    "product_type": _lookup(PRODUCT_TYPES),
    "channel": _lookup(CHANNELS),
    "payment_frequency": _lookup(PAYMENT_FREQUENCIES),
    "holder_id_type": _lookup(ID_TYPES),
    "holder_type": _lookup(HOLDER_TYPES),
}
# The first word of each code, for messages and for the data generator.
LABELS = {
    name: {code: words[0] for code, words in table.items()}
    for name, table in {
        "item": ITEMS,
        "source": SOURCES,
        "product_type": PRODUCT_TYPES,
        "channel": CHANNELS,
        "payment_frequency": PAYMENT_FREQUENCIES,
        "holder_id_type": ID_TYPES,
        "holder_type": HOLDER_TYPES,
    }.items()
}
