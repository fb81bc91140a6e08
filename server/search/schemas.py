from datetime import date

from marshmallow import Schema, fields, validate

from server.callbacks.models import KINDS as CALLBACK_KINDS
from server.callbacks.models import OUTCOMES as CALLBACK_OUTCOMES
from server.callbacks.models import STATUSES as CALLBACK_STATUSES
from server.cases.models import KINDS as CASE_KINDS
from server.cases.models import SOURCES as CASE_SOURCES
from server.cases.models import STATUSES as CASE_STATUSES
from server.policies.facts import Channel, Item, ProductType, Source
from server.schemas import Id
from server.tasks.models import STATUSES as TASK_STATUSES
from server.visits.models import REVIEW_STATES, STATES
from sync.records import OUTCOMES as VISIT_OUTCOMES

ITEMS = list(Item.__args__)
SOURCES = list(Source.__args__)
PRODUCT_TYPES = list(ProductType.__args__)
CHANNELS = list(Channel.__args__)
# Dates outside these years are typing mistakes; bounding them keeps date arithmetic in range.
DAYS = validate.Range(min=date(1900, 1, 1), max=date(2199, 12, 31))
FORMATS = ("csv", "xlsx")


def _day(description: str):
    return fields.Date(validate=DAYS, metadata={"description": description})


class PersonArgs(Schema):
    """How a person or a policy is found; every kind has these."""

    q = fields.String(
        validate=validate.Length(min=1, max=60),
        metadata={"description": "any of: policy number (prefix), name (part), ID number, phone"},
    )
    policy_number = fields.String(validate=validate.Length(min=1, max=40), metadata={"description": "prefix"})
    name = fields.String(
        validate=validate.Length(min=1, max=50),
        metadata={"description": "part of the holder's or the insured's name"},
    )
    id_number = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "the holder's or the insured's ID number, exactly (looked up by its keyed hash)"
        },
    )
    phone = fields.String(
        validate=validate.Length(min=1, max=30),
        metadata={"description": "the holder's or the insured's phone"},
    )
    institution_id = Id(query=True, metadata={"description": "this institution and everything below it"})
    product_type = fields.String(validate=validate.OneOf(PRODUCT_TYPES))
    channel = fields.String(validate=validate.OneOf(CHANNELS))


class PageArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(min=1, max=200))


class PolicyFilters(PersonArgs):
    date_from = _day("effective on or after")
    date_to = _day("effective on or before")


class TaskFilters(PersonArgs):
    status = fields.List(fields.String(validate=validate.OneOf(TASK_STATUSES)))
    item = fields.String(validate=validate.OneOf(ITEMS))
    source = fields.String(validate=validate.OneOf(SOURCES))
    assignee_id = Id(query=True)
    overdue = fields.Boolean()
    date_from = _day("created on or after (Beijing date)")
    date_to = _day("created on or before (Beijing date)")
    due_from = _day("due on or after")
    due_to = _day("due on or before")


class VisitFilters(PersonArgs):
    outcome = fields.List(fields.String(validate=validate.OneOf(VISIT_OUTCOMES)))
    review_state = fields.List(fields.String(validate=validate.OneOf(REVIEW_STATES)))
    state = fields.String(validate=validate.OneOf(STATES))
    item = fields.String(validate=validate.OneOf(ITEMS))
    source = fields.String(validate=validate.OneOf(SOURCES))
    specialist_id = Id(query=True)
    task_id = Id(query=True)
    date_from = _day("received on or after (Beijing date)")
    date_to = _day("received on or before (Beijing date)")


class CaseFilters(PersonArgs):
    status = fields.List(fields.String(validate=validate.OneOf(CASE_STATUSES)))
    kind = fields.String(validate=validate.OneOf(CASE_KINDS))
    category = fields.String(validate=validate.Length(min=1, max=64))
    case_source = fields.String(validate=validate.OneOf(CASE_SOURCES))
    overdue = fields.Boolean()
    date_from = _day("opened on or after (Beijing date)")
    date_to = _day("opened on or before (Beijing date)")
    due_from = _day("due on or after")
    due_to = _day("due on or before")


class CallbackFilters(PersonArgs):
    kind = fields.String(
        validate=validate.OneOf(CALLBACK_KINDS),
        metadata={"description": "first_call (R11) or confirmation (R14)"},
    )
    status = fields.List(fields.String(validate=validate.OneOf(CALLBACK_STATUSES)))
    outcome = fields.List(fields.String(validate=validate.OneOf(CALLBACK_OUTCOMES)))
    item = fields.String(validate=validate.OneOf(ITEMS))
    source = fields.String(validate=validate.OneOf(SOURCES))
    agent_id = Id(query=True)
    date_from = _day("created on or after (Beijing date)")
    date_to = _day("created on or before (Beijing date)")
    due_from = _day("due on or after")
    due_to = _day("due on or before")


class ExportArgs(Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(FORMATS))
    lang = fields.String(
        load_default="zh", validate=validate.OneOf(["zh", "en"]), metadata={"description": "column headers"}
    )


FILTERS = {
    "policies": PolicyFilters,
    "tasks": TaskFilters,
    "visits": VisitFilters,
    "cases": CaseFilters,
    "callbacks": CallbackFilters,
}
PAGE_ARGS = {kind: type(f"{f.__name__[:-7]}SearchArgs", (f, PageArgs), {}) for kind, f in FILTERS.items()}
EXPORT_ARGS = {kind: type(f"{f.__name__[:-7]}ExportArgs", (f, ExportArgs), {}) for kind, f in FILTERS.items()}


# ---- results -----------------------------------------------------------------------------------


class SearchRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class SearchPolicyRefSchema(Schema):
    id = fields.Integer()
    policy_number = fields.String()
    product_name = fields.String()
    product_type = fields.String()
    channel = fields.String()
    holder_name = fields.String()
    holder_id_number = fields.String(
        allow_none=True, metadata={"description": "masked unless the role needs it"}
    )
    holder_phone = fields.String(allow_none=True, metadata={"description": "masked unless the role needs it"})
    insured_name = fields.String()


class PolicyResultSchema(SearchPolicyRefSchema):
    insured_id_number = fields.String(
        allow_none=True, metadata={"description": "masked unless the role needs it"}
    )
    insured_phone = fields.String(
        allow_none=True, metadata={"description": "masked unless the role needs it"}
    )
    effective_date = fields.Date(allow_none=True)
    premium_fen = fields.Integer()
    institution = fields.Nested(SearchRefSchema)


class TaskResultSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    item = fields.String()
    source = fields.String()
    due_date = fields.Date()
    overdue = fields.Boolean()
    created_at = fields.AwareDateTime()
    institution = fields.Nested(SearchRefSchema)
    assignee = fields.Nested(SearchRefSchema, allow_none=True)
    policy = fields.Nested(SearchPolicyRefSchema)


class VisitResultSchema(Schema):
    uuid = fields.String()
    task_id = fields.Integer()
    outcome = fields.String()
    state = fields.String()
    review_state = fields.String(allow_none=True)
    flags = fields.List(fields.String())
    item = fields.String()
    source = fields.String()
    started_at = fields.String(metadata={"description": "device time with its offset, as captured"})
    finished_at = fields.String()
    received_at = fields.AwareDateTime()
    submitted_at = fields.AwareDateTime(allow_none=True)
    institution = fields.Nested(SearchRefSchema)
    specialist = fields.Nested(SearchRefSchema)
    policy = fields.Nested(SearchPolicyRefSchema)


class CaseResultSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    category = fields.String()
    status = fields.String()
    source = fields.String()
    summary = fields.String()
    task_id = fields.Integer(allow_none=True)
    visit_uuid = fields.String(allow_none=True)
    due_date = fields.Date()
    overdue = fields.Boolean()
    created_at = fields.AwareDateTime()
    resolved_at = fields.AwareDateTime(allow_none=True)
    institution = fields.Nested(SearchRefSchema)
    owner = fields.Nested(SearchRefSchema, allow_none=True)
    policy = fields.Nested(SearchPolicyRefSchema)


class CallbackResultSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    outcome = fields.String(allow_none=True)
    attempts = fields.Integer()
    task_id = fields.Integer(allow_none=True, metadata={"description": "null for a first call"})
    visit_uuid = fields.String(allow_none=True)
    item = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    due_date = fields.Date()
    created_at = fields.AwareDateTime()
    completed_at = fields.AwareDateTime(allow_none=True)
    institution = fields.Nested(SearchRefSchema)
    agent = fields.Nested(SearchRefSchema, allow_none=True)
    policy = fields.Nested(SearchPolicyRefSchema)


def _page_schema(name: str, item: type[Schema]) -> type[Schema]:
    return type(
        name,
        (Schema,),
        {
            "items": fields.List(fields.Nested(item)),
            "next_cursor": fields.String(allow_none=True, metadata={"description": "null on the last page"}),
        },
    )


PAGES = {
    "policies": _page_schema("PolicySearchPage", PolicyResultSchema),
    "tasks": _page_schema("TaskSearchPage", TaskResultSchema),
    "visits": _page_schema("VisitSearchPage", VisitResultSchema),
    "cases": _page_schema("CaseSearchPage", CaseResultSchema),
    "callbacks": _page_schema("CallbackSearchPage", CallbackResultSchema),
}
