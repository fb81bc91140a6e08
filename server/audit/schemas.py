from marshmallow import Schema, fields, validate

from server.schemas import Id


class AuditEventListArgs(Schema):
    action = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        validate=validate.Length(max=20),
        metadata={"description": "one or several action codes (repeat the parameter)"},
    )
    actor = fields.String(
        validate=validate.Length(min=1, max=64), metadata={"description": "a user id or a username"}
    )
    target_type = fields.String(validate=validate.Length(min=1, max=32))
    target_id = fields.String(validate=validate.Length(min=1, max=64))
    institution_id = Id(query=True, metadata={"description": "this institution and its subtree"})
    at_from = fields.AwareDateTime(metadata={"description": "inclusive"})
    at_to = fields.AwareDateTime(metadata={"description": "exclusive"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = Id(query=True, metadata={"description": "next_cursor of the previous page"})


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    action = fields.String()
    actor = fields.Dict(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    target_type = fields.String(allow_none=True)
    target_id = fields.String(allow_none=True)
    institution = fields.Dict(allow_none=True)
    request_id = fields.String(allow_none=True)
    remote_addr = fields.String(allow_none=True)
    data = fields.Dict()


class AuditEventListSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema))
    next_cursor = fields.Integer(allow_none=True)
