from marshmallow import Schema, fields, validate

from server.users.schemas import MeSchema


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    device_id = fields.UUID(required=True, metadata={"description": "made once by the client and kept"})
    device_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    client = fields.String(load_default="console", validate=validate.OneOf(["field", "console"]))


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    device_id = fields.UUID(required=True)


class LogoutSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    refresh_token = fields.String()
    refresh_expires_in = fields.Integer()
    user = fields.Nested(MeSchema)
