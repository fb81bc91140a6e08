from marshmallow import Schema, fields, validate

from server.risk.models import KINDS, STATUSES


class AlertPolicySchema(Schema):
    id = fields.Integer()
    policy_number = fields.String()
    holder_name = fields.String()
    holder_id_number = fields.String(allow_none=True)
    institution_name = fields.String()
    salesperson_name = fields.String(allow_none=True)


class RiskAlertSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(KINDS)})
    phone = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    resolution = fields.String(allow_none=True)
    salesperson = fields.Dict(allow_none=True)
    institution = fields.Dict()
    policy_count = fields.Integer()
    policies = fields.List(fields.Nested(AlertPolicySchema))
    created_at = fields.AwareDateTime()
    resolved_at = fields.AwareDateTime(allow_none=True)


class RiskAlertListArgs(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    kind = fields.String(validate=validate.OneOf(KINDS))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))  # risk_alert.id is an integer


class RiskAlertListSchema(Schema):
    items = fields.List(fields.Nested(RiskAlertSchema))
    next_cursor = fields.Integer(allow_none=True)


class RiskAlertUpdateSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["investigating", "resolved", "dismissed"]))
    resolution = fields.String(validate=validate.Length(max=500))
