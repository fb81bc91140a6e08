from flask import g, request
from flask_smorest import Blueprint

from server.auth.access import roles_required
from server.schemas import ErrorSchema
from server.sync import services
from server.sync.schemas import (
    ChunkArgs,
    MediaStateSchema,
    PullArgs,
    PullSchema,
    PushAnswerSchema,
    PushSchema,
    StatusAnswerSchema,
    StatusQuerySchema,
    visit_record_schema,
)
from server.users.roles import SPECIALIST

blp = Blueprint("sync", __name__, url_prefix="/api/v1/sync", description="离线同步 Offline sync")


def _media_view(state):
    return {"sha256": state.sha256, "state": state.state, "offset": state.offset, "total": state.total}


@blp.route("/schema", methods=["GET"])
@blp.doc(
    responses={
        "200": {
            "description": "the JSON Schema (draft 2020-12) of a visit record",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    }
)
def record_schema():
    """The JSON Schema of a visit record (what push accepts)."""
    return visit_record_schema()


@blp.route("/pull", methods=["GET"])
@blp.arguments(PullArgs, location="query")
@blp.response(200, PullSchema)
def pull(args):
    """What changed for the caller since the cursor, in order, a page at a time.

    Tasks carry their current state and policy facts; tasks taken away come as tombstones.
    Continue with next_cursor while more is true.
    """
    return services.pull(g.user, args["cursor"], args["limit"])


@blp.route("/push", methods=["POST"])
@blp.arguments(PushSchema)
@blp.response(200, PushAnswerSchema)
@roles_required(SPECIALIST)
def push(args):
    """Store finished visits: each answered accepted / duplicate / conflict / rejected, with the media
    the server still lacks. Idempotent by UUID and hash.

    ``results`` are in the order of ``visits``, one for each, always; a record too broken to carry a
    UUID is answered ``rejected`` with ``uuid: null`` in its place.
    """
    return services.push(g.user, g.device, args["visits"])


@blp.route("/status", methods=["POST"])
@blp.arguments(StatusQuerySchema)
@blp.response(200, StatusAnswerSchema)
@roles_required(SPECIALIST)
def visit_status(args):
    """Where the caller's visits stand (after uploading media: are they whole now?) without pushing
    the records again."""
    return {"visits": services.status(g.user, args["uuids"])}


@blp.route("/media/<string:sha256>", methods=["GET"])
@blp.response(200, MediaStateSchema)
@roles_required(SPECIALIST)
def media_state(sha256):
    """Where the upload of this blob stands: missing, partial at an offset, or complete."""
    return _media_view(services.media_state(sha256))


@blp.route("/media/<string:sha256>", methods=["PUT"])
@blp.arguments(ChunkArgs, location="query")
@blp.response(200, MediaStateSchema)
@blp.alt_response(409, schema=ErrorSchema, description="offset_mismatch: details.offset is where to resume")
@blp.alt_response(422, schema=ErrorSchema, description="chunk_past_end, hash_mismatch, ...")
@blp.doc(
    requestBody={"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
)
@roles_required(SPECIALIST)
def upload_chunk(args, sha256):
    """Append the body at ``offset`` of a blob of ``total`` bytes; the last chunk verifies the SHA-256."""
    state = services.upload_chunk(
        g.user, sha256, args["offset"], args["total"], request.get_data(cache=False)
    )
    return _media_view(state)
