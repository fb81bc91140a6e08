from marshmallow import Schema, fields, validate


class CalendarDaySchema(Schema):
    date = fields.Date(required=True)
    is_workday = fields.Boolean(required=True)
    name = fields.String(allow_none=True, validate=validate.Length(max=50))
    origin = fields.String(dump_only=True, metadata={"enum": ["package", "override"]})


class CalendarYearSchema(Schema):
    year = fields.Integer()
    known = fields.Boolean()
    source = fields.String(allow_none=True, metadata={"enum": ["chinesecalendar", "administrator"]})
    note = fields.String(allow_none=True, metadata={"description": "the notice an administrator entered"})
    days = fields.List(fields.Nested(CalendarDaySchema))


class DayUpdateSchema(Schema):
    is_workday = fields.Boolean(required=True)
    name = fields.String(allow_none=True, validate=validate.Length(max=50))


class YearEntrySchema(Schema):
    source = fields.String(required=True, validate=validate.Length(min=1, max=200))
    days = fields.List(fields.Nested(CalendarDaySchema), required=True, validate=validate.Length(max=120))


class WorkdayQuerySchema(Schema):
    start = fields.Date(required=True)
    days = fields.Integer(required=True, validate=validate.Range(min=-400, max=400))


class WorkdayAnswerSchema(Schema):
    start = fields.Date()
    days = fields.Integer()
    result = fields.Date()
