from flask import g
from flask_smorest import Blueprint
from sqlalchemy import select

from server.auth.access import roles_required
from server.cases import services
from server.cases.models import OPEN_STATUSES, ProblemCase
from server.cases.schemas import (
    CaseCreateSchema,
    CaseListArgs,
    CaseListSchema,
    CaseResolveSchema,
    CaseSchema,
    CaseUpdateSchema,
)
from server.extensions import db
from server.institutions.models import Institution
from server.policies.models import Policy, Salesperson
from server.schemas import ErrorSchema
from server.scoping import current_scope
from server.tasks.services import today
from server.users.models import User
from server.users.roles import ADMIN, COMPLIANCE_OFFICER, PHONE_AGENT, REVIEWER, SUPERVISOR

blp = Blueprint(
    "cases", __name__, url_prefix="/api/v1/cases", description="问题件 Problem, compliance and re-sign cases"
)
READERS = (SUPERVISOR, REVIEWER, PHONE_AGENT, COMPLIANCE_OFFICER, ADMIN)
HANDLERS = (SUPERVISOR, REVIEWER, COMPLIANCE_OFFICER, ADMIN)


def _person(user_id):
    user = db.session.get(User, user_id) if user_id else None
    return {"id": user.id, "display_name": user.display_name} if user else None


def view(case: ProblemCase, with_events: bool = False) -> dict:
    policy = db.session.get(Policy, case.policy_id)
    seller = db.session.get(Salesperson, case.salesperson_id) if case.salesperson_id else None
    institution = db.session.get(Institution, case.institution_id)
    category = services.category(case.category)
    result = {
        c: getattr(case, c)
        for c in (
            "id",
            "kind",
            "category",
            "summary",
            "source",
            "status",
            "task_id",
            "visit_uuid",
            "callback_id",
            "letter_id",
            "question_id",
            "followup_task_id",
            "due_date",
            "referred_sales_at",
            "referred_compliance_at",
            "finding",
            "resolution",
            "created_at",
            "resolved_at",
        )
    }
    result.update(
        {
            "category_name": category.name if category else None,
            "category_name_en": category.name_en if category else None,
            "overdue": case.status in OPEN_STATUSES and case.due_date < today(),
            "policy": {
                "id": policy.id,
                "policy_number": policy.policy_number,
                "holder_name": policy.holder_name,
            },
            "salesperson": {"id": seller.id, "code": seller.code, "name": seller.name} if seller else None,
            "institution": {"id": institution.id, "name": institution.name},
            "owner": _person(case.owner_id),
            "events": [],
        }
    )
    if with_events:
        result["events"] = [
            {
                "id": e.id,
                "at": e.at,
                "actor": _person(e.actor_id),
                "action": e.action,
                "note": e.note,
                "data": e.data,
            }
            for e in services.events(case)
        ]
    return result


@blp.route("", methods=["GET"])
@blp.arguments(CaseListArgs, location="query")
@blp.response(200, CaseListSchema)
@roles_required(*READERS)
def list_cases(args):
    """Cases of the caller's subtree, newest first; ``overdue`` lists what is past its due date."""
    stmt = current_scope().filter(select(ProblemCase), ProblemCase)
    for key in ("kind", "status", "category", "owner_id", "salesperson_id", "policy_id", "visit_uuid"):
        if key in args:
            stmt = stmt.where(getattr(ProblemCase, key) == args[key])
    if args.get("open"):
        stmt = stmt.where(ProblemCase.status.in_(OPEN_STATUSES))
    if args.get("overdue"):
        stmt = stmt.where(ProblemCase.status.in_(OPEN_STATUSES), ProblemCase.due_date < today())
    if "cursor" in args:
        stmt = stmt.where(ProblemCase.id < args["cursor"])
    rows = list(db.session.scalars(stmt.order_by(ProblemCase.id.desc()).limit(args["limit"] + 1)))
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    return {"items": [view(c) for c in rows], "next_cursor": rows[-1].id if more else None}


@blp.route("", methods=["POST"])
@blp.arguments(CaseCreateSchema)
@blp.response(201, CaseSchema)
@blp.alt_response(422, schema=ErrorSchema)
@roles_required(*HANDLERS)
def create_case(args):
    """Open a case by hand (a complaint, a finding outside any callback)."""
    return view(services.create_manual(current_scope(), g.user, args), with_events=True)


@blp.route("/<int:case_id>", methods=["GET"])
@blp.response(200, CaseSchema)
@blp.alt_response(404, schema=ErrorSchema)
@roles_required(*READERS)
def get_case(case_id):
    """One case with its history."""
    return view(current_scope().get(ProblemCase, case_id, "问题件", "case"), with_events=True)


@blp.route("/<int:case_id>", methods=["PATCH"])
@blp.arguments(CaseUpdateSchema)
@blp.response(200, CaseSchema)
@blp.alt_response(409, schema=ErrorSchema)
@roles_required(*HANDLERS)
def update_case(args, case_id):
    """Give the case an owner (it is then in progress), move its due date, or add a note."""
    return view(services.update(current_scope(), g.user, case_id, args), with_events=True)


@blp.route("/<int:case_id>/resolve", methods=["POST"])
@blp.arguments(CaseResolveSchema)
@blp.response(200, CaseSchema)
@blp.alt_response(409, schema=ErrorSchema)
@roles_required(*HANDLERS)
def resolve_case(args, case_id):
    """Resolve with what was done; a compliance case also with its finding (R16)."""
    case = services.resolve(current_scope(), g.user, case_id, args["resolution"], args.get("finding"))
    return view(case, with_events=True)
