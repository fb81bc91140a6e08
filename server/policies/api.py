"""Policies and salespersons from the policy administration system (R4, R5).

Writes are for administrators today; the policy system will call them with an API client of its own
(a machine account with a narrower role) once client credentials exist. Reads are for the office
roles; ID numbers and phones are masked unless the role needs them (server.policies.masking).
"""

from flask import g
from flask_smorest import Blueprint
from sqlalchemy import select

from server.auth.access import roles_required
from server.extensions import db
from server.institutions.models import Institution
from server.policies import services
from server.policies.masking import mask_phone, masked, sees_personal_data
from server.policies.models import Policy, Salesperson
from server.policies.schemas import (
    PolicyBatchSchema,
    PolicyDetailSchema,
    PolicyInSchema,
    PolicyListArgs,
    PolicyListSchema,
    PolicyUpsertResultSchema,
    RegistryUpsertResultSchema,
    SalespersonBatchSchema,
    SalespersonInSchema,
    SalespersonListArgs,
    SalespersonListSchema,
    SalespersonSchema,
)
from server.schemas import ErrorSchema
from server.scoping import current_scope
from server.users.roles import ADMIN, COMPLIANCE_OFFICER, PHONE_AGENT, REVIEWER, SUPERVISOR

blp = Blueprint(
    "policies",
    __name__,
    url_prefix="/api/v1",
    description="保单与销售人员 Policies and salespersons (R4, R5)",
)

READERS = (ADMIN, SUPERVISOR, REVIEWER, PHONE_AGENT, COMPLIANCE_OFFICER)
WRITERS = (ADMIN,)


def _institutions(ids) -> dict[int, Institution]:
    ids = set(ids)
    if not ids:
        return {}
    return {i.id: i for i in db.session.scalars(select(Institution).where(Institution.id.in_(ids)))}


def _ref(obj) -> dict | None:
    return None if obj is None else {"id": obj.id, "code": obj.code, "name": obj.name}


def policy_view(policy: Policy, institutions: dict[int, Institution], full: bool) -> dict:
    data = {c.name: getattr(policy, c.name) for c in Policy.__table__.columns}
    data["salesperson"] = _ref(policy.salesperson)
    data["institution"] = _ref(institutions.get(policy.institution_id))
    return masked(data, full)


def salesperson_view(seller: Salesperson, institutions: dict[int, Institution], full: bool) -> dict:
    data = {c.name: getattr(seller, c.name) for c in Salesperson.__table__.columns}
    data["institution"] = _ref(institutions.get(seller.institution_id))
    return masked(data, full)


@blp.route("/policies", methods=["GET"])
@blp.arguments(PolicyListArgs, location="query")
@blp.response(200, PolicyListSchema)
@roles_required(*READERS)
def list_policies(args):
    """Policies of the caller's subtree; q is a policy number prefix or a holder's exact name."""
    items, next_cursor = services.list_policies(current_scope(), args)
    insts = _institutions(p.institution_id for p in items)
    full = sees_personal_data(g.user)
    return {"items": [policy_view(p, insts, full) for p in items], "next_cursor": next_cursor}


@blp.route("/policies/batch", methods=["POST"])
@blp.arguments(PolicyBatchSchema)
@blp.response(200, RegistryUpsertResultSchema)
@blp.alt_response(422, schema=ErrorSchema, description="validation_error, policy_incomplete")
@blp.alt_response(403, schema=ErrorSchema, description="out_of_scope")
@roles_required(*WRITERS)
def upsert_batch(args):
    """Insert or refresh up to 1000 policies at once (idempotent; all or nothing)."""
    result = services.save_policies(current_scope(), g.user, args["policies"])
    return {key: result[key] for key in ("ids", "created", "updated", "unchanged")}


@blp.route("/policies/<string:policy_number>", methods=["PUT"])
@blp.arguments(PolicyInSchema)
@blp.response(200, PolicyUpsertResultSchema)
@blp.alt_response(422, schema=ErrorSchema, description="validation_error, policy_incomplete")
@blp.alt_response(403, schema=ErrorSchema, description="out_of_scope")
@roles_required(*WRITERS)
def upsert_policy(args, policy_number):
    """Insert or refresh one policy by its number (idempotent). History of phones, address,
    salesperson and institution is kept when they change."""
    number = policy_number.strip().upper()
    result = services.save_policies(current_scope(), g.user, [{**args, "policy_number": number}])
    pid, outcome = result["outcomes"][number]
    return {"id": pid, "policy_number": number, "outcome": outcome}


@blp.route("/policies/<string:policy_number>", methods=["GET"])
@blp.response(200, PolicyDetailSchema)
@blp.alt_response(404, schema=ErrorSchema)
@roles_required(*READERS)
def get_policy(policy_number):
    """One policy with the history of the fields that matter to a visit."""
    policy = services.get_policy(current_scope(), policy_number)
    full = sees_personal_data(g.user)
    data = policy_view(policy, _institutions([policy.institution_id]), full)
    history = []
    for change in services.policy_history(policy):
        row = {k: getattr(change, k) for k in ("field", "old_value", "new_value", "source", "actor_id", "at")}
        if not full and change.field in ("holder_phone", "insured_phone"):
            row["old_value"], row["new_value"] = mask_phone(row["old_value"]), mask_phone(row["new_value"])
        history.append(row)
    data["history"] = history
    return data


@blp.route("/salespersons", methods=["GET"])
@blp.arguments(SalespersonListArgs, location="query")
@blp.response(200, SalespersonListSchema)
@roles_required(*READERS)
def list_salespersons(args):
    """The salesperson registry of the caller's subtree (R5: their phones are checked at intake)."""
    items, next_cursor = services.list_salespersons(current_scope(), args)
    insts = _institutions(s.institution_id for s in items)
    full = sees_personal_data(g.user)
    return {"items": [salesperson_view(s, insts, full) for s in items], "next_cursor": next_cursor}


@blp.route("/salespersons/batch", methods=["POST"])
@blp.arguments(SalespersonBatchSchema)
@blp.response(200, RegistryUpsertResultSchema)
@blp.alt_response(422, schema=ErrorSchema)
@roles_required(*WRITERS)
def upsert_salespersons(args):
    """Insert or refresh up to 1000 salespersons by code (idempotent; all or nothing)."""
    result = services.save_salespersons(current_scope(), g.user, args["salespersons"])
    return result


@blp.route("/salespersons/<string:code>", methods=["PUT"])
@blp.arguments(SalespersonInSchema)
@blp.response(200, SalespersonSchema)
@blp.alt_response(422, schema=ErrorSchema)
@roles_required(*WRITERS)
def upsert_salesperson(args, code):
    """Insert or refresh one salesperson by code."""
    services.save_salespersons(current_scope(), g.user, [{**args, "code": code.strip()}])
    seller = db.session.scalars(select(Salesperson).where(Salesperson.code == code.strip())).one()
    return salesperson_view(seller, _institutions([seller.institution_id]), sees_personal_data(g.user))
