from marshmallow import Schema, fields, validate

from server.schemas import Id


class DeviceUserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    institution_id = fields.Integer()
    institution_name = fields.String(attribute="institution.name")


class DeviceSchema(Schema):
    id = fields.Integer()
    name = fields.String(
        allow_none=True, metadata={"description": "what the client called itself, from its user agent"}
    )
    client = fields.String(metadata={"enum": ["field", "console"]})
    user = fields.Nested(DeviceUserSchema)
    first_seen_at = fields.AwareDateTime(attribute="created_at", metadata={"description": "first sign-in"})
    last_seen_at = fields.AwareDateTime(metadata={"description": "last sign-in or token refresh"})
    last_sync_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "when the last visit pushed from this device arrived"}
    )
    revoked_at = fields.AwareDateTime(allow_none=True)
    revoked_reason = fields.String(allow_none=True)
    current = fields.Boolean(metadata={"description": "the device this request comes from"})
    revoked_by = fields.String(
        allow_none=True, metadata={"description": "the display name of who revoked it"}
    )


class DeviceListArgs(Schema):
    q = fields.String(
        validate=validate.Length(max=100), metadata={"description": "username, name or device name"}
    )
    user_id = Id(query=True)
    institution_id = Id(query=True, metadata={"description": "this institution's subtree"})
    client = fields.String(validate=validate.OneOf(["field", "console"]))
    revoked = fields.Boolean()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(max=64))


class DeviceListSchema(Schema):
    items = fields.List(fields.Nested(DeviceSchema))
    next_cursor = fields.String(allow_none=True)


class RevokeSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "why (lost, stolen, left the company); kept in the audit log"},
    )
