from marshmallow import Schema, fields, validate

from server.schemas import Id
from server.stats.services import DIMENSIONS

MONTH = validate.Regexp(r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$", error="YYYY-MM")


def _month(description: str, **kwargs):
    return fields.String(
        validate=MONTH, metadata={"description": description, "example": "2026-11"}, **kwargs
    )


class PeriodArgs(Schema):
    institution_id = Id(query=True, metadata={"description": "drill-down: this institution's subtree"})
    month_from = _month("first month (Beijing time); default: eleven months before month_to")
    month_to = _month("last month; default: this month")


class OverviewArgs(PeriodArgs):
    by = fields.String(load_default="institution", validate=validate.OneOf(DIMENSIONS))


class ReportArgs(Schema):
    institution_id = Id(query=True)
    month = _month("the month reported; default: last month")


class FiguresSchema(Schema):
    tasks = fields.Integer()
    tasks_completed = fields.Integer()
    tasks_on_time = fields.Integer()
    tasks_overdue_open = fields.Integer()
    tasks_cancelled = fields.Integer()
    visits = fields.Integer()
    visits_completed = fields.Integer()
    visits_approved = fields.Integer()
    visits_returned = fields.Integer()
    visits_rejected = fields.Integer()
    callbacks = fields.Integer(metadata={"description": "confirming phone callbacks (R14) created"})
    callbacks_done = fields.Integer()
    callbacks_confirmed = fields.Integer()
    first_calls = fields.Integer(metadata={"description": "first phone callbacks (R11) created"})
    first_calls_done = fields.Integer()
    first_calls_reached = fields.Integer(metadata={"description": "first calls whose customer was reached"})
    first_calls_recontact = fields.Integer(
        metadata={"description": "first calls on the R12 re-confirmation list (every attempt spent)"}
    )
    cases_opened = fields.Integer()
    cases_resolved = fields.Integer()
    cases_open = fields.Integer()
    completion_rate = fields.Float(
        allow_none=True, metadata={"description": "completed / tasks not cancelled"}
    )
    on_time_rate = fields.Float(allow_none=True, metadata={"description": "on time / completed"})
    confirm_rate = fields.Float(allow_none=True, metadata={"description": "confirmed / callbacks done (R14)"})
    reach_rate = fields.Float(
        allow_none=True, metadata={"description": "first calls reached / (reached + sent to re-confirmation)"}
    )
    avg_days_to_close = fields.Float(allow_none=True)


class GroupSchema(FiguresSchema):
    key = fields.String(
        metadata={"description": "the dimension's value (an id, a code, YYYY-MM); '' for none"}
    )
    label = fields.String(allow_none=True)
    institution_id = fields.Integer(metadata={"description": "by institution: the child to drill into"})
    own_level = fields.Boolean(
        metadata={"description": "by institution: records of the chosen institution itself"}
    )
    drillable = fields.Boolean()


class StatsInstitutionSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    level = fields.String()


class StatsPeriodSchema(Schema):
    month_from = fields.String()
    month_to = fields.String()
    months = fields.List(fields.String())


class CategoryCountSchema(Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String()
    reportable = fields.Boolean()
    count = fields.Integer()


class AgeBucketSchema(Schema):
    bucket = fields.String(metadata={"description": "days since the task was created"})
    count = fields.Integer()


class BreakdownSchema(Schema):
    task_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    visit_outcome = fields.Dict(keys=fields.String(), values=fields.Integer())
    review_state = fields.Dict(keys=fields.String(), values=fields.Integer())
    callback_outcome = fields.Dict(keys=fields.String(), values=fields.Integer())
    case_category = fields.List(fields.Nested(CategoryCountSchema))
    open_task_age = fields.List(fields.Nested(AgeBucketSchema))


class OverviewSchema(Schema):
    period = fields.Nested(StatsPeriodSchema)
    institution = fields.Nested(StatsInstitutionSchema)
    breadcrumb = fields.List(fields.Nested(StatsInstitutionSchema))
    by = fields.String()
    totals = fields.Nested(FiguresSchema)
    breakdowns = fields.Nested(BreakdownSchema)
    groups = fields.List(fields.Nested(GroupSchema))


class CategorySeriesSchema(Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String()
    reportable = fields.Boolean()
    total = fields.Integer()
    counts = fields.List(fields.Integer(), metadata={"description": "one per month of the period"})


class ProblemTrendSchema(Schema):
    period = fields.Nested(StatsPeriodSchema)
    institution = fields.Nested(StatsInstitutionSchema)
    categories = fields.List(fields.Nested(CategorySeriesSchema))
