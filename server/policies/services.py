"""Policy snapshots and the salesperson registry from the policy system (R4, R5).

``upsert_policies`` is the one way policies enter the database, whether from the policy system's API
or an intake file: bulk (one SELECT for the chunk's numbers, one multi-row INSERT, one executemany
UPDATE), idempotent (the same snapshot twice changes nothing), and it writes a PolicyChange row for
each field that matters to a visit (phones, address, salesperson, institution) only when it really
changed. Callers own the transaction: nothing here commits except the API-facing wrappers.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable

from sqlalchemy import bindparam, or_, select, update

from server.audit import services as audit
from server.dbtypes import utcnow
from server.errors import HuifangError, not_found
from server.extensions import db
from server.institutions.models import Institution
from server.intake import bulk, normalise
from server.policies import pii
from server.policies.models import Policy, PolicyChange, Salesperson
from server.scoping import Scope, out_of_scope

CHUNK = 900  # rows per statement: under SQLite's 999 bound parameters for IN (...)
# R4: the fields whose history a visit needs (a specialist finds the customer by them).
TRACKED = ("holder_phone", "insured_phone", "holder_address", "salesperson_id", "institution_id")
_SKIP = {"id", "created_at", "updated_at"}
FIELDS = tuple(c.name for c in Policy.__table__.columns if c.name not in _SKIP)
# Kept by this module from the ID numbers (server/policies/pii.py), never taken from a caller's row.
_DERIVED = frozenset(hashed for _, hashed in pii.HASHED)
_DEFAULTS = {
    "holder_id_type": "resident_id",
    "group_business": False,
    "pays_on_death": False,
    "premium_fen": 0,
    "payment_frequency": "annual",
    "details": {},
}
_FIELD_SET = frozenset(FIELDS)
_NEW = {key: _DEFAULTS.get(key) for key in FIELDS}  # a new policy before its row is applied
POLICY_REQUIRED = ("product_name", "product_type", "channel", "holder_name", "insured_name", "institution_id")


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def upsert_policies(rows: list[dict], *, source: str, actor_id: int | None) -> dict[str, int]:
    """Insert or refresh policies keyed by policy_number; returns policy_number → id. No commit.

    Each row holds Policy column names (ids resolved: institution_id, salesperson_id). A key left
    out keeps the stored value; a new policy takes the defaults of the rest.
    """
    return {number: found[0] for number, found in upsert_policies_detailed(rows, source, actor_id).items()}


def upsert_policies_detailed(
    rows: list[dict], source: str, actor_id: int | None
) -> dict[str, tuple[int, str]]:
    """policy_number → (id, "created" | "updated" | "unchanged")."""
    merged: dict[str, dict] = {}
    for row in rows:  # the same policy twice in one call: the later row wins, field by field
        merged.setdefault(row["policy_number"], {}).update(row)
    out: dict[str, tuple[int, str]] = {}
    numbers = list(merged)
    for chunk in _chunks(numbers):
        out.update(_upsert_chunk({n: merged[n] for n in chunk}, source, actor_id))
    return out


def _upsert_chunk(rows: dict[str, dict], source: str, actor_id: int | None) -> dict[str, tuple[int, str]]:
    table = Policy.__table__
    existing = {
        r.policy_number: r._mapping
        for r in db.session.execute(select(table).where(bulk.among(table.c.policy_number, list(rows))))
    }
    now = utcnow()
    digest = _remember_last(pii.hasher())  # the insured is most often the holder: one HMAC, not two
    out: dict[str, tuple[int, str]] = {}
    new_rows, updates, changes = [], [], []
    for number, row in rows.items():
        if not _DERIVED.isdisjoint(row):
            row = {k: v for k, v in row.items() if k not in _DERIVED}
        old = existing.get(number)
        if old is None:
            missing = [key for key in POLICY_REQUIRED if row.get(key) in (None, "")]
            if missing:
                raise HuifangError(
                    "policy_incomplete",
                    f"新保单 {number} 缺少必填信息",
                    f"New policy {number} lacks required fields",
                    422,
                    {"policy_number": number, "missing": missing},
                )
            values = _NEW.copy()
            values.update(
                row if _FIELD_SET.issuperset(row) else {k: v for k, v in row.items() if k in _FIELD_SET}
            )
            for key, default in _DEFAULTS.items():
                if values[key] is None:
                    values[key] = default
            values["created_at"] = values["updated_at"] = now
            new_rows.append(pii.fill(values, digest))
            continue
        diff = {k: v for k, v in row.items() if k in _FIELD_SET and k != "policy_number" and old[k] != v}
        if not diff:
            out[number] = (old["id"], "unchanged")
            continue
        values = {key: old[key] for key in FIELDS if key != "policy_number"}
        values.update(diff)
        values["id"] = old["id"]
        values["updated_at"] = now
        updates.append(pii.fill(values, digest))
        out[number] = (old["id"], "updated")
        for key in TRACKED:
            if key in diff:
                changes.append((old["id"], key, old[key], diff[key]))
    if new_rows:
        ids = bulk.allocate_ids(table, len(new_rows))
        for pid, values in zip(ids, new_rows, strict=True):
            values["id"] = pid
            out[values["policy_number"]] = (pid, "created")
        bulk.insert_rows(table, new_rows)
    if updates:
        _update_by_id(table, updates)
    if changes:
        _record_changes(changes, source, actor_id, now)
    return out


def _remember_last(fn):
    last: list = [object(), None]

    def remembered(value):
        if value != last[0]:
            last[0], last[1] = value, fn(value)
        return last[1]

    return remembered


def _update_by_id(table, rows: list[dict]) -> None:
    """One executemany UPDATE ... WHERE id = :row_id for rows that all carry the same keys."""
    keys = [k for k in rows[0] if k != "id"]
    stmt = (
        update(table).where(table.c.id == bindparam("row_id")).values({k: bindparam(f"v_{k}") for k in keys})
    )
    db.session.execute(stmt, [{"row_id": r["id"], **{f"v_{k}": r[k] for k in keys}} for r in rows])


def _record_changes(changes: list[tuple], source: str, actor_id: int | None, now) -> None:
    # People read the history: show codes, not ids, for the salesperson and the institution.
    seller_ids = {v for _, key, *pair in changes if key == "salesperson_id" for v in pair if v}
    inst_ids = {v for _, key, *pair in changes if key == "institution_id" for v in pair if v}
    sellers = (
        dict(
            db.session.execute(
                select(Salesperson.id, Salesperson.code).where(Salesperson.id.in_(seller_ids))
            ).all()
        )
        if seller_ids
        else {}
    )
    insts = (
        dict(
            db.session.execute(
                select(Institution.id, Institution.code).where(Institution.id.in_(inst_ids))
            ).all()
        )
        if inst_ids
        else {}
    )

    def shown(key, value):
        if value is None:
            return None
        if key == "salesperson_id":
            return sellers.get(value, str(value))
        if key == "institution_id":
            return insts.get(value, str(value))
        return str(value)[:300]

    field_names = {"salesperson_id": "salesperson", "institution_id": "institution"}
    bulk.insert_rows(
        PolicyChange.__table__,
        [
            {
                "policy_id": pid,
                "field": field_names.get(key, key),
                "old_value": shown(key, old),
                "new_value": shown(key, new),
                "source": source,
                "actor_id": actor_id,
                "at": now,
            }
            for pid, key, old, new in changes
        ],
    )


# ---- salespersons ------------------------------------------------------------------------------


def upsert_salespersons(rows: list[dict], *, only_missing_fields: bool = False) -> dict[str, tuple[int, str]]:
    """Insert or refresh salespersons keyed by code: code → (id, created|updated|unchanged). No commit.

    With ``only_missing_fields`` (intake files, which carry a seller's name and phone in passing) an
    existing salesperson keeps its registry data except where the registry has none.
    """
    merged: dict[str, dict] = {}
    for row in rows:
        merged.setdefault(row["code"], {}).update({k: v for k, v in row.items() if v is not None})
    out: dict[str, tuple[int, str]] = {}
    table = Salesperson.__table__
    now = utcnow()
    for chunk in _chunks(list(merged)):
        existing = {
            r.code: r._mapping
            for r in db.session.execute(select(table).where(bulk.among(table.c.code, chunk)))
        }
        new_rows, updates = [], []
        for code in chunk:
            row = merged[code]
            old = existing.get(code)
            if old is None:
                if not row.get("name") or not row.get("institution_id"):
                    raise HuifangError(
                        "salesperson_incomplete",
                        f"新销售人员 {code} 缺少姓名或机构",
                        f"New salesperson {code} needs a name and an institution",
                        422,
                        {"code": code},
                    )
                new_rows.append(
                    {
                        "code": code,
                        "name": row["name"],
                        "phone": row.get("phone"),
                        "institution_id": row["institution_id"],
                        "active": row.get("active", True),
                        "updated_at": now,
                    }
                )
                continue
            keys = ("name", "phone", "institution_id", "active")
            diff = {
                k: row[k]
                for k in keys
                if k in row and old[k] != row[k] and not (only_missing_fields and old[k] not in (None, ""))
            }
            if diff:
                updates.append({"id": old["id"], **{k: old[k] for k in keys}, **diff, "updated_at": now})
                out[code] = (old["id"], "updated")
            else:
                out[code] = (old["id"], "unchanged")
        if new_rows:
            ids = bulk.allocate_ids(table, len(new_rows))
            for sid, values in zip(ids, new_rows, strict=True):
                values["id"] = sid
                out[values["code"]] = (sid, "created")
            bulk.insert_rows(table, new_rows)
        if updates:
            _update_by_id(table, updates)
    return out


# ---- codes to ids ------------------------------------------------------------------------------


def institutions_by_code(codes: Iterable[str]) -> dict[str, Institution]:
    codes = sorted(set(codes))
    found: dict[str, Institution] = {}
    for chunk in _chunks(codes):
        found.update(
            {i.code: i for i in db.session.scalars(select(Institution).where(Institution.code.in_(chunk)))}
        )
    return found


def salesperson_ids_by_code(codes: Iterable[str]) -> dict[str, int]:
    codes = sorted(set(codes))
    found: dict[str, int] = {}
    for chunk in _chunks(codes):
        found.update(
            db.session.execute(
                select(Salesperson.code, Salesperson.id).where(bulk.among(Salesperson.code, chunk))
            ).all()
        )
    return found


# ---- the API's side: checked input, scope, commit ---------------------------------------------


def _field_error(field: str, message: str) -> HuifangError:
    return HuifangError(
        "validation_error",
        "提交的数据有误，请检查后重试",
        "The submitted data is invalid",
        422,
        {"fields": {field: [message]}},
    )


def _clean(data: dict, prefix: str = "") -> dict:
    """Phones and ID numbers from the policy system in the stored form, checked like a file's."""
    out = dict(data)
    for key in ("holder_phone", "insured_phone", "phone"):
        if out.get(key) is not None:
            try:
                out[key] = normalise.phone(out[key])
            except normalise.CellError as err:
                raise _field_error(prefix + key, f"{err.message} / {err.message_en}") from None
    for key in ("holder_id_number", "insured_id_number"):
        if out.get(key) is None:
            continue
        resident = key == "insured_id_number" or out.get("holder_id_type", "resident_id") == "resident_id"
        try:
            out[key] = (
                normalise.resident_id(out[key], excel_suspect=False)[0]
                if resident
                else normalise.other_id(out[key])
            )
        except normalise.CellError as err:
            raise _field_error(prefix + key, f"{err.message} / {err.message_en}") from None
    return out


def _resolve(scope: Scope, items: list[dict]) -> list[dict]:
    """institution_code / salesperson_code → ids, each institution inside the caller's scope."""
    insts = institutions_by_code(i["institution_code"] for i in items if i.get("institution_code"))
    sellers = salesperson_ids_by_code(i["salesperson_code"] for i in items if i.get("salesperson_code"))
    rows = []
    for index, item in enumerate(items):
        prefix = f"policies.{index}." if len(items) > 1 else ""
        row = _clean(
            {k: v for k, v in item.items() if k not in ("institution_code", "salesperson_code")}, prefix
        )
        if "institution_code" in item:
            inst = insts.get(item["institution_code"])
            if inst is None:
                raise _field_error(prefix + "institution_code", "机构代码不存在 / no such institution")
            scope.require(inst)
            row["institution_id"] = inst.id
        if "salesperson_code" in item:
            code = item["salesperson_code"]
            if code is None:
                row["salesperson_id"] = None
            elif code not in sellers:
                raise _field_error(prefix + "salesperson_code", "销售人员代码不存在 / no such salesperson")
            else:
                row["salesperson_id"] = sellers[code]
        rows.append(row)
    return rows


def _existing_out_of_scope(scope: Scope, numbers: list[str]) -> None:
    """A policy of another subtree cannot be rewritten from here (nor may its existence leak)."""
    for chunk in _chunks(numbers):
        outside = db.session.scalars(
            select(Policy.policy_number).where(
                Policy.policy_number.in_(chunk), Policy.institution_id.not_in(scope.institution_ids())
            )
        ).first()
        if outside is not None:
            raise out_of_scope()


def save_policies(scope: Scope, actor, items: list[dict], *, source: str = "policy_system") -> dict:
    """The API's upsert (one or a batch): all or nothing, audited, committed."""
    rows = _resolve(scope, items)
    _existing_out_of_scope(scope, [r["policy_number"] for r in rows])
    result = upsert_policies_detailed(rows, source, actor.id if actor else None)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for _, outcome in result.values():
        counts[outcome] += 1
    audit.record("policies_upserted", actor=actor, source=source, **counts)
    db.session.commit()
    return {"ids": {number: found[0] for number, found in result.items()}, **counts, "outcomes": result}


def save_salespersons(scope: Scope, actor, items: list[dict]) -> dict:
    insts = institutions_by_code(i["institution_code"] for i in items if i.get("institution_code"))
    rows = []
    for index, item in enumerate(items):
        prefix = f"salespersons.{index}." if len(items) > 1 else ""
        row = _clean({k: v for k, v in item.items() if k != "institution_code"}, prefix)
        if "institution_code" in item:
            inst = insts.get(item["institution_code"])
            if inst is None:
                raise _field_error(prefix + "institution_code", "机构代码不存在 / no such institution")
            scope.require(inst)
            row["institution_id"] = inst.id
        rows.append(row)
    codes = [r["code"] for r in rows]
    for chunk in _chunks(codes):
        if db.session.scalars(
            select(Salesperson.code).where(
                Salesperson.code.in_(chunk), Salesperson.institution_id.not_in(scope.institution_ids())
            )
        ).first():
            raise out_of_scope()
    result = upsert_salespersons(rows)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for _, outcome in result.values():
        counts[outcome] += 1
    audit.record("salespersons_upserted", actor=actor, **counts)
    db.session.commit()
    return {"ids": {code: found[0] for code, found in result.items()}, **counts}


def get_policy(scope: Scope, policy_number: str) -> Policy:
    stmt = scope.filter(select(Policy).where(Policy.policy_number == policy_number.strip().upper()), Policy)
    policy = db.session.scalars(stmt).first()
    if policy is None:
        raise not_found("保单", "policy")
    return policy


def policy_history(policy: Policy) -> list[PolicyChange]:
    return list(
        db.session.scalars(
            select(PolicyChange).where(PolicyChange.policy_id == policy.id).order_by(PolicyChange.id)
        )
    )


def _encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise HuifangError(
            "cursor_invalid", "分页游标无效", "The page cursor is invalid", 422, {"cursor": cursor}
        ) from exc


def _page(stmt, model, args: dict):
    if args.get("cursor"):
        stmt = stmt.where(model.id > _decode_cursor(args["cursor"]))
    limit = args["limit"]
    rows = list(db.session.scalars(stmt.order_by(model.id).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, _encode_cursor(rows[-1].id) if more else None


def _in_subtree(scope: Scope, model, institution_id: int):
    root = scope.get(Institution, institution_id, "机构", "institution")
    return model.institution_id.in_(Scope(root.path).institution_ids())


def list_policies(scope: Scope, args: dict):
    """Policies in scope, keyset-paginated by id. q: policy number prefix or holder name."""
    stmt = scope.filter(select(Policy), Policy)
    if args.get("q"):
        q = args["q"].strip()
        stmt = stmt.where(
            or_(Policy.policy_number.startswith(q.upper(), autoescape=True), Policy.holder_name == q)
        )
    if args.get("phone"):
        try:
            phone = normalise.phone(args["phone"])
        except normalise.CellError as err:
            raise _field_error("phone", err.message) from None
        stmt = stmt.where(or_(Policy.holder_phone == phone, Policy.insured_phone == phone))
    if args.get("institution_id"):
        stmt = stmt.where(_in_subtree(scope, Policy, args["institution_id"]))
    for key in ("product_type", "channel"):
        if args.get(key):
            stmt = stmt.where(getattr(Policy, key) == args[key])
    if args.get("salesperson_code"):
        stmt = stmt.where(
            Policy.salesperson_id.in_(
                select(Salesperson.id).where(Salesperson.code == args["salesperson_code"])
            )
        )
    return _page(stmt, Policy, args)


def list_salespersons(scope: Scope, args: dict):
    stmt = scope.filter(select(Salesperson), Salesperson)
    if args.get("q"):
        q = args["q"].strip()
        stmt = stmt.where(or_(Salesperson.code == q, Salesperson.name.contains(q, autoescape=True)))
    if args.get("phone"):
        try:
            stmt = stmt.where(Salesperson.phone == normalise.phone(args["phone"]))
        except normalise.CellError as err:
            raise _field_error("phone", err.message) from None
    if args.get("institution_id"):
        stmt = stmt.where(_in_subtree(scope, Salesperson, args["institution_id"]))
    if "active" in args:
        stmt = stmt.where(Salesperson.active.is_(args["active"]))
    return _page(stmt, Salesperson, args)
