"""The monthly report of the callback work (回访工作月报), one XLSX per month and institution.

Sheet 机构: every institution of the subtree, each with the figures of its own subtree (a city's row
counts its counties), in tree order. Sheet 专员: the specialists. Sheet 问题分类: problem categories.
The figures are those of server/stats/services.py for the one month.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from server.search import exports
from server.stats.services import Figures, Period, _category_names, figures_by, period, subtree
from server.tasks.services import today

LEVELS_ZH = {"province": "省", "city": "市", "county": "县区"}
FIGURE_COLUMNS = (
    ("tasks", "任务数"),
    ("tasks_completed", "已完成"),
    ("tasks_on_time", "按时完成"),
    ("completion_rate", "完成率"),
    ("on_time_rate", "按时率"),
    ("tasks_overdue_open", "逾期未完成"),
    ("tasks_cancelled", "已取消"),
    ("visits", "收回面访"),
    ("visits_completed", "成功面访"),
    ("visits_approved", "审核通过"),
    ("visits_returned", "退回"),
    ("visits_rejected", "驳回"),
    ("callbacks_done", "电话确认完成"),
    ("callbacks_confirmed", "确认无误"),
    ("confirm_rate", "确认率"),
    ("first_calls", "首次电话回访"),
    ("first_calls_done", "首次电话回访完成"),
    ("first_calls_reached", "首次电话接通"),
    ("first_calls_recontact", "转联系方式复核"),
    ("reach_rate", "电话接通率"),
    ("cases_opened", "新增问题件"),
    ("cases_resolved", "已办结"),
    ("cases_open", "未办结"),
    ("avg_days_to_close", "平均办结天数"),
)


def report_period(month: str | None) -> Period:
    """The month asked for, or last month."""
    if month is None:
        month = f"{today().replace(day=1) - timedelta(days=1):%Y-%m}"
    return period(month, month)


def _figures_row(view: dict) -> list:
    return [view[key] for key, _ in FIGURE_COLUMNS]


def institution_rows(root, span: Period) -> list[list]:
    own = figures_by("institution", root, span)
    nodes = subtree(root)
    rows = []
    for node in nodes:
        total = Figures()
        for other in nodes:
            if other.path.startswith(node.path) and other.id in own:
                total.add(own[other.id])
        depth = len(node.path_ids) - len(root.path_ids)
        rows.append(
            [
                node.code,
                "\u3000" * depth + node.name,
                LEVELS_ZH.get(node.level, node.level),
                *_figures_row(total.view()),
            ]
        )
    return rows


def specialist_rows(root, span: Period) -> list[list]:
    from sqlalchemy import select

    from server.extensions import db
    from server.institutions.models import Institution
    from server.users.models import User

    groups = figures_by("specialist", root, span)
    ids = [k for k in groups if k is not None]
    people = {}
    if ids:
        people = {
            row.id: row
            for row in db.session.execute(
                select(User.id, User.username, User.display_name, Institution.name.label("institution"))
                .join(Institution, Institution.id == User.institution_id)
                .where(User.id.in_(ids))
            )
        }
    rows = []
    for key, figures in sorted(groups.items(), key=lambda kv: (kv[0] is None, -kv[1].tasks)):
        person = people.get(key)
        rows.append(
            [
                person.username if person else "",
                person.display_name if person else "（未分配）",
                person.institution if person else "",
                *_figures_row(figures.view()),
            ]
        )
    return rows


def category_rows(root, span: Period) -> list[list]:
    groups = figures_by("institution", root, span)
    counts: dict = defaultdict(int)
    for figures in groups.values():
        for code, n in figures.case_category.items():
            counts[code] += n
    names = _category_names(counts)
    return [
        [
            code,
            names.get(code, {}).get("name", code),
            "是" if names.get(code, {}).get("reportable") else "否",
            n,
        ]
        for code, n in sorted(counts.items(), key=lambda kv: -kv[1])
    ]


def build(path: str, root, span: Period) -> None:
    month = span.months[0]
    figure_headers = [zh for _, zh in FIGURE_COLUMNS]
    sheets = [
        (
            "机构",
            ["机构代码", f"机构（{month}，{root.name}）", "层级", *figure_headers],
            institution_rows(root, span),
        ),
        ("专员", ["用户名", "客户服务专员", "所属机构", *figure_headers], specialist_rows(root, span)),
        ("问题分类", ["分类代码", "问题分类", "须报告（R16）", "问题件数"], category_rows(root, span)),
    ]
    exports.write_xlsx(path, sheets, widths=[14, 24, 10] + [11] * len(FIGURE_COLUMNS))
