from flask import g
from flask_smorest import Blueprint
from sqlalchemy import select

from server.auth.access import roles_required
from server.cases.models import ProblemCase
from server.extensions import db
from server.review import flags as review_flags
from server.review import services
from server.review.models import REASONS
from server.review.schemas import (
    DecisionSchema,
    ReasonListSchema,
    ReviewDetailSchema,
    ReviewQueueArgs,
    ReviewQueueSchema,
)
from server.schemas import ErrorSchema
from server.scoping import current_scope
from server.tasks.models import VisitTask
from server.users.roles import ADMIN, REVIEWER, SUPERVISOR
from server.visits import services as visits
from server.visits.models import VisitMedia

blp = Blueprint(
    "review", __name__, url_prefix="/api/v1/review", description="面访审核 Head office review (R14)"
)
READERS = (REVIEWER, SUPERVISOR, ADMIN)
DECIDERS = (REVIEWER, ADMIN)
services.register()


@blp.route("/queue", methods=["GET"])
@blp.arguments(ReviewQueueArgs, location="query")
@blp.response(200, ReviewQueueSchema)
@roles_required(*READERS)
def review_queue(args):
    """Completed visits waiting for review in the caller's subtree: riskiest first, then oldest.

    A page costs the same few queries whatever its length; ``total`` is counted up to 10,000
    (``total_capped`` says when there are more)."""
    scope = current_scope()
    rows, cursor = services.queue(scope, args)
    total, capped = services.pending_count(scope)
    return {"items": visits.summaries(rows), "next_cursor": cursor, "total": total, "total_capped": capped}


@blp.route("/reasons", methods=["GET"])
@blp.response(200, ReasonListSchema)
@roles_required(*READERS)
def reasons():
    """The reasons a reviewer can give for returning or rejecting a visit."""
    return {"items": [{"code": c, "text": zh, "text_en": en} for c, (zh, en) in REASONS.items()]}


@blp.route("/visits/<string:uuid>", methods=["GET"])
@blp.response(200, ReviewDetailSchema)
@blp.alt_response(404, schema=ErrorSchema)
@roles_required(*READERS)
def review_visit(uuid):
    """Everything side by side: policy, answers, media, flags with their details, signature
    similarity against the same person's earlier signatures, decisions, cases and callbacks."""
    return _review_view(uuid)


def _review_view(uuid: str) -> dict:
    from server.callbacks.services import callbacks_for_visit
    from server.cases.api import view as case_view
    from server.evidence.report import signature_similarity

    visit = visits.get_visit(current_scope(), g.user, uuid)
    view = visits.detail(visit, g.user)
    task = db.session.get(VisitTask, visit.task_id)
    details = review_flags.assess(visit, task)
    for flag in visit.flags:
        details.setdefault(flag, {})
    similarity = {}
    signers = db.session.scalars(
        select(VisitMedia.signer).where(
            VisitMedia.visit_uuid == uuid,
            VisitMedia.kind == "signature_strokes",
            VisitMedia.signer.is_not(None),
        )
    )
    for signer in sorted(set(signers)):
        similarity[signer] = signature_similarity(visit, signer)
        if similarity[signer]["band"] in ("unusual", "very_unusual"):
            details["signature_unusual"] = {"signer": signer, "band": similarity[signer]["band"]}
    view.update(
        {
            "flag_details": details,
            "similarity": similarity,
            "decisions": services.history(uuid),
            "cases": [
                case_view(c)
                for c in db.session.scalars(select(ProblemCase).where(ProblemCase.visit_uuid == uuid))
            ],
            "callbacks": callbacks_for_visit(uuid),
        }
    )
    return view


@blp.route("/visits/<string:uuid>/decision", methods=["POST"])
@blp.arguments(DecisionSchema)
@blp.response(200, ReviewDetailSchema)
@blp.alt_response(409, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
@roles_required(*DECIDERS)
def decide(args, uuid):
    """Approve (a confirming phone callback follows), return to the specialist with reasons, or reject."""
    services.decide(current_scope(), g.user, uuid, args["decision"], args["reasons"], args.get("note"))
    return _review_view(uuid)
