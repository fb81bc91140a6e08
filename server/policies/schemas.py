from marshmallow import Schema, fields, validate

from server.policies.facts import NEW_TYPE_PRODUCTS  # noqa: F401 - the vocabulary's home
from server.schemas import Id

PRODUCT_TYPES = ("traditional", "participating", "universal", "unit_linked")
CHANNELS = ("agency", "bank", "telemarketing", "broker", "internet", "direct")
FREQUENCIES = ("single", "annual", "semiannual", "quarterly", "monthly")
ID_TYPES = (
    "resident_id",
    "passport",
    "hk_macao_permit",
    "taiwan_permit",
    "foreign_permanent",
    "military",
    "uscc",
    "org",
    "other",
)
POLICY_NUMBER = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$", error="保单号格式不正确 / invalid policy number"
)
Fen = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=0, max=10**15), **kw)  # noqa: E731


class FeeItemSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(max=40))
    name = fields.String(required=True, validate=validate.Length(max=100))
    rate = fields.String(required=True, validate=validate.Length(max=100))
    amount_fen = Fen(allow_none=True)


class PolicyDetailsSchema(Schema):
    """R7 disclosures of new-type products, kept as the policy system sends them."""

    fee_items = fields.List(fields.Nested(FeeItemSchema), validate=validate.Length(max=20))
    first_premium_deduction_fen = Fen(allow_none=True)
    account_credit_fen = Fen(allow_none=True)
    accumulating = fields.Boolean()


class PolicyInSchema(Schema):
    """A policy snapshot from the policy system. Fields left out keep their stored value; a new
    policy needs product, type, channel, holder, insured and institution. Phones are normalised,
    resident ID numbers checked (GB 11643)."""

    product_code = fields.String(allow_none=True, validate=validate.Length(max=40))
    product_name = fields.String(validate=validate.Length(min=1, max=200))
    product_type = fields.String(validate=validate.OneOf(PRODUCT_TYPES))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    bank_name = fields.String(allow_none=True, validate=validate.Length(max=100))
    group_business = fields.Boolean()
    term_months = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=1200),
        metadata={"description": "null: whole life"},
    )
    holder_name = fields.String(validate=validate.Length(min=1, max=100))
    holder_id_type = fields.String(validate=validate.OneOf(ID_TYPES))
    holder_id_number = fields.String(allow_none=True, validate=validate.Length(max=32))
    holder_phone = fields.String(allow_none=True, validate=validate.Length(max=30))
    holder_address = fields.String(allow_none=True, validate=validate.Length(max=300))
    holder_address_lat = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    holder_address_lon = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    insured_name = fields.String(validate=validate.Length(min=1, max=100))
    insured_id_number = fields.String(allow_none=True, validate=validate.Length(max=32))
    insured_phone = fields.String(allow_none=True, validate=validate.Length(max=30))
    pays_on_death = fields.Boolean()
    premium_fen = Fen()
    payment_frequency = fields.String(validate=validate.OneOf(FREQUENCIES))
    payment_period_years = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=100)
    )
    sum_assured_fen = Fen(allow_none=True)
    effective_date = fields.Date(allow_none=True)
    delivery_date = fields.Date(allow_none=True)
    cooling_off_end = fields.Date(allow_none=True)
    premium_due_date = fields.Date(allow_none=True)
    grace_end = fields.Date(allow_none=True)
    lapse_date = fields.Date(allow_none=True)
    salesperson_code = fields.String(allow_none=True, validate=validate.Length(max=32))
    institution_code = fields.String(validate=validate.Length(min=1, max=32))
    details = fields.Nested(PolicyDetailsSchema)


class PolicyBatchItemSchema(PolicyInSchema):
    policy_number = fields.String(required=True, validate=POLICY_NUMBER)


class PolicyBatchSchema(Schema):
    policies = fields.List(
        fields.Nested(PolicyBatchItemSchema), required=True, validate=validate.Length(min=1, max=1000)
    )


class RegistryUpsertResultSchema(Schema):
    ids = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "number → id"})
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()


class PolicyUpsertResultSchema(Schema):
    id = fields.Integer()
    policy_number = fields.String()
    outcome = fields.String(metadata={"description": "created | updated | unchanged"})


class PolicyRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class PolicyChangeSchema(Schema):
    field = fields.String()
    old_value = fields.String(allow_none=True)
    new_value = fields.String(allow_none=True)
    source = fields.String()
    actor_id = fields.Integer(allow_none=True)
    at = fields.AwareDateTime()


class PolicySchema(Schema):
    """ID numbers and phones are masked (3701**********1234, 138****5678) unless the caller's role
    needs them (administrator, phone agent)."""

    id = fields.Integer()
    policy_number = fields.String()
    product_code = fields.String(allow_none=True)
    product_name = fields.String()
    product_type = fields.String()
    channel = fields.String()
    bank_name = fields.String(allow_none=True)
    group_business = fields.Boolean()
    term_months = fields.Integer(allow_none=True)
    holder_name = fields.String()
    holder_id_type = fields.String()
    holder_id_number = fields.String(allow_none=True)
    holder_phone = fields.String(allow_none=True)
    holder_address = fields.String(allow_none=True)
    holder_address_lat = fields.Float(allow_none=True)
    holder_address_lon = fields.Float(allow_none=True)
    insured_name = fields.String()
    insured_id_number = fields.String(allow_none=True)
    insured_phone = fields.String(allow_none=True)
    pays_on_death = fields.Boolean()
    premium_fen = fields.Integer()
    payment_frequency = fields.String()
    payment_period_years = fields.Integer(allow_none=True)
    sum_assured_fen = fields.Integer(allow_none=True)
    effective_date = fields.Date(allow_none=True)
    delivery_date = fields.Date(allow_none=True)
    cooling_off_end = fields.Date(allow_none=True)
    premium_due_date = fields.Date(allow_none=True)
    grace_end = fields.Date(allow_none=True)
    lapse_date = fields.Date(allow_none=True)
    salesperson = fields.Nested(PolicyRefSchema, allow_none=True)
    institution = fields.Nested(PolicyRefSchema)
    details = fields.Dict()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class PolicyDetailSchema(PolicySchema):
    history = fields.List(fields.Nested(PolicyChangeSchema))


class PolicyListArgs(Schema):
    q = fields.String(
        validate=validate.Length(max=100), metadata={"description": "policy number prefix or holder name"}
    )
    phone = fields.String(
        validate=validate.Length(max=30), metadata={"description": "holder or insured phone"}
    )
    institution_id = Id(query=True)
    product_type = fields.String(validate=validate.OneOf(PRODUCT_TYPES))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    salesperson_code = fields.String(validate=validate.Length(max=32))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(max=64))


class PolicyListSchema(Schema):
    items = fields.List(fields.Nested(PolicySchema))
    next_cursor = fields.String(allow_none=True)


class SalespersonInSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    phone = fields.String(allow_none=True, validate=validate.Length(max=30))
    institution_code = fields.String(validate=validate.Length(min=1, max=32))
    active = fields.Boolean()


class SalespersonBatchItemSchema(SalespersonInSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=32))


class SalespersonBatchSchema(Schema):
    salespersons = fields.List(
        fields.Nested(SalespersonBatchItemSchema), required=True, validate=validate.Length(min=1, max=1000)
    )


class SalespersonSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    phone = fields.String(allow_none=True)
    institution = fields.Nested(PolicyRefSchema)
    active = fields.Boolean()
    updated_at = fields.AwareDateTime()


class SalespersonListArgs(Schema):
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "code or part of the name"})
    phone = fields.String(validate=validate.Length(max=30))
    institution_id = Id(query=True)
    active = fields.Boolean()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(max=64))


class SalespersonListSchema(Schema):
    items = fields.List(fields.Nested(SalespersonSchema))
    next_cursor = fields.String(allow_none=True)
