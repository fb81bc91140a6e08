from flask_smorest import Blueprint

from server.auth.access import roles_required
from server.institutions import services
from server.institutions.schemas import (
    InstitutionCreateSchema,
    InstitutionListSchema,
    InstitutionSchema,
    InstitutionUpdateSchema,
)
from server.schemas import ErrorSchema
from server.scoping import current_scope
from server.users.roles import ADMIN

blp = Blueprint(
    "institutions", __name__, url_prefix="/api/v1/institutions", description="机构 Institutions (R2)"
)


@blp.route("", methods=["GET"])
@blp.response(200, InstitutionListSchema)
def list_institutions():
    """The caller's institution and everything below it, parents before children."""
    return {"items": services.list_subtree(current_scope())}


@blp.route("", methods=["POST"])
@blp.arguments(InstitutionCreateSchema)
@blp.response(201, InstitutionSchema)
@blp.alt_response(409, schema=ErrorSchema, description="institution_code_taken")
@blp.alt_response(422, schema=ErrorSchema, description="institution_level_invalid")
@roles_required(ADMIN)
def create_institution(args):
    """Add a city under the province or a county under a city."""
    return services.create_child(current_scope(), args["parent_id"], args["code"], args["name"])


@blp.route("/<int:institution_id>", methods=["PATCH"])
@blp.arguments(InstitutionUpdateSchema)
@blp.response(200, InstitutionSchema)
@blp.alt_response(404, schema=ErrorSchema)
@roles_required(ADMIN)
def update_institution(args, institution_id):
    """Rename, recode, deactivate or reactivate an institution."""
    return services.update(current_scope(), institution_id, args)
