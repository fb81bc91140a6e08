"""Callback statistics (R4 问题分类及统计): how the work goes, by institution, specialist, item,
product type, channel or month.

Every figure is a SQL aggregate: one GROUP BY per dataset (tasks, visits, phone callbacks, cases)
over the period's rows of the chosen institution's subtree, grouped by the dimension and by the few
codes the figures are made of (status, outcome, category). Python only adds up those group rows,
a few hundred at most, and rolls institutions up into the children of the chosen one (drill-down).

What is counted, for the months ``month_from`` to ``month_to`` (Beijing dates):

- tasks created in the period: completed (a visit came back: submitted, approved, closed), on time
  (completed, and the first completed visit finished, on the tablet's own clock, on or before the
  due date), open and overdue today, cancelled. Completion rate = completed / tasks not cancelled;
  on-time rate = on time / completed.
- visits received in the period, by outcome and review state.
- confirming phone callbacks (R14) created in the period: done, confirmed; confirm rate = confirmed /
  done. First phone callbacks (R11) of the period, and how many of them were done, are counted apart.
- problem cases opened in the period: resolved since, still open, average days from opening to
  resolution; by problem category, and by category and month.
- open tasks by age (days since created), now, whatever the period.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import String, and_, case, cast, exists, func, literal, literal_column, select, text

from server.callbacks.models import PhoneCallback
from server.callbacks.stats import REACHED
from server.cases.models import OPEN_STATUSES as CASE_OPEN_STATUSES
from server.cases.models import ProblemCase
from server.errors import HuifangError
from server.extensions import db
from server.institutions.models import Institution
from server.policies.models import Policy
from server.questionnaires.models import ProblemCategory
from server.scoping import Scope
from server.search.services import CALLBACK_ITEM, day_start
from server.tasks.models import OPEN_STATUSES as TASK_OPEN_STATUSES
from server.tasks.models import VisitTask
from server.tasks.services import today
from server.users.models import User
from server.visits.models import Visit

DIMENSIONS = ("institution", "specialist", "item", "source", "product_type", "channel", "month")
DONE_STATUSES = ("submitted", "approved", "closed")
AGE_BUCKETS = ((7, "0-7"), (15, "8-15"), (30, "16-30"), (60, "31-60"), (None, "60+"))
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
MAX_MONTHS = 36


# ---- the period --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date  # first day of the first month
    end: date  # first day after the last month

    @property
    def months(self) -> list[str]:
        out, day = [], self.start
        while day < self.end:
            out.append(f"{day:%Y-%m}")
            day = _next_month(day)
        return out


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _month_start(text: str, field_name: str) -> date:
    match = MONTH.match(text or "")
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1900 <= int(match.group(1)) <= 2199:
        raise _invalid(field_name, "月份格式应为 YYYY-MM", "A month is written YYYY-MM")
    return date(int(match.group(1)), int(match.group(2)), 1)


def _invalid(field_name: str, zh: str, en: str) -> HuifangError:
    return HuifangError(
        "validation_error",
        "提交的数据有误，请检查后重试",
        "The submitted data is invalid",
        422,
        {"fields": {field_name: [f"{zh} / {en}"]}},
    )


def period(month_from: str | None, month_to: str | None) -> Period:
    """The months asked for; by default the twelve months up to this one."""
    this_month = today().replace(day=1)
    end_month = _month_start(month_to, "month_to") if month_to else this_month
    if month_from:
        start = _month_start(month_from, "month_from")
    else:
        start = end_month
        for _ in range(11):
            start = (start - timedelta(days=1)).replace(day=1)
    if start > end_month:
        start, end_month = end_month, start
    result = Period(start, _next_month(end_month))
    if len(result.months) > MAX_MONTHS:
        raise _invalid(
            "month_from", f"一次最多统计 {MAX_MONTHS} 个月", f"At most {MAX_MONTHS} months at a time"
        )
    return result


# ---- dialect helpers ---------------------------------------------------------------------------


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def month_of(column, *, is_datetime: bool):
    """'YYYY-MM' of a stored value, in Beijing time for UTC timestamps."""
    # Constants written into the SQL, not bound: the same expression is in SELECT and GROUP BY, and
    # PostgreSQL takes two bound parameters for two different expressions.
    if _dialect() == "postgresql":
        value = func.timezone(literal_column("'Asia/Shanghai'"), column) if is_datetime else column
        return func.to_char(value, literal_column("'YYYY-MM'"))
    form = literal_column("'%Y-%m'")
    return (
        func.strftime(form, column, literal_column("'+8 hours'"))
        if is_datetime
        else func.strftime(form, column)
    )


def days_between(later, earlier):
    if _dialect() == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


# ---- the datasets ------------------------------------------------------------------------------


def _dimension(by: str, dataset: str):
    """(expression, joins needed) of the dimension for a dataset; joins ⊆ {task, policy, visit}."""
    if by == "month":
        column, is_datetime = {
            "tasks": (VisitTask.created_at, True),
            "visits": (Visit.received_at, True),
            "callbacks": (PhoneCallback.created_at, True),
            "cases": (ProblemCase.created_at, True),
        }[dataset]
        return month_of(column, is_datetime=is_datetime), set()
    if by == "institution":
        return {
            "tasks": VisitTask.institution_id,
            "visits": Visit.institution_id,
            "callbacks": PhoneCallback.institution_id,
            "cases": ProblemCase.institution_id,
        }[dataset], set()
    if by == "specialist":
        return {
            "tasks": (VisitTask.assignee_id, set()),
            "visits": (Visit.user_id, set()),
            "callbacks": (Visit.user_id, {"visit"}),  # whose visit the customer confirms (R14)
            "cases": (VisitTask.assignee_id, {"task"}),
        }[dataset]
    if by == "item" and dataset == "callbacks":
        return CALLBACK_ITEM, {"task"}  # a first call (R11) has its own item and no task
    if by in ("item", "source"):
        return getattr(VisitTask, by), (set() if dataset == "tasks" else {"task"})
    if by in ("product_type", "channel"):
        return getattr(Policy, by), ({"task", "policy"} if dataset == "visits" else {"policy"})
    raise KeyError(by)


def _from(dataset: str, joins: set):
    """The FROM clause of a dataset with the joins a dimension needs."""
    if dataset == "tasks":
        stmt = select().select_from(VisitTask)
        if "policy" in joins:
            stmt = stmt.join(Policy, Policy.id == VisitTask.policy_id)
        return stmt
    if dataset == "visits":
        stmt = select().select_from(Visit)
        if "task" in joins:
            stmt = stmt.join(VisitTask, VisitTask.id == Visit.task_id)
        if "policy" in joins:
            stmt = stmt.join(Policy, Policy.id == VisitTask.policy_id)
        return stmt
    if dataset == "callbacks":
        stmt = select().select_from(PhoneCallback)
        if "task" in joins:
            stmt = stmt.outerjoin(VisitTask, VisitTask.id == PhoneCallback.task_id)
        if "policy" in joins:
            stmt = stmt.join(Policy, Policy.id == PhoneCallback.policy_id)
        if "visit" in joins:
            stmt = stmt.outerjoin(Visit, Visit.uuid == PhoneCallback.visit_uuid)
        return stmt
    stmt = select().select_from(ProblemCase)
    if "task" in joins:
        stmt = stmt.outerjoin(VisitTask, VisitTask.id == ProblemCase.task_id)
    if "policy" in joins:
        stmt = stmt.join(Policy, Policy.id == ProblemCase.policy_id)
    return stmt


def _subtree(model, root: Institution):
    return model.institution_id.in_(Scope(root.path).institution_ids())


def _in_period(column, span: Period):
    return and_(column >= day_start(span.start), column < day_start(span.end))


def _task_rows(by: str, root: Institution, span: Period):
    key, joins = _dimension(by, "tasks")
    visit_done_in_time = exists().where(
        Visit.task_id == VisitTask.id,
        Visit.outcome == "completed",
        func.substr(Visit.finished_at, 1, 10) <= cast(VisitTask.due_date, String),
    )
    on_time = case((and_(VisitTask.status.in_(DONE_STATUSES), visit_done_in_time), 1), else_=0)
    overdue = case((and_(VisitTask.status.in_(TASK_OPEN_STATUSES), VisitTask.due_date < today()), 1), else_=0)
    stmt = (
        _from("tasks", joins)
        .add_columns(
            key.label("k"),
            VisitTask.status,
            func.count().label("n"),
            func.sum(on_time).label("on_time"),
            func.sum(overdue).label("overdue"),
        )
        .where(_subtree(VisitTask, root), _in_period(VisitTask.created_at, span))
        .group_by(key, VisitTask.status)
    )
    return db.session.execute(stmt).all()


def _visit_rows(by: str, root: Institution, span: Period):
    key, joins = _dimension(by, "visits")
    stmt = (
        _from("visits", joins)
        .add_columns(key.label("k"), Visit.outcome, Visit.review_state, func.count().label("n"))
        .where(_subtree(Visit, root), _in_period(Visit.received_at, span))
        .group_by(key, Visit.outcome, Visit.review_state)
    )
    return db.session.execute(stmt).all()


def _callback_rows(by: str, root: Institution, span: Period):
    key, joins = _dimension(by, "callbacks")
    stmt = (
        _from("callbacks", joins)
        .add_columns(
            key.label("k"),
            PhoneCallback.kind,
            PhoneCallback.status,
            PhoneCallback.outcome,
            func.count().label("n"),
        )
        .where(_subtree(PhoneCallback, root), _in_period(PhoneCallback.created_at, span))
        .group_by(key, PhoneCallback.kind, PhoneCallback.status, PhoneCallback.outcome)
    )
    return db.session.execute(stmt).all()


def _case_rows(by: str, root: Institution, span: Period):
    key, joins = _dimension(by, "cases")
    resolved = ProblemCase.resolved_at.is_not(None)
    stmt = (
        _from("cases", joins)
        .add_columns(
            key.label("k"),
            ProblemCase.status,
            ProblemCase.category,
            func.count().label("n"),
            func.sum(
                case((resolved, days_between(ProblemCase.resolved_at, ProblemCase.created_at)), else_=0)
            ).label("days"),
        )
        .where(_subtree(ProblemCase, root), _in_period(ProblemCase.created_at, span))
        .group_by(key, ProblemCase.status, ProblemCase.category)
    )
    return db.session.execute(stmt).all()


# ---- adding up ---------------------------------------------------------------------------------


@dataclass
class Figures:
    tasks: int = 0
    tasks_completed: int = 0
    tasks_on_time: int = 0
    tasks_overdue_open: int = 0
    tasks_cancelled: int = 0
    visits: int = 0
    visits_completed: int = 0
    visits_approved: int = 0
    visits_returned: int = 0
    visits_rejected: int = 0
    callbacks: int = 0
    callbacks_done: int = 0
    callbacks_confirmed: int = 0
    first_calls: int = 0
    first_calls_done: int = 0
    first_calls_reached: int = 0
    first_calls_recontact: int = 0
    cases_opened: int = 0
    cases_resolved: int = 0
    cases_open: int = 0
    days_to_close_total: float = 0.0
    task_status: dict = field(default_factory=lambda: defaultdict(int))
    visit_outcome: dict = field(default_factory=lambda: defaultdict(int))
    review_state: dict = field(default_factory=lambda: defaultdict(int))
    callback_outcome: dict = field(default_factory=lambda: defaultdict(int))
    case_category: dict = field(default_factory=lambda: defaultdict(int))

    COUNTS = (
        "tasks",
        "tasks_completed",
        "tasks_on_time",
        "tasks_overdue_open",
        "tasks_cancelled",
        "visits",
        "visits_completed",
        "visits_approved",
        "visits_returned",
        "visits_rejected",
        "callbacks",
        "callbacks_done",
        "callbacks_confirmed",
        "first_calls",
        "first_calls_done",
        "first_calls_reached",
        "first_calls_recontact",
        "cases_opened",
        "cases_resolved",
        "cases_open",
    )
    BREAKDOWNS = ("task_status", "visit_outcome", "review_state", "callback_outcome", "case_category")

    def add(self, other: Figures) -> None:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.days_to_close_total += other.days_to_close_total
        for name in self.BREAKDOWNS:
            mine = getattr(self, name)
            for code, n in getattr(other, name).items():
                mine[code] += n

    def view(self) -> dict:
        out = {name: getattr(self, name) for name in self.COUNTS}
        live = self.tasks - self.tasks_cancelled
        out["completion_rate"] = _rate(self.tasks_completed, live)
        out["on_time_rate"] = _rate(self.tasks_on_time, self.tasks_completed)
        out["confirm_rate"] = _rate(self.callbacks_confirmed, self.callbacks_done)
        # Of the first calls that came to an end (the customer reached, or every attempt spent and
        # the call sent to R12's re-confirmation), the share that reached the customer.
        out["reach_rate"] = _rate(
            self.first_calls_reached, self.first_calls_reached + self.first_calls_recontact
        )
        out["avg_days_to_close"] = (
            round(self.days_to_close_total / self.cases_resolved, 2) if self.cases_resolved else None
        )
        return out

    def breakdowns(self) -> dict:
        return {name: dict(getattr(self, name)) for name in self.BREAKDOWNS}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _no_jit() -> None:
    """PostgreSQL's JIT compiles these aggregates for longer than they run (60 ms of 250 ms
    measured on a month of tasks): off for this transaction only."""
    if _dialect() == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))


def figures_by(by: str, root: Institution, span: Period) -> dict:
    """Dimension value → Figures, from four GROUP BY queries."""
    _no_jit()
    out: dict = defaultdict(Figures)
    for row in _task_rows(by, root, span):
        f = out[row.k]
        f.tasks += row.n
        f.task_status[row.status] += row.n
        f.tasks_completed += row.n if row.status in DONE_STATUSES else 0
        f.tasks_cancelled += row.n if row.status == "cancelled" else 0
        f.tasks_on_time += int(row.on_time or 0)
        f.tasks_overdue_open += int(row.overdue or 0)
    for row in _visit_rows(by, root, span):
        f = out[row.k]
        f.visits += row.n
        f.visit_outcome[row.outcome] += row.n
        f.visits_completed += row.n if row.outcome == "completed" else 0
        if row.review_state:
            f.review_state[row.review_state] += row.n
        f.visits_approved += row.n if row.review_state == "approved" else 0
        f.visits_returned += row.n if row.review_state == "returned" else 0
        f.visits_rejected += row.n if row.review_state == "rejected" else 0
    for row in _callback_rows(by, root, span):
        f = out[row.k]
        if row.outcome:
            f.callback_outcome[row.outcome] += row.n
        if row.kind == "first_call":
            f.first_calls += row.n
            f.first_calls_done += row.n if row.status == "done" else 0
            f.first_calls_reached += row.n if row.outcome in REACHED else 0
            f.first_calls_recontact += row.n if row.status == "recontact" else 0
            continue
        f.callbacks += row.n  # confirming callbacks (R14): their confirm rate
        if row.status == "done":
            f.callbacks_done += row.n
            f.callbacks_confirmed += row.n if row.outcome == "confirmed" else 0
    for row in _case_rows(by, root, span):
        f = out[row.k]
        f.cases_opened += row.n
        f.case_category[row.category] += row.n
        if row.status in CASE_OPEN_STATUSES:
            f.cases_open += row.n
        else:
            f.cases_resolved += row.n
            f.days_to_close_total += float(row.days or 0)
    return out


def open_task_age(root: Institution) -> list[dict]:
    """Open tasks of the subtree by days since they were created (now, whatever the period)."""
    now = today()
    bucket = case(
        *(
            (VisitTask.created_at >= day_start(now - timedelta(days=days)), literal(name))
            for days, name in AGE_BUCKETS
            if days is not None
        ),
        else_=literal(AGE_BUCKETS[-1][1]),
    )
    # Grouped outside a subquery: the bucket's bound parameters would otherwise differ between
    # SELECT and GROUP BY, which PostgreSQL refuses.
    inner = (
        select(bucket.label("bucket"))
        .where(_subtree(VisitTask, root), VisitTask.status.in_(TASK_OPEN_STATUSES))
        .subquery()
    )
    counts = dict(db.session.execute(select(inner.c.bucket, func.count()).group_by(inner.c.bucket)).all())
    return [{"bucket": name, "count": counts.get(name, 0)} for _, name in AGE_BUCKETS]


# ---- labels of groups, drill-down --------------------------------------------------------------


def subtree(root: Institution) -> list[Institution]:
    return list(
        db.session.scalars(
            select(Institution)
            .where(Institution.path.startswith(root.path, autoescape=True))
            .order_by(Institution.path)
        )
    )


def _roll_up_to_children(groups: dict, root: Institution) -> tuple[dict, dict]:
    """Institution id → Figures, summed into the root's children (and the root's own rows)."""
    nodes = subtree(root)
    children = [n for n in nodes if n.parent_id == root.id]
    owner = {}
    for node in nodes:
        owner[node.id] = root.id
        for child in children:
            if node.path.startswith(child.path):
                owner[node.id] = child.id
                break
    rolled: dict = defaultdict(Figures)
    for inst_id, figures in groups.items():
        rolled[owner.get(inst_id, root.id)].add(figures)
    info = {n.id: n for n in [root, *children]}
    below = {child.id: any(n.parent_id == child.id for n in nodes) for child in children}
    return rolled, {"info": info, "below": below, "children": children}


def _group_rows(by: str, groups: dict, root: Institution, span: Period) -> list[dict]:
    rows = []
    if by == "institution":
        rolled, meta = _roll_up_to_children(groups, root)
        order = [c.id for c in meta["children"]] + [root.id]
        for inst_id in order:
            if inst_id == root.id and inst_id not in rolled:
                continue  # nothing recorded at the root's own level
            node = meta["info"][inst_id]
            rows.append(
                {
                    "key": str(inst_id),
                    "label": node.name,
                    "institution_id": inst_id,
                    "own_level": inst_id == root.id,
                    "drillable": meta["below"].get(inst_id, False),
                    **rolled[inst_id].view(),
                }
            )
        return rows
    if by == "month":
        for month in span.months:
            rows.append({"key": month, "label": month, **groups.get(month, Figures()).view()})
        return rows
    labels = {}
    if by == "specialist":
        ids = [k for k in groups if k is not None]
        labels = (
            dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
            if ids
            else {}
        )
    for key, figures in groups.items():
        rows.append(
            {
                "key": "" if key is None else str(key),
                "label": labels.get(key, key) if key is not None else None,
                **figures.view(),
            }
        )
    rows.sort(key=lambda r: (-r["tasks"], -r["visits"], r["key"]))
    return rows


def root_of(scope: Scope, user, institution_id: int | None) -> Institution:
    if institution_id is None:
        return user.institution
    return scope.get(Institution, institution_id, "机构", "institution")


def breadcrumb(scope: Scope, root: Institution) -> list[dict]:
    """From the caller's own institution down to the root (the way back up a drill-down)."""
    rows = db.session.scalars(select(Institution).where(Institution.id.in_(root.path_ids))).all()
    return [
        {"id": r.id, "name": r.name, "level": r.level}
        for r in sorted(rows, key=lambda r: len(r.path))
        if r.path.startswith(scope.root_path)
    ]


def overview(scope: Scope, user, args: dict) -> dict:
    root = root_of(scope, user, args.get("institution_id"))
    span = period(args.get("month_from"), args.get("month_to"))
    by = args.get("by", "institution")
    groups = figures_by(by, root, span)
    totals = Figures()
    for figures in groups.values():
        totals.add(figures)
    categories = _category_names(totals.case_category)
    return {
        "period": {"month_from": span.months[0], "month_to": span.months[-1], "months": span.months},
        "institution": {"id": root.id, "name": root.name, "level": root.level},
        "breadcrumb": breadcrumb(scope, root),
        "by": by,
        "totals": totals.view(),
        "breakdowns": {
            **{k: v for k, v in totals.breakdowns().items() if k != "case_category"},
            "case_category": [
                {**categories.get(code, {"code": code, "name": code, "name_en": code}), "count": n}
                for code, n in sorted(totals.case_category.items(), key=lambda kv: -kv[1])
            ],
            "open_task_age": open_task_age(root),
        },
        "groups": _group_rows(by, groups, root, span),
    }


def _category_names(codes) -> dict:
    if not codes:
        return {}
    return {
        c.code: {"code": c.code, "name": c.name, "name_en": c.name_en, "reportable": c.reportable}
        for c in db.session.scalars(select(ProblemCategory).where(ProblemCategory.code.in_(list(codes))))
    }


def problem_trend(scope: Scope, user, args: dict) -> dict:
    """Problem cases opened per category and month: the problems' trend."""
    root = root_of(scope, user, args.get("institution_id"))
    span = period(args.get("month_from"), args.get("month_to"))
    _no_jit()
    month = month_of(ProblemCase.created_at, is_datetime=True)
    rows = db.session.execute(
        select(month.label("month"), ProblemCase.category, func.count().label("n"))
        .where(_subtree(ProblemCase, root), _in_period(ProblemCase.created_at, span))
        .group_by(month, ProblemCase.category)
    ).all()
    totals: dict = defaultdict(int)
    cells: dict = defaultdict(dict)
    for row in rows:
        totals[row.category] += row.n
        cells[row.category][row.month] = row.n
    names = _category_names(totals)
    series = [
        {
            **names.get(code, {"code": code, "name": code, "name_en": code, "reportable": False}),
            "total": total,
            "counts": [cells[code].get(m, 0) for m in span.months],
        }
        for code, total in sorted(totals.items(), key=lambda kv: -kv[1])
    ]
    return {
        "period": {"month_from": span.months[0], "month_to": span.months[-1], "months": span.months},
        "institution": {"id": root.id, "name": root.name, "level": root.level},
        "categories": series,
    }
