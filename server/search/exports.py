"""Streamed exports: CSV (UTF-8 with a BOM, for Excel) and XLSX (openpyxl's write-only mode).

Rows come from a server-side cursor in batches and leave as they come, so a million rows cost the
memory of a batch. CSV is sent while it is written. XLSX is a zip whose directory comes last: it is
written to a temporary file (write-only mode keeps no cells in memory) and then sent in chunks; the
file is removed when the response ends, finished or not.

Excel needs care in two places: a value that starts with = + - @ would run as a formula (written
with a leading apostrophe in CSV, as a string cell in XLSX), and a long digit string (an ID number,
a phone) would be rounded to 15 digits in a CSV (a tab in front keeps it text).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from server.policies.masking import mask_id_number, mask_phone
from server.tasks.models import OPEN_STATUSES as TASK_OPEN_STATUSES

SHANGHAI = ZoneInfo("Asia/Shanghai")
CSV_MIME = "text/csv; charset=utf-8"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_ROWS = 1_000_000  # a sheet holds 1,048,576 rows: a new sheet before that
CHUNK = 64 * 1024

# What people read instead of the codes (the console's words, server/policies/facts.py and models).
LABELS_ZH = {
    "item": {
        "new_business": "新契约",
        "grace_period": "续期宽限期",
        "lapse": "保单失效",
        "surrender": "退保",
        "claim": "理赔给付",
        "other": "其他",
    },
    "source": {
        "no_phone": "无电话",
        "phone_refused": "拒绝电话回访",
        "phone_failed": "电话回访失败",
        "explanation": "沟通解释件",
        "re_sign": "补签名",
    },
    "task_status": {
        "recontact": "待复核联系方式",
        "unassigned": "待分配",
        "assigned": "已分配",
        "submitted": "已提交",
        "approved": "审核通过",
        "returned": "已退回",
        "closed": "已完成",
        "cancelled": "已取消",
        "to_phone": "转电话回访",
        "to_letter": "转信函回访",
    },
    "product_type": {
        "traditional": "传统型",
        "participating": "分红型",
        "universal": "万能型",
        "unit_linked": "投资连结型",
    },
    "channel": {
        "agency": "个人代理",
        "bank": "银行代理",
        "telemarketing": "电话销售",
        "broker": "经纪代理",
        "internet": "互联网",
        "direct": "直销",
    },
    "visit_outcome": {
        "completed": "已完成",
        "not_at_home": "未见到客户",
        "refused": "客户拒绝",
        "wrong_address": "地址有误",
        "postponed": "改期",
    },
    "review_state": {"pending": "待审核", "approved": "审核通过", "returned": "已退回", "rejected": "已驳回"},
    "visit_state": {"awaiting_media": "资料未传齐", "submitted": "已提交"},
    "case_kind": {"problem": "问题件", "compliance": "合规件", "re_sign": "补签名件"},
    "case_status": {"open": "待处理", "in_progress": "处理中", "resolved": "已办结"},
    "callback_kind": {"confirmation": "确认回访", "first_call": "首次电话回访"},
    "callback_status": {
        "pending": "待回访",
        "done": "已回访",
        "to_letter": "转信函",
        "recontact": "待复核联系方式",
    },
    "callback_outcome": {
        "confirmed": "确认无误",
        "not_visited": "未上门",
        "signature_not_genuine": "非本人签名",
        "not_understood": "仍不清楚",
        "unreachable": "无法联系",
        "answered": "回访完成",
        "wants_explanation": "需要解释",
        "unsigned_papers": "资料未签名或代签",
        "misconduct": "销售人员违规",
        "phone_refused": "拒绝电话回访",
        "wants_letter": "要求信函回访",
    },
}


def label(group: str, code, lang: str):
    if code is None or lang != "zh":
        return code
    return LABELS_ZH.get(group, {}).get(code, code)


def local(value):
    """Stored UTC times as Beijing wall time (Excel has no zones)."""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0)
    return value


# ---- columns of each kind ----------------------------------------------------------------------
# (zh header, en header, value of a row); ``p`` is the Reader (masking, language).


def _who(p) -> list[tuple[str, str, Callable]]:
    return [
        ("保单号", "Policy number", lambda r: r.policy_number),
        ("产品名称", "Product", lambda r: r.product_name),
        ("产品类型", "Product type", lambda r: p.label("product_type", r.product_type)),
        ("销售渠道", "Channel", lambda r: p.label("channel", r.channel)),
        ("投保人", "Holder", lambda r: r.holder_name),
        ("投保人证件号码", "Holder ID number", lambda r: p.id(r.holder_id_number)),
        ("投保人电话", "Holder phone", lambda r: p.phone(r.holder_phone)),
        ("被保险人", "Insured", lambda r: r.insured_name),
    ]


def columns(kind: str, p) -> list[tuple[str, str, Callable]]:
    inst = ("机构", "Institution", lambda r: r.institution_name)
    if kind == "policies":
        return [
            *_who(p),
            ("被保险人证件号码", "Insured ID number", lambda r: p.id(r.insured_id_number)),
            ("被保险人电话", "Insured phone", lambda r: p.phone(r.insured_phone)),
            ("生效日期", "Effective date", lambda r: r.effective_date),
            (
                "保费（元）",
                "Premium (yuan)",
                lambda r: None if r.premium_fen is None else r.premium_fen / 100,
            ),
            inst,
        ]
    if kind == "tasks":
        return [
            ("任务编号", "Task", lambda r: r.id),
            ("状态", "Status", lambda r: p.label("task_status", r.status)),
            ("回访事项", "Item", lambda r: p.label("item", r.item)),
            ("面访原因", "Source", lambda r: p.label("source", r.source)),
            ("应完成日期", "Due date", lambda r: r.due_date),
            ("逾期", "Overdue", lambda r: p.yes(r.status in TASK_OPEN_STATUSES and r.due_date < p.today)),
            ("创建时间", "Created", lambda r: local(r.created_at)),
            inst,
            ("客户服务专员", "Specialist", lambda r: r.assignee_name),
            *_who(p),
        ]
    if kind == "visits":
        return [
            ("面访编号", "Visit", lambda r: r.uuid),
            ("任务编号", "Task", lambda r: r.task_id),
            ("面访结果", "Outcome", lambda r: p.label("visit_outcome", r.outcome)),
            ("审核状态", "Review", lambda r: p.label("review_state", r.review_state)),
            ("资料状态", "State", lambda r: p.label("visit_state", r.state)),
            ("提示", "Flags", lambda r: " ".join(r.flags or [])),
            ("回访事项", "Item", lambda r: p.label("item", r.item)),
            ("面访原因", "Source", lambda r: p.label("source", r.source)),
            ("开始（设备时间）", "Started (device time)", lambda r: r.started_at),
            ("结束（设备时间）", "Finished (device time)", lambda r: r.finished_at),
            ("收到时间", "Received", lambda r: local(r.received_at)),
            inst,
            ("客户服务专员", "Specialist", lambda r: r.specialist_name),
            *_who(p),
        ]
    if kind == "cases":
        return [
            ("问题件编号", "Case", lambda r: r.id),
            ("类型", "Kind", lambda r: p.label("case_kind", r.kind)),
            ("问题分类", "Category", lambda r: r.category),
            ("状态", "Status", lambda r: p.label("case_status", r.status)),
            ("摘要", "Summary", lambda r: r.summary),
            ("应办结日期", "Due date", lambda r: r.due_date),
            ("创建时间", "Opened", lambda r: local(r.created_at)),
            ("办结时间", "Resolved", lambda r: local(r.resolved_at)),
            inst,
            ("负责人", "Owner", lambda r: r.owner_name),
            *_who(p),
        ]
    if kind == "callbacks":
        return [
            ("电话回访编号", "Callback", lambda r: r.id),
            ("类型", "Kind", lambda r: p.label("callback_kind", r.kind)),
            ("状态", "Status", lambda r: p.label("callback_status", r.status)),
            ("回访结果", "Outcome", lambda r: p.label("callback_outcome", r.outcome)),
            ("拨打次数", "Attempts", lambda r: r.attempts),
            ("回访事项", "Item", lambda r: p.label("item", r.item)),
            ("应完成日期", "Due date", lambda r: r.due_date),
            ("创建时间", "Created", lambda r: local(r.created_at)),
            ("完成时间", "Completed", lambda r: local(r.completed_at)),
            inst,
            ("坐席", "Agent", lambda r: r.agent_name),
            *_who(p),
        ]
    raise KeyError(kind)


class Reader:
    """Who reads the file: ID numbers and phones masked unless their role needs them in full,
    codes in their language."""

    def __init__(self, full: bool, today: date, lang: str = "zh"):
        self.full = full
        self.today = today
        self.lang = lang

    def id(self, value):
        return value if self.full else mask_id_number(value)

    def phone(self, value):
        return value if self.full else mask_phone(value)

    def label(self, group: str, code):
        return label(group, code, self.lang)

    def yes(self, flag: bool) -> str:
        return ("是" if flag else "否") if self.lang == "zh" else ("yes" if flag else "no")


def row_function(kind: str, reader: Reader) -> tuple[list[str], Callable]:
    """The header and a function row → list of cell values."""
    cols = columns(kind, reader)
    header = [zh if reader.lang == "zh" else en for zh, en, _ in cols]
    getters = [get for _, _, get in cols]
    return header, lambda row: [get(row) for get in getters]


# ---- writers -----------------------------------------------------------------------------------


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value:
        if value[0] in "=+-@\t\r":
            return "'" + value
        if len(value) >= 12 and value.isdigit():
            return "\t" + value  # Excel would round an 18-digit ID number to 15 digits
    return value


def csv_stream(header: list[str], rows: Iterable[list]) -> Iterator[bytes]:
    """UTF-8 with a BOM (Excel reads UTF-8 CSV as GBK without it), CRLF lines, a chunk per 64 KB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx_cell(sheet, value):
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("="):
            cell = WriteOnlyCell(sheet, value)
            cell.data_type = "s"  # text, never a formula
            return cell
    return value


def write_xlsx(path: str, sheets: Iterable[tuple[str, list[str], Iterable[list]]], widths=None) -> int:
    """Write sheets of (title, header, rows) to ``path`` in write-only mode; returns the rows written.
    A sheet whose rows outgrow what Excel can open continues on the next (title 2, 3, ...)."""
    book = Workbook(write_only=True)
    written = 0
    for title, header, rows in sheets:
        part = 1
        sheet = _new_sheet(book, title, header, widths)
        in_sheet = 0
        for row in rows:
            if in_sheet >= XLSX_MAX_ROWS:
                part += 1
                sheet = _new_sheet(book, f"{title} {part}", header, widths)
                in_sheet = 0
            sheet.append([_xlsx_cell(sheet, value) for value in row])
            in_sheet += 1
            written += 1
    book.save(path)
    return written


def _new_sheet(book, title: str, header: list[str], widths):
    sheet = book.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths or [], start=1):
        sheet.column_dimensions[_letter(index)].width = width
    sheet.append(header)
    return sheet


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def xlsx_stream(build: Callable[[str], object]) -> Iterator[bytes]:
    """Run ``build(path)`` (which writes the workbook), then send the file and remove it."""
    handle, path = tempfile.mkstemp(prefix="huifang-export-", suffix=".xlsx")
    os.close(handle)
    try:
        build(path)
        with open(path, "rb") as source:
            while chunk := source.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)
