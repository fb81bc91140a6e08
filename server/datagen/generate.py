"""Realistic synthetic visit needs: Chinese names, valid GB 11643 ID numbers with Shandong area codes,
Shandong addresses in the demo counties, the four product types across channels, salespersons, R1
out-of-scope cases at their natural rate, and a few planted R5 risks (shared holder phones, customer
phones that are a salesperson's).

``rows()`` yields one dict per visit need keyed by the intake columns' Chinese headers; ``write_file``
writes them as CSV or XLSX, optionally messy the way real exports are (GBK, a title row, full-width
digits, dates in mixed forms, NBSP, ¥ and thousands separators, Excel-rounded ID numbers). Deterministic
for a seed; streams, so a million rows never sit in memory.
"""

from __future__ import annotations

import csv
import random
import zlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from server.intake.columns import BY_KEY, LABELS
from server.intake.normalise import id_check_digit

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕红梅玉兰淑珍凤英春梅金凤"
    "文博思远子涵浩然梓萱一诺欣怡宇轩雨泽佳怡晨阳诗涵俊杰瑞鑫明轩嘉怡子墨语嫣泽宇若曦天佑书瑶"
)
# GB/T 2260 county codes of Shandong: where holders were born (their ID's first six digits).
BIRTH_AREAS = (
    "370102", "370103", "370104", "370105", "370112", "370113", "370124", "370181",
    "370202", "370203", "370211", "370212", "370213", "370214", "370281", "370283",
    "370302", "370303", "370402", "370502", "370602", "370612", "370683", "370702",
    "370705", "370782", "370802", "370811", "370902", "371002", "371102", "371302",
    "371311", "371402", "371502", "371602", "371702",
)  # fmt: skip
# Streets of the demo counties: the holder lives where the institution visits.
STREETS = {
    "370102": ("济南市历下区", ("泉城路", "解放路", "经十路", "历山路", "文化东路", "山大路", "燕子山路")),
    "370103": ("济南市市中区", ("经七路", "英雄山路", "舜耕路", "纬二路", "二七新村南路", "玉函路")),
    "370202": ("青岛市市南区", ("香港中路", "东海西路", "南京路", "延安三路", "山东路", "闽江路")),
    "370211": ("青岛市黄岛区", ("长江中路", "井冈山路", "珠江路", "峨眉山路", "黄河中路", "武夷山路")),
}
ESTATES = (
    "阳光花园",
    "锦绣城",
    "幸福里",
    "翡翠苑",
    "名士豪庭",
    "和谐家园",
    "银座花园",
    "绿城百合",
    "丽山国际",
    "海尔绿城",
)
PRODUCTS = {
    "traditional": (
        ("鑫福年年终身寿险", 0),
        ("康宁终身重大疾病保险", 0),
        ("安享定期寿险", 240),
        ("e享意外伤害保险", 12),
    ),
    "participating": (("金玉满堂两全保险（分红型）", 180), ("鸿利年金保险（分红型）", 0)),
    "universal": (("稳赢一生终身寿险（万能型）", 0), ("财富账户年金保险（万能型）", 0)),
    "unit_linked": (("智选投资连结保险", 0), ("远航投资连结保险", 120)),
}
PRODUCT_MIX = (("traditional", 45), ("participating", 35), ("universal", 12), ("unit_linked", 8))
CHANNEL_MIX = (("agency", 55), ("bank", 30), ("telemarketing", 8), ("internet", 4), ("broker", 3))
BANKS = (
    "中国工商银行",
    "中国农业银行",
    "中国银行",
    "中国建设银行",
    "交通银行",
    "中国邮政储蓄银行",
    "齐鲁银行",
    "青岛银行",
)
ITEM_MIX = (
    ("new_business", 50),
    ("grace_period", 20),
    ("lapse", 8),
    ("surrender", 10),
    ("claim", 10),
    ("other", 2),
)
SOURCE_MIX = (
    ("no_phone", 25),
    ("phone_refused", 20),
    ("phone_failed", 30),
    ("explanation", 15),
    ("re_sign", 10),
)
MOBILE_PREFIXES = tuple(
    [
        "130",
        "131",
        "132",
        "135",
        "136",
        "137",
        "138",
        "139",
        "150",
        "151",
        "152",
        "155",
        "158",
        "159",
        "176",
        "177",
        "180",
        "186",
        "187",
        "188",
        "189",
        "199",
    ]
)

HEADER_KEYS = (
    "external_ref", "policy_number", "item", "source", "institution_code", "product_code", "product_name",
    "product_type", "channel", "bank_name", "group_business", "term", "holder_name", "holder_id_number",
    "holder_phone", "holder_address", "insured_name", "insured_id_number", "pays_on_death", "premium",
    "payment_frequency", "payment_period_years", "sum_assured", "effective_date", "delivery_date",
    "cooling_off_end", "premium_due_date", "grace_end", "lapse_date", "amount", "paid_to_other",
    "salesperson_code", "salesperson_name", "salesperson_phone", "notes",
)  # fmt: skip
HEADERS = tuple(BY_KEY[k].zh for k in HEADER_KEYS)

SHARED_PHONE_EVERY = 997  # planted R5: this row's holder gives the previous holder's phone
SELLER_PHONE_EVERY = 1999  # planted R5: this row's holder gives the salesperson's phone
ROWS_PER_SELLER = 150


def _weighted(rng: random.Random, mix):
    total = sum(w for _, w in mix)
    cumulative, acc = [], 0
    for value, weight in mix:
        acc += weight
        cumulative.append((acc, value))

    def pick():
        x = rng.random() * total
        for bound, value in cumulative:
            if x < bound:
                return value
        return cumulative[-1][1]

    return pick


def resident_id(rng: random.Random, born: date, area: str | None = None) -> str:
    while True:
        first17 = f"{area or rng.choice(BIRTH_AREAS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
        number = first17 + id_check_digit(first17)
        if not number.endswith("000"):  # intake takes those for Excel-rounded (see normalise.resident_id)
            return number


def beijing_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def rows(
    count: int,
    *,
    institutions: list[str],
    seed: int = 20261125,
    today: date | None = None,
    latest: date | None = None,
) -> Iterator[dict]:
    """``count`` visit needs as {column key: value}; dates stay on or before ``latest`` (the last day
    the working-day calendar knows) so that due dates can be computed."""
    rng = random.Random(seed)
    today = today or beijing_today()
    latest = latest or date(today.year, 12, 31)
    product_type = _weighted(rng, PRODUCT_MIX)
    channel_of = _weighted(rng, CHANNEL_MIX)
    item_of = _weighted(rng, ITEM_MIX)
    source_of = _weighted(rng, SOURCE_MIX)
    counties = [c for c in institutions if c in STREETS] or list(institutions)
    sellers: dict[str, list[tuple[str, str, str]]] = {}
    for county in counties:
        n = max(1, count // (ROWS_PER_SELLER * len(counties)))
        sellers[county] = [
            (
                f"S{county}{k:05d}",
                _name(rng),
                f"1{rng.choice('35789')}{rng.randrange(10)}{rng.randrange(10**8):08d}",
            )
            for k in range(n)
        ]
    previous_phone = None
    # Planted R5 risks: a few per file whatever its size, at most one in a thousand rows.
    shared_every = max(7, min(SHARED_PHONE_EVERY, count // 10))
    seller_every = max(11, min(SELLER_PHONE_EVERY, count // 5))

    def day_between(start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=rng.randrange((end - start).days + 1))

    for i in range(count):
        county = counties[i % len(counties)]
        ptype = product_type()
        channel = channel_of()
        name, term = rng.choice(PRODUCTS[ptype])
        item = item_of()
        group = rng.random() < 0.01
        if item == "new_business" and rng.random() < 0.05:
            term = 12  # R1: one year or less is out of scope
        holder_born = date(rng.randrange(1950, 2004), rng.randrange(1, 13), rng.randrange(1, 29))
        holder = _name(rng)
        holder_id = resident_id(rng, holder_born)
        # Unique per row: an 8-digit suffix from a bijection of i (48271 is coprime with 10**8).
        phone = f"{rng.choice(MOBILE_PREFIXES)}{(i * 48271 + seed) % 10**8:08d}"
        seller_code, seller_name, seller_phone = rng.choice(sellers[county])
        if i and i % shared_every == 0 and previous_phone:
            phone = previous_phone
        if i and i % seller_every == 0:
            phone = seller_phone
        previous_phone = phone
        same_insured = rng.random() < 0.7
        if same_insured:
            insured, insured_id = holder, holder_id
        else:
            insured_born = date(rng.randrange(1950, 2020), rng.randrange(1, 13), rng.randrange(1, 29))
            insured, insured_id = _name(rng, holder[0]), resident_id(rng, insured_born)
        city, streets = STREETS.get(county, ("山东省", ("人民路",)))
        address = (
            f"山东省{city}{rng.choice(streets)}{rng.randrange(1, 300)}号{rng.choice(ESTATES)}"
            f"{rng.randrange(1, 30)}号楼{rng.randrange(1, 6)}单元"
            f"{rng.randrange(1, 33)}0{rng.randrange(1, 5)}室"
        )
        single = rng.random() < 0.2
        premium = (
            rng.choice((3000, 5000, 6000, 8000, 10000, 12000, 20000, 50000, 100000))
            + rng.randrange(100) / 100
        )
        effective = today - timedelta(days=rng.randrange(30, 3 * 365))
        delivery = cooling = premium_due = grace_end = lapse = None
        amount = None
        if item == "new_business":
            effective = today - timedelta(days=rng.randrange(3, 40))
            delivery = effective + timedelta(days=rng.randrange(2, 8))
            cooling = delivery + timedelta(days=15)
        elif item == "grace_period":
            grace_end = day_between(today + timedelta(days=25), min(today + timedelta(days=60), latest))
            premium_due = grace_end - timedelta(days=60)
        elif item == "lapse":
            lapse = day_between(
                today - timedelta(days=20), min(today - timedelta(days=1), latest - timedelta(days=30))
            )
            grace_end = lapse - timedelta(days=1)
            premium_due = grace_end - timedelta(days=60)
        elif item in ("surrender", "claim"):
            # Mostly above R1's 1000 yuan; some below, and some exactly at it.
            roll = rng.random()
            amount = (
                1000.0
                if roll < 0.02
                else round(rng.uniform(50, 999.99), 2)
                if roll < 0.15
                else round(rng.uniform(1000, 300000), 2)
            )
        yield {
            "external_ref": f"N{seed % 10000:04d}{i:09d}",
            "policy_number": f"P{effective:%Y}{county}{i:09d}",
            "item": LABELS["item"][item],
            "source": LABELS["source"][source_of()],
            "institution_code": county,
            "product_code": f"{ptype[:2].upper()}{zlib.crc32(name.encode()) % 1000:03d}",
            "product_name": name,
            "product_type": LABELS["product_type"][ptype],
            "channel": LABELS["channel"][channel],
            "bank_name": rng.choice(BANKS) if channel == "bank" else None,
            "group_business": "是" if group else "否",
            "term": "终身" if term == 0 else str(term),
            "holder_name": holder,
            "holder_id_number": holder_id,
            "holder_phone": phone,
            "holder_address": address,
            "insured_name": insured,
            "insured_id_number": insured_id,
            "pays_on_death": "是" if rng.random() < 0.6 else "否",
            "premium": premium,
            "payment_frequency": "趸交" if single else "年交",
            "payment_period_years": 1 if single else rng.choice((3, 5, 10, 15, 20)),
            "sum_assured": premium * rng.choice((5, 10, 20)),
            "effective_date": effective,
            "delivery_date": delivery,
            "cooling_off_end": cooling,
            "premium_due_date": premium_due,
            "grace_end": grace_end,
            "lapse_date": lapse,
            "amount": amount,
            "paid_to_other": "是" if amount and rng.random() < 0.05 else None,
            "salesperson_code": seller_code,
            "salesperson_name": seller_name,
            "salesperson_phone": seller_phone,
            "notes": None,
        }


def _name(rng: random.Random, surname: str | None = None) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return (surname or rng.choice(SURNAMES)) + given


_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def make_messy(row: dict, rng: random.Random, *, rounded_id: bool) -> dict:
    """The same row as a person with Excel and another system's export would deliver it."""
    out = dict(row)
    roll = rng.random()
    for key in (
        "effective_date",
        "delivery_date",
        "cooling_off_end",
        "premium_due_date",
        "grace_end",
        "lapse_date",
    ):
        d = out[key]
        if d is None:
            continue
        out[key] = (
            f"{d.year}/{d.month}/{d.day}"
            if roll < 0.25
            else f"{d.year}.{d.month}.{d.day}"
            if roll < 0.4
            else f"{d:%Y%m%d}"
            if roll < 0.55
            else f"{d.year}年{d.month}月{d.day}日"
            if roll < 0.7
            else d.isoformat()
        )
    if rng.random() < 0.2:
        out["holder_phone"] = out["holder_phone"].translate(_FULL_WIDTH)
    elif rng.random() < 0.1:
        p = out["holder_phone"]
        out["holder_phone"] = f"{p[:3]} {p[3:7]} {p[7:]}"
    if rng.random() < 0.2:
        out["holder_name"] = f"\u00a0{out['holder_name']} "
    if out["holder_id_number"].endswith("X") and rng.random() < 0.5:
        out["holder_id_number"] = out["holder_id_number"][:-1] + "x"
    if rounded_id:
        out = _rounded(out)
    if out["premium"] and rng.random() < 0.3:
        out["premium"] = f"¥{out['premium']:,.2f}"
    if out["amount"] and rng.random() < 0.3:
        out["amount"] = f"{out['amount']:,.2f}元"
    if rng.random() < 0.1:
        out["product_type"] = {
            "传统型": "传统",
            "分红型": "分红",
            "万能型": "万能",
            "投资连结型": "投连",
        }.get(out["product_type"], out["product_type"])
    return out


def write_file(
    path: Path,
    count: int,
    *,
    institutions: list[str],
    seed: int = 20261125,
    messy: bool = False,
    rounded_ids: float = 0.0,
    today: date | None = None,
    latest: date | None = None,
    encoding: str | None = None,
) -> Path:
    """Write an intake file: .xlsx by the suffix, else CSV (UTF-8 with BOM; GBK when messy)."""
    path = Path(path)
    rng = random.Random(seed + 1)
    source = rows(count, institutions=institutions, seed=seed, today=today, latest=latest)

    def lines():
        for row in source:
            rounded = rounded_ids > 0 and rng.random() < rounded_ids
            if messy:
                row = make_messy(row, rng, rounded_id=rounded)
            elif rounded:
                row = _rounded(row)
            yield [_cell(row[key]) for key in HEADER_KEYS]

    if path.suffix.lower() == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("回访需求")
        if messy:
            sheet.append(["2026年回访需求清单（系统导出）"])
        sheet.append(list(HEADERS))
        for line in lines():
            sheet.append([_xlsx_value(v) for v in line])
        book.save(path)
        return path
    enc = encoding or ("gb18030" if messy else "utf-8-sig")
    with open(path, "w", encoding=enc, newline="") as fh:
        writer = csv.writer(fh)
        if messy:
            writer.writerow(["2026年回访需求清单（系统导出）"])
        writer.writerow(HEADERS)
        writer.writerows(lines())
    return path


def _rounded(row: dict) -> dict:
    out = dict(row)
    out["holder_id_number"] = f"{float(out['holder_id_number'][:17] + '0'):.14E}"
    return out


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def _xlsx_value(value):
    # Numbers as numbers and dates as dates, the way Excel keeps them.
    if value == "":
        return None
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return datetime.strptime(value, "%Y-%m-%d")
        except ValueError:
            return value
    return value
