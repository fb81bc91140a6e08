from marshmallow import Schema, fields, validate

from server.schemas import Id

CODE = validate.Regexp(
    r"^[A-Za-z0-9_-]{1,32}$", error="代码只能包含字母、数字、下划线和连字符 / letters, digits, _ and - only"
)


class PathItemSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    level = fields.String()


class InstitutionSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    level = fields.String(metadata={"enum": ["province", "city", "county"]})
    parent_id = fields.Integer(allow_none=True)
    active = fields.Boolean()
    path = fields.List(fields.Integer(), attribute="path_ids")


class InstitutionListSchema(Schema):
    items = fields.List(fields.Nested(InstitutionSchema))


class InstitutionCreateSchema(Schema):
    parent_id = Id(required=True)
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class InstitutionUpdateSchema(Schema):
    code = fields.String(validate=CODE)
    name = fields.String(validate=validate.Length(min=1, max=100))
    active = fields.Boolean()
