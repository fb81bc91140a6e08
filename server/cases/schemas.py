from marshmallow import Schema, fields, validate

from server.cases.models import FINDINGS, KINDS, SOURCES, STATUSES

ID = validate.Range(min=1, max=2**31 - 1)


class CaseEventSchema(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    actor = fields.Dict(allow_none=True)
    action = fields.String()
    note = fields.String(allow_none=True)
    data = fields.Dict()


class CaseSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(KINDS)})
    category = fields.String()
    category_name = fields.String(allow_none=True)
    category_name_en = fields.String(allow_none=True)
    summary = fields.String()
    source = fields.String(metadata={"enum": list(SOURCES)})
    status = fields.String(metadata={"enum": list(STATUSES)})
    overdue = fields.Boolean()
    policy = fields.Dict()
    task_id = fields.Integer(allow_none=True)
    visit_uuid = fields.String(allow_none=True)
    callback_id = fields.Integer(allow_none=True)
    letter_id = fields.Integer(allow_none=True)
    question_id = fields.String(allow_none=True)
    followup_task_id = fields.Integer(allow_none=True)
    salesperson = fields.Dict(allow_none=True)
    institution = fields.Dict()
    owner = fields.Dict(allow_none=True)
    due_date = fields.Date()
    referred_sales_at = fields.AwareDateTime(allow_none=True)
    referred_compliance_at = fields.AwareDateTime(allow_none=True)
    finding = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    resolved_at = fields.AwareDateTime(allow_none=True)
    events = fields.List(fields.Nested(CaseEventSchema))


class CaseListArgs(Schema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    open = fields.Boolean(metadata={"description": "only cases not yet resolved"})
    category = fields.String(validate=validate.Length(min=1, max=64))
    owner_id = fields.Integer(validate=ID)
    salesperson_id = fields.Integer(validate=ID)
    policy_id = fields.Integer(validate=ID)
    visit_uuid = fields.String(validate=validate.Length(min=1, max=36))
    overdue = fields.Boolean(metadata={"description": "only open cases past their due date"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.Integer(validate=ID)


class CaseListSchema(Schema):
    items = fields.List(fields.Nested(CaseSchema))
    next_cursor = fields.Integer(allow_none=True)


class CaseCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["problem", "compliance"]))
    category = fields.String(required=True, validate=validate.Length(min=1, max=64))
    policy_number = fields.String(required=True, validate=validate.Length(min=1, max=40))
    summary = fields.String(required=True, validate=validate.Length(min=1, max=500))


class CaseUpdateSchema(Schema):
    owner_id = fields.Integer(allow_none=True, validate=ID)
    due_date = fields.Date()
    note = fields.String(validate=validate.Length(min=1, max=1000))


class CaseResolveSchema(Schema):
    resolution = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    finding = fields.String(validate=validate.OneOf(FINDINGS))
