"""The search itself: filters to SQL, keyset pages, rows to masked views.

Each kind is one Core SELECT of exactly the columns a result shows (never the visit's JSON record,
never ORM objects), joined to its policy, institution and person, scoped to the caller's subtree.
The same statement feeds a page (``page``) and an export (``stream``), so what the console shows and
what a file holds cannot disagree.

How a person is found, and which index answers (PostgreSQL):

- policy number: a prefix, on the unique index of ``policy.policy_number``;
- name of the holder or the insured: three characters or more anywhere in the name, by the pg_trgm GIN
  indexes; one or two characters as the start or the end of the name (a surname, a surname and the
  first given character, or the given name), which the same indexes answer through padded trigrams
  (a two-character pattern in the middle of a name has no trigram, and would be a scan);
- ID number: exactly, by its keyed hash (``holder_id_hash`` / ``insured_id_hash``, server/policies/pii);
- phone: exactly, normalised like every stored phone, on the phone indexes.

``q`` tries each of these that the text can be, joined by OR.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, func, or_, select

from server.callbacks.models import PhoneCallback
from server.cases.models import OPEN_STATUSES as CASE_OPEN_STATUSES
from server.cases.models import ProblemCase
from server.dbtypes import EncryptedText
from server.errors import HuifangError
from server.extensions import db
from server.institutions.models import Institution
from server.intake import normalise
from server.policies import pii
from server.policies.masking import mask_id_number, mask_phone
from server.policies.models import Policy
from server.scoping import Scope
from server.tasks.models import OPEN_STATUSES as TASK_OPEN_STATUSES
from server.tasks.models import VisitTask
from server.tasks.services import today
from server.users.models import User
from server.visits.models import Visit

SHANGHAI = ZoneInfo("Asia/Shanghai")
KINDS = ("policies", "tasks", "visits", "cases", "callbacks")
MAX_ID = 2**31 - 1
_ID_LIKE = re.compile(r"^(\d{15}|\d{17}[\dX])$")
_NUMBER_LIKE = re.compile(r"^[0-9A-Z][0-9A-Z\-]*$")
_PHONE_CHARS = re.compile(r"^[\d\s\-+()（）]+$")


def _validation(field: str, message: str, message_en: str) -> HuifangError:
    return HuifangError(
        "validation_error",
        "提交的数据有误，请检查后重试",
        "The submitted data is invalid",
        422,
        {"fields": {field: [f"{message} / {message_en}"]}},
    )


# ---- who: policy number, name, ID number, phone ------------------------------------------------


def number_prefix(value: str) -> ColumnElement:
    """Policy numbers starting with ``value``. LIKE 'P2026%' cannot use a btree index unless the
    column's collation is "C"; the range [prefix, next prefix) can, and LIKE keeps the answer exact.
    (The range assumes ASCII sorts by code point, as in the C and C.UTF-8 collations PostgreSQL
    databases get on Debian; policy numbers are ASCII.)"""
    prefix = value.strip().upper()
    column = Policy.policy_number
    like = column.startswith(prefix, autoescape=True)
    if not prefix.isascii() or prefix[-1] == "\x7f":
        return like
    return and_(column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1), like)


def name_match(value: str) -> ColumnElement:
    """Holder or insured whose name contains ``value`` (see the module docstring for short names)."""
    name = "".join(value.split())
    # Chinese has no letter case: plain LIKE, cheaper to recheck than ILIKE. Latin letters: ILIKE.
    cased = name.lower() != name.upper()
    conditions = []
    for column in (Policy.holder_name, Policy.insured_name):
        contains, starts, ends = (
            (column.icontains, column.istartswith, column.iendswith)
            if cased
            else (column.contains, column.startswith, column.endswith)
        )
        if len(name) >= 3:
            conditions.append(contains(name, autoescape=True))
        elif len(name) == 2:
            conditions += [starts(name, autoescape=True), ends(name, autoescape=True)]
        else:
            conditions.append(starts(name, autoescape=True))
    return or_(*conditions)


def typed_id(value: str) -> str:
    """A typed ID number in its stored form (15-digit numbers upgraded, X upper-cased)."""
    try:
        number, _ = normalise.resident_id(value, excel_suspect=False)
    except normalise.CellError:
        try:
            number = normalise.other_id(value)
        except normalise.CellError:
            number = None
    return number or pii.canonical(value)


def id_match(value: str) -> ColumnElement:
    hashed = pii.id_hash(typed_id(value))
    return or_(Policy.holder_id_hash == hashed, Policy.insured_id_hash == hashed)


def phone_match(phone: str) -> ColumnElement:
    return or_(Policy.holder_phone == phone, Policy.insured_phone == phone)


def _q_match(q: str) -> ColumnElement:
    """Everything ``q`` can be: an ID number, a phone, a policy number, a name."""
    text = normalise.text(q) or ""
    compact = "".join(text.split()).upper()
    options = []
    if _ID_LIKE.match(compact):
        options.append(id_match(compact))
    if _PHONE_CHARS.match(text):
        with contextlib.suppress(normalise.CellError):
            options.append(phone_match(normalise.phone(text)))
    if _NUMBER_LIKE.match(compact):
        options.append(number_prefix(compact))
    if not any(ch.isdigit() for ch in compact):
        options.append(name_match(text))
    return or_(*options) if options else false()


def person_conditions(args: dict) -> list[ColumnElement]:
    """Conditions on Policy from q, policy_number, name, id_number and phone (all must hold)."""
    out = []
    if args.get("q") and (normalise.text(args["q"]) or ""):
        out.append(_q_match(args["q"]))
    if args.get("policy_number") and args["policy_number"].strip():
        out.append(number_prefix(args["policy_number"]))
    if args.get("name") and args["name"].strip():
        out.append(name_match(args["name"]))
    if args.get("id_number") and args["id_number"].strip():
        out.append(id_match(args["id_number"]))
    if args.get("phone"):
        try:
            phone = normalise.phone(args["phone"])
        except normalise.CellError as err:
            raise _validation("phone", err.message, err.message_en) from None
        if phone:
            out.append(phone_match(phone))
    return out


# ---- when --------------------------------------------------------------------------------------


def day_start(day: date) -> datetime:
    """Midnight of a Beijing date, in UTC (stored times are UTC; business days are Beijing days)."""
    return datetime.combine(day, time(), SHANGHAI).astimezone(UTC)


def _between(column, args: dict, start: str, end: str, *, is_datetime: bool) -> list[ColumnElement]:
    out = []
    low, high = args.get(start), args.get(end)
    if low and high and low > high:
        low, high = high, low  # a range typed backwards still means the days between
    if low:
        out.append(column >= (day_start(low) if is_datetime else low))
    if high:
        out.append(column < day_start(high + timedelta(days=1)) if is_datetime else column <= high)
    return out


# ---- cursors -----------------------------------------------------------------------------------


def _cursor_error(cursor: str) -> HuifangError:
    return HuifangError(
        "cursor_invalid", "分页游标无效", "The page cursor is invalid", 422, {"cursor": cursor[:100]}
    )


def encode_cursor(*parts) -> str:
    raw = "|".join(p.isoformat() if isinstance(p, datetime) else str(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, n: int) -> list[str]:
    try:
        raw = base64.b64decode((cursor + "=" * (-len(cursor) % 4)).encode(), altchars=b"-_", validate=True)
        parts = raw.decode().split("|")
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise _cursor_error(cursor) from exc
    if len(parts) != n:
        raise _cursor_error(cursor)
    return parts


def _id_after(column, cursor: str) -> ColumnElement:
    (raw,) = decode_cursor(cursor, 1)
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise _cursor_error(cursor)
    return column < int(raw)


# ---- the kinds ---------------------------------------------------------------------------------

_POLICY_COLUMNS = (
    Policy.id.label("policy_id"),
    Policy.policy_number,
    Policy.product_name,
    Policy.product_type,
    Policy.channel,
    Policy.holder_name,
    Policy.holder_id_number,
    Policy.holder_phone,
    Policy.insured_name,
)


@dataclass(frozen=True)
class Kind:
    name: str
    model: type
    key: tuple  # keyset columns, newest first: (id,) or (received_at, uuid)

    def base(self) -> Select:
        return _BASES[self.name]()


def _in_subtree(scope: Scope, column, institution_id: int | None) -> ColumnElement:
    if institution_id is None:
        return column.in_(scope.institution_ids())
    root = scope.get(Institution, institution_id, "机构", "institution")
    return column.in_(Scope(root.path).institution_ids())


def _policies_base() -> Select:
    return (
        select(
            *_POLICY_COLUMNS,
            Policy.insured_id_number,
            Policy.insured_phone,
            Policy.effective_date,
            Policy.premium_fen,
            Policy.institution_id,
            Institution.name.label("institution_name"),
        )
        .select_from(Policy)
        .join(Institution, Institution.id == Policy.institution_id)
    )


def _tasks_base() -> Select:
    return (
        select(
            VisitTask.id,
            VisitTask.status,
            VisitTask.item,
            VisitTask.source,
            VisitTask.due_date,
            VisitTask.created_at,
            VisitTask.institution_id,
            Institution.name.label("institution_name"),
            VisitTask.assignee_id,
            User.display_name.label("assignee_name"),
            *_POLICY_COLUMNS,
        )
        .select_from(VisitTask)
        .join(Policy, Policy.id == VisitTask.policy_id)
        .join(Institution, Institution.id == VisitTask.institution_id)
        .outerjoin(User, User.id == VisitTask.assignee_id)
    )


def _visits_base() -> Select:
    return (
        select(
            Visit.uuid,
            Visit.task_id,
            Visit.outcome,
            Visit.state,
            Visit.review_state,
            Visit.flags,
            Visit.started_at,
            Visit.finished_at,
            Visit.received_at,
            Visit.submitted_at,
            Visit.institution_id,
            Institution.name.label("institution_name"),
            Visit.user_id.label("specialist_id"),
            User.display_name.label("specialist_name"),
            VisitTask.item,
            VisitTask.source,
            *_POLICY_COLUMNS,
        )
        .select_from(Visit)
        .join(VisitTask, VisitTask.id == Visit.task_id)
        .join(Policy, Policy.id == VisitTask.policy_id)
        .join(Institution, Institution.id == Visit.institution_id)
        .join(User, User.id == Visit.user_id)
    )


def _cases_base() -> Select:
    return (
        select(
            ProblemCase.id,
            ProblemCase.kind,
            ProblemCase.category,
            ProblemCase.status,
            ProblemCase.source.label("case_source"),
            ProblemCase.summary,
            ProblemCase.task_id,
            ProblemCase.visit_uuid,
            ProblemCase.due_date,
            ProblemCase.created_at,
            ProblemCase.resolved_at,
            ProblemCase.institution_id,
            Institution.name.label("institution_name"),
            ProblemCase.owner_id,
            User.display_name.label("owner_name"),
            *_POLICY_COLUMNS,
        )
        .select_from(ProblemCase)
        .join(Policy, Policy.id == ProblemCase.policy_id)
        .join(Institution, Institution.id == ProblemCase.institution_id)
        .outerjoin(User, User.id == ProblemCase.owner_id)
    )


# A first call carries its own item; a confirming callback takes its visit task's.
CALLBACK_ITEM = func.coalesce(PhoneCallback.item, VisitTask.item)


def _callbacks_base() -> Select:
    return (
        select(
            PhoneCallback.id,
            PhoneCallback.kind,
            PhoneCallback.status,
            PhoneCallback.outcome,
            PhoneCallback.attempts,
            PhoneCallback.task_id,
            PhoneCallback.visit_uuid,
            PhoneCallback.due_date,
            PhoneCallback.created_at,
            PhoneCallback.completed_at,
            PhoneCallback.institution_id,
            Institution.name.label("institution_name"),
            PhoneCallback.agent_id,
            User.display_name.label("agent_name"),
            CALLBACK_ITEM.label("item"),
            VisitTask.source,
            *_POLICY_COLUMNS,
        )
        .select_from(PhoneCallback)
        # A first call (R11) has no visit task; a confirming callback (R14) has its visit's.
        .outerjoin(VisitTask, VisitTask.id == PhoneCallback.task_id)
        .join(Policy, Policy.id == PhoneCallback.policy_id)
        .join(Institution, Institution.id == PhoneCallback.institution_id)
        .outerjoin(User, User.id == PhoneCallback.agent_id)
    )


_BASES = {
    "policies": _policies_base,
    "tasks": _tasks_base,
    "visits": _visits_base,
    "cases": _cases_base,
    "callbacks": _callbacks_base,
}
KIND = {
    "policies": Kind("policies", Policy, (Policy.id,)),
    "tasks": Kind("tasks", VisitTask, (VisitTask.id,)),
    "visits": Kind("visits", Visit, (Visit.received_at, Visit.uuid)),
    "cases": Kind("cases", ProblemCase, (ProblemCase.id,)),
    "callbacks": Kind("callbacks", PhoneCallback, (PhoneCallback.id,)),
}


def _kind_conditions(kind: str, args: dict) -> list[ColumnElement]:
    """The filters only one kind has."""
    out: list[ColumnElement] = []

    def equal(column, key):
        if args.get(key) not in (None, ""):
            out.append(column == args[key])

    def among(column, key):
        if args.get(key):
            out.append(column.in_(args[key]))

    if kind == "policies":
        equal(Policy.product_type, "product_type")
        equal(Policy.channel, "channel")
        out += _between(Policy.effective_date, args, "date_from", "date_to", is_datetime=False)
        return out
    equal(Policy.product_type, "product_type")
    equal(Policy.channel, "channel")
    if kind == "tasks":
        among(VisitTask.status, "status")
        equal(VisitTask.item, "item")
        equal(VisitTask.source, "source")
        equal(VisitTask.assignee_id, "assignee_id")
        if args.get("overdue"):
            out += [VisitTask.status.in_(TASK_OPEN_STATUSES), VisitTask.due_date < today()]
        out += _between(VisitTask.created_at, args, "date_from", "date_to", is_datetime=True)
        out += _between(VisitTask.due_date, args, "due_from", "due_to", is_datetime=False)
    elif kind == "visits":
        equal(VisitTask.item, "item")
        equal(VisitTask.source, "source")
        among(Visit.outcome, "outcome")
        among(Visit.review_state, "review_state")
        equal(Visit.state, "state")
        equal(Visit.user_id, "specialist_id")
        equal(Visit.task_id, "task_id")
        out += _between(Visit.received_at, args, "date_from", "date_to", is_datetime=True)
    elif kind == "cases":
        among(ProblemCase.status, "status")
        equal(ProblemCase.kind, "kind")
        equal(ProblemCase.category, "category")
        equal(ProblemCase.source, "case_source")
        if args.get("overdue"):
            out += [ProblemCase.status.in_(CASE_OPEN_STATUSES), ProblemCase.due_date < today()]
        out += _between(ProblemCase.created_at, args, "date_from", "date_to", is_datetime=True)
        out += _between(ProblemCase.due_date, args, "due_from", "due_to", is_datetime=False)
    elif kind == "callbacks":
        among(PhoneCallback.status, "status")
        among(PhoneCallback.outcome, "outcome")
        equal(PhoneCallback.kind, "kind")
        equal(CALLBACK_ITEM, "item")
        equal(VisitTask.source, "source")
        equal(PhoneCallback.agent_id, "agent_id")
        out += _between(PhoneCallback.created_at, args, "date_from", "date_to", is_datetime=True)
        out += _between(PhoneCallback.due_date, args, "due_from", "due_to", is_datetime=False)
    return out


def statement(kind: str, scope: Scope, args: dict) -> Select:
    """The filtered, scoped, newest-first statement of one kind (no cursor, no limit)."""
    spec = KIND[kind]
    stmt = spec.base().where(
        _in_subtree(scope, spec.model.institution_id, args.get("institution_id")),
        *person_conditions(args),
        *_kind_conditions(kind, args),
    )
    return stmt.order_by(*(column.desc() for column in spec.key))


def _after(kind: str, cursor: str) -> ColumnElement:
    if kind != "visits":
        return _id_after(KIND[kind].key[0], cursor)
    received, uuid = decode_cursor(cursor, 2)
    try:
        at = datetime.fromisoformat(received)
    except ValueError as exc:
        raise _cursor_error(cursor) from exc
    if at.tzinfo is None or len(uuid) > 36:
        raise _cursor_error(cursor)
    return or_(Visit.received_at < at, and_(Visit.received_at == at, Visit.uuid < uuid))


def _cursor_of(kind: str, row) -> str:
    if kind == "visits":
        return encode_cursor(row.received_at, row.uuid)
    return encode_cursor(row.id if kind != "policies" else row.policy_id)


def page(kind: str, scope: Scope, args: dict, *, full: bool) -> dict:
    """One page of results, newest first, with the cursor of the next (keyset: stable while new
    records arrive, and as fast on the thousandth page as on the first)."""
    stmt = statement(kind, scope, args)
    if args.get("cursor"):
        stmt = stmt.where(_after(kind, args["cursor"]))
    limit = args["limit"]
    rows = db.session.execute(stmt.limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [VIEWS[kind](row, full) for row in rows],
        "next_cursor": _cursor_of(kind, rows[-1]) if more else None,
    }


def stream_statement(stmt: Select, batch: int = 2000) -> Iterator:
    """Every row of ``stmt``, fetched ``batch`` at a time (a server-side cursor on PostgreSQL):
    memory does not grow with the number of rows."""
    yield from db.session.execute(stmt.execution_options(yield_per=batch))


# ---- rows to views -----------------------------------------------------------------------------


def _policy_ref(row, full: bool) -> dict:
    return {
        "id": row.policy_id,
        "policy_number": row.policy_number,
        "product_name": row.product_name,
        "product_type": row.product_type,
        "channel": row.channel,
        "holder_name": row.holder_name,
        "holder_id_number": row.holder_id_number if full else mask_id_number(row.holder_id_number),
        "holder_phone": row.holder_phone if full else mask_phone(row.holder_phone),
        "insured_name": row.insured_name,
    }


def _ref(ident, name) -> dict | None:
    return None if ident is None else {"id": ident, "name": name}


def _policy_view(row, full: bool) -> dict:
    view = _policy_ref(row, full)
    view.update(
        {
            "insured_id_number": row.insured_id_number if full else mask_id_number(row.insured_id_number),
            "insured_phone": row.insured_phone if full else mask_phone(row.insured_phone),
            "effective_date": row.effective_date,
            "premium_fen": row.premium_fen,
            "institution": _ref(row.institution_id, row.institution_name),
        }
    )
    return view


def _task_view(row, full: bool) -> dict:
    return {
        "id": row.id,
        "status": row.status,
        "item": row.item,
        "source": row.source,
        "due_date": row.due_date,
        "overdue": row.status in TASK_OPEN_STATUSES and row.due_date < today(),
        "created_at": row.created_at,
        "institution": _ref(row.institution_id, row.institution_name),
        "assignee": _ref(row.assignee_id, row.assignee_name),
        "policy": _policy_ref(row, full),
    }


def _visit_view(row, full: bool) -> dict:
    return {
        "uuid": row.uuid,
        "task_id": row.task_id,
        "outcome": row.outcome,
        "state": row.state,
        "review_state": row.review_state,
        "flags": list(row.flags or []),
        "item": row.item,
        "source": row.source,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
        "received_at": row.received_at,
        "submitted_at": row.submitted_at,
        "institution": _ref(row.institution_id, row.institution_name),
        "specialist": _ref(row.specialist_id, row.specialist_name),
        "policy": _policy_ref(row, full),
    }


def _case_view(row, full: bool) -> dict:
    return {
        "id": row.id,
        "kind": row.kind,
        "category": row.category,
        "status": row.status,
        "source": row.case_source,
        "summary": row.summary,
        "task_id": row.task_id,
        "visit_uuid": row.visit_uuid,
        "due_date": row.due_date,
        "overdue": row.status in CASE_OPEN_STATUSES and row.due_date < today(),
        "created_at": row.created_at,
        "resolved_at": row.resolved_at,
        "institution": _ref(row.institution_id, row.institution_name),
        "owner": _ref(row.owner_id, row.owner_name),
        "policy": _policy_ref(row, full),
    }


def _callback_view(row, full: bool) -> dict:
    return {
        "id": row.id,
        "kind": row.kind,
        "status": row.status,
        "outcome": row.outcome,
        "attempts": row.attempts,
        "task_id": row.task_id,
        "visit_uuid": row.visit_uuid,
        "item": row.item,
        "source": row.source,
        "due_date": row.due_date,
        "created_at": row.created_at,
        "completed_at": row.completed_at,
        "institution": _ref(row.institution_id, row.institution_name),
        "agent": _ref(row.agent_id, row.agent_name),
        "policy": _policy_ref(row, full),
    }


VIEWS = {
    "policies": _policy_view,
    "tasks": _task_view,
    "visits": _visit_view,
    "cases": _case_view,
    "callbacks": _callback_view,
}


# ---- the keyed hashes --------------------------------------------------------------------------


def rehash_ids(batch: int = 5000) -> int:
    """Make every policy's ID hashes again with the current key, and encrypt its ID numbers again
    under it (after HUIFANG_PII_KEY changed: the old key in HUIFANG_PII_OLD_KEYS meanwhile; or for rows
    written before encryption). Batched by id; commits each batch. Returns rows done."""
    table = Policy.__table__
    digest = pii.hasher()
    last, done = 0, 0
    while True:
        rows = db.session.execute(
            select(table.c.id, table.c.holder_id_number, table.c.insured_id_number)
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return done
        db.session.execute(
            table.update()
            .where(table.c.id == bindparam("row_id"))
            .values(
                holder_id_hash=bindparam("h"),
                insured_id_hash=bindparam("i"),
                holder_id_number=bindparam("hn", type_=EncryptedText()),
                insured_id_number=bindparam("in_", type_=EncryptedText()),
            ),
            [
                {
                    "row_id": r.id,
                    "h": digest(r.holder_id_number),
                    "i": digest(r.insured_id_number),
                    "hn": r.holder_id_number,  # read in clear, written under the current key
                    "in_": r.insured_id_number,
                }
                for r in rows
            ],
        )
        db.session.commit()
        last = rows[-1].id
        done += len(rows)
