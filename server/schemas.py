"""Schema pieces shared by every domain."""

from marshmallow import Schema, fields, validate


class ErrorSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True, metadata={"description": "中文说明"})
    message_en = fields.String(required=True)
    details = fields.Dict(required=True)


def Id(*, query: bool = False, **kwargs):
    """Positive integer ids. In JSON bodies strict: no 2.6e-42 taken as 0, no "12" strings.

    In query strings every value is text, so the text must parse as an integer ("1.5" does not).
    """
    return fields.Integer(strict=not query, validate=validate.Range(min=1, max=2**31 - 1), **kwargs)
