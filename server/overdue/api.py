from flask_smorest import Blueprint
from marshmallow import Schema, fields

from server.auth.access import roles_required
from server.overdue import services
from server.scoping import current_scope
from server.users.roles import ADMIN, COMPLIANCE_OFFICER, REVIEWER, SUPERVISOR

blp = Blueprint("overdue", __name__, url_prefix="/api/v1/overdue", description="逾期事项 Overdue work")


class OverdueGroupSchema(Schema):
    count = fields.Integer()
    items = fields.List(fields.Dict())


class OverdueSchema(Schema):
    date = fields.Date()
    review_workdays = fields.Integer()
    tasks = fields.Nested(OverdueGroupSchema)
    reviews = fields.Nested(OverdueGroupSchema)
    callbacks = fields.Nested(OverdueGroupSchema)
    cases = fields.Nested(OverdueGroupSchema)


@blp.route("", methods=["GET"])
@blp.response(200, OverdueSchema)
@roles_required(SUPERVISOR, REVIEWER, COMPLIANCE_OFFICER, ADMIN)
def overdue():
    """Everything past its date in the caller's subtree: tasks, reviews, callbacks and cases."""
    return services.overdue(current_scope())
