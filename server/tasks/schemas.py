from marshmallow import Schema, fields, validate

from server.policies.facts import Item, Source
from server.schemas import Id
from server.tasks.models import STATUSES

ITEMS = list(Item.__args__)
SOURCES = list(Source.__args__)


class PolicySummarySchema(Schema):
    id = fields.Integer()
    policy_number = fields.String()
    product_name = fields.String()
    product_type = fields.String()
    channel = fields.String()
    holder_name = fields.String()
    holder_phone = fields.String(allow_none=True, metadata={"description": "masked unless the role needs it"})
    holder_id_number = fields.String(
        allow_none=True, metadata={"description": "masked unless the role needs it"}
    )
    holder_address = fields.String(allow_none=True)
    insured_name = fields.String()
    pays_on_death = fields.Boolean()
    premium_fen = fields.Integer()
    grace_end = fields.Date(allow_none=True)
    cooling_off_end = fields.Date(allow_none=True)
    salesperson_name = fields.String(allow_none=True)


class PersonRefSchema(Schema):
    id = fields.Integer()
    display_name = fields.String()
    username = fields.String()


class TaskSchema(Schema):
    id = fields.Integer()
    item = fields.String()
    source = fields.String()
    status = fields.String()
    questionnaire_code = fields.String()
    questionnaire_version_id = fields.Integer(allow_none=True)
    institution = fields.Dict()
    assignee = fields.Nested(PersonRefSchema, allow_none=True)
    due_date = fields.Date()
    due_rule = fields.String()
    overdue = fields.Boolean()
    review = fields.Dict(allow_none=True, metadata={"description": "the reviewer's return, when returned"})
    event_date = fields.Date(allow_none=True)
    amount_fen = fields.Integer(allow_none=True)
    paid_to_other = fields.Boolean()
    external_ref = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    policy = fields.Nested(PolicySummarySchema)


class TaskEventSchema(Schema):
    at = fields.AwareDateTime()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    actor = fields.Nested(PersonRefSchema, allow_none=True)
    data = fields.Dict()


class TaskDetailSchema(TaskSchema):
    events = fields.List(fields.Nested(TaskEventSchema))


class TaskListArgs(Schema):
    status = fields.List(fields.String(validate=validate.OneOf(STATUSES)))
    item = fields.String(validate=validate.OneOf(ITEMS))
    source = fields.String(validate=validate.OneOf(SOURCES))
    assignee_id = Id(query=True)
    unassigned = fields.Boolean()
    institution_id = Id(query=True)
    overdue = fields.Boolean()
    due_from = fields.Date()
    due_to = fields.Date()
    q = fields.String(
        validate=validate.Length(min=1, max=60), metadata={"description": "policy number or holder"}
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = fields.String(validate=validate.Length(max=100))


class TaskListSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema))
    next_cursor = fields.String(allow_none=True)


class AssignSchema(Schema):
    task_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=1000))
    assignee_id = Id(required=True)
    reason = fields.String(validate=validate.Length(max=200))


class AutoAssignSchema(Schema):
    task_ids = fields.List(Id(), validate=validate.Length(min=1, max=5000))


class AutoAssignResultSchema(Schema):
    assigned = fields.Dict(keys=fields.String(), values=fields.Integer())
    skipped = fields.Dict(keys=fields.String(), values=fields.String())


class RecontactSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(["phone_updated", "no_phone", "letter"]))
    phone = fields.String(validate=validate.Length(min=5, max=30))
    note = fields.String(validate=validate.Length(max=500))


class CancelSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class LoadRowSchema(Schema):
    user = fields.Nested(PersonRefSchema)
    institution_name = fields.String()
    institution_id = fields.Integer()
    open = fields.Integer()
    overdue = fields.Integer()
    due_soon = fields.Integer(
        allow_none=True,
        metadata={
            "description": "due within the next 5 working days; null while those days fall in a "
            "year whose holiday schedule is not entered"
        },
    )


class LoadSchema(Schema):
    items = fields.List(fields.Nested(LoadRowSchema))
