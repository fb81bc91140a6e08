from flask import g
from flask_smorest import Blueprint
from sqlalchemy import select

from server.auth.access import roles_required
from server.extensions import db
from server.institutions.models import Institution
from server.policies.masking import mask_id_number, mask_phone, sees_personal_data
from server.policies.models import Policy, Salesperson
from server.risk import services
from server.risk.models import RiskAlert
from server.risk.schemas import RiskAlertListArgs, RiskAlertListSchema, RiskAlertSchema, RiskAlertUpdateSchema
from server.schemas import ErrorSchema
from server.scoping import current_scope
from server.users.roles import ADMIN, COMPLIANCE_OFFICER, SUPERVISOR

blp = Blueprint("risk", __name__, url_prefix="/api/v1/risk-alerts", description="风险提示 Risk alerts (R5)")
INVESTIGATORS = (SUPERVISOR, COMPLIANCE_OFFICER, ADMIN)


def _view(alert: RiskAlert, with_policies: bool) -> dict:
    full = sees_personal_data(g.user)
    institution = db.session.get(Institution, alert.institution_id)
    seller = db.session.get(Salesperson, alert.salesperson_id) if alert.salesperson_id else None
    view = {
        "id": alert.id,
        "kind": alert.kind,
        "phone": alert.phone if full else mask_phone(alert.phone),
        "status": alert.status,
        "resolution": alert.resolution,
        "salesperson": {"id": seller.id, "code": seller.code, "name": seller.name} if seller else None,
        "institution": {"id": institution.id, "name": institution.name},
        "policy_count": len(alert.policies),
        "policies": [],
        "created_at": alert.created_at,
        "resolved_at": alert.resolved_at,
    }
    if with_policies:
        ids = [link.policy_id for link in alert.policies]
        for policy in db.session.scalars(select(Policy).where(Policy.id.in_(ids)).order_by(Policy.id)):
            view["policies"].append(
                {
                    "id": policy.id,
                    "policy_number": policy.policy_number,
                    "holder_name": policy.holder_name,
                    "holder_id_number": policy.holder_id_number
                    if full
                    else mask_id_number(policy.holder_id_number),
                    "institution_name": db.session.get(Institution, policy.institution_id).name,
                    "salesperson_name": policy.salesperson.name if policy.salesperson else None,
                }
            )
    return view


@blp.route("", methods=["GET"])
@blp.arguments(RiskAlertListArgs, location="query")
@blp.response(200, RiskAlertListSchema)
@roles_required(*INVESTIGATORS)
def list_alerts(args):
    """Alerts of the caller's subtree, newest first."""
    stmt = current_scope().filter(select(RiskAlert), RiskAlert)
    for key in ("status", "kind"):
        if key in args:
            stmt = stmt.where(getattr(RiskAlert, key) == args[key])
    if "cursor" in args:
        stmt = stmt.where(RiskAlert.id < args["cursor"])
    rows = list(db.session.scalars(stmt.order_by(RiskAlert.id.desc()).limit(args["limit"] + 1)))
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    return {
        "items": [_view(a, with_policies=False) for a in rows],
        "next_cursor": rows[-1].id if more else None,
    }


@blp.route("/<int:alert_id>", methods=["GET"])
@blp.response(200, RiskAlertSchema)
@blp.alt_response(404, schema=ErrorSchema)
@roles_required(*INVESTIGATORS)
def get_alert(alert_id):
    """One alert with the policies that carry the phone."""
    return _view(current_scope().get(RiskAlert, alert_id, "风险提示", "risk alert"), with_policies=True)


@blp.route("/<int:alert_id>", methods=["PATCH"])
@blp.arguments(RiskAlertUpdateSchema)
@blp.response(200, RiskAlertSchema)
@roles_required(*INVESTIGATORS)
def update_alert(args, alert_id):
    """Investigate, resolve or dismiss an alert (resolving and dismissing need the finding)."""
    alert = services.update_status(current_scope(), g.user, alert_id, args["status"], args.get("resolution"))
    return _view(alert, with_policies=True)
