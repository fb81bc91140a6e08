from flask import Response, g
from flask_smorest import Blueprint

from server.schemas import ErrorSchema
from server.scoping import current_scope
from server.visits import services
from server.visits.schemas import VisitDetailSchema, VisitListArgs, VisitListSchema

blp = Blueprint("visits", __name__, url_prefix="/api/v1/visits", description="回收的面访 Received visits")


@blp.route("", methods=["GET"])
@blp.arguments(VisitListArgs, location="query")
@blp.response(200, VisitListSchema)
def list_visits(args):
    """Visits received from tablets in the caller's subtree (a specialist: their own), newest first."""
    rows, cursor = services.list_visits(current_scope(), g.user, args)
    return {"items": services.summaries(rows), "next_cursor": cursor}


@blp.route("/<string:uuid>", methods=["GET"])
@blp.response(200, VisitDetailSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_visit(uuid):
    """One visit: the record as sent, flags, the task and policy, the questionnaire version, media."""
    return services.detail(services.get_visit(current_scope(), g.user, uuid), g.user)


@blp.route("/<string:uuid>/media/<string:sha256>", methods=["GET"])
@blp.doc(responses={"200": {"description": "the file's bytes"}})
def media(uuid, sha256):
    """A photo, a signature's strokes or the tablet's render of it (viewing is audited)."""
    data, mime = services.media_bytes(services.get_visit(current_scope(), g.user, uuid), sha256, g.user)
    response = Response(data, mimetype=mime)
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"  # content-addressed
    return response


@blp.route("/<string:uuid>/signatures/<string:signer>.png", methods=["GET"])
@blp.doc(responses={"200": {"description": "PNG rendered by the server from the strokes"}})
def signature(uuid, signer):
    """The signer's signature rendered by the server from the captured strokes (same strokes, same bytes)."""
    png, strokes_sha = services.signature_png(
        services.get_visit(current_scope(), g.user, uuid), signer, g.user
    )
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["ETag"] = f'"{strokes_sha}"'
    return response
