from marshmallow import Schema, fields, validate

from server.institutions.schemas import PathItemSchema
from server.schemas import Id
from server.users.roles import ROLES

USERNAME = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$",
    error="用户名为 3–64 位字母、数字或 . _ - / 3-64 letters, digits, . _ or -",
)
PHONE = validate.Regexp(r"^\+?[0-9][0-9 -]{4,19}$", error="电话号码格式不正确 / not a phone number")
ROLE = validate.OneOf(list(ROLES))


class InstitutionRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    level = fields.String()


class MeInstitutionSchema(InstitutionRefSchema):
    path = fields.List(fields.Nested(PathItemSchema), attribute="ancestry")


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    phone = fields.String(allow_none=True)
    institution = fields.Nested(InstitutionRefSchema)
    roles = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.AwareDateTime()


class MeSchema(UserSchema):
    institution = fields.Nested(MeInstitutionSchema)


class UserListArgs(Schema):
    q = fields.String(validate=validate.Length(max=100))
    institution_id = Id(query=True)
    role = fields.String(validate=ROLE)
    active = fields.Boolean()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(max=64))


class UserListSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))
    next_cursor = fields.String(allow_none=True)


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=USERNAME)
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    phone = fields.String(allow_none=True, validate=PHONE)
    institution_id = Id(required=True)
    roles = fields.List(fields.String(validate=ROLE), required=True, validate=validate.Length(max=len(ROLES)))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))


class UserUpdateSchema(Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=100))
    phone = fields.String(allow_none=True, validate=PHONE)
    institution_id = Id()
    roles = fields.List(fields.String(validate=ROLE), validate=validate.Length(max=len(ROLES)))
    active = fields.Boolean()


class PasswordSchema(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))


class RoleSchema(Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String()


class RoleListSchema(Schema):
    items = fields.List(fields.Nested(RoleSchema))
