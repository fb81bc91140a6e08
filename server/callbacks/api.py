from flask import Response, g, request
from flask_smorest import Blueprint
from sqlalchemy import select

from server.auth.access import roles_required
from server.callbacks import first_calls, services
from server.callbacks.models import PhoneCallback
from server.callbacks.schemas import (
    AttemptSchema,
    CallbackListArgs,
    CallbackListSchema,
    CallbackRecontactSchema,
    CallbackSchema,
    ExternalOutcomeSchema,
    FirstCallsResultSchema,
    FirstCallsSchema,
    NextCallSchema,
)
from server.errors import HuifangError
from server.extensions import db
from server.outbox.inbound import respond_once, signed_inbound
from server.schemas import ErrorSchema
from server.scoping import current_scope
from server.tasks.services import today
from server.users.roles import ADMIN, COMPLIANCE_OFFICER, PHONE_AGENT, REVIEWER, SUPERVISOR

blp = Blueprint(
    "callbacks", __name__, url_prefix="/api/v1/callbacks", description="电话回访 Phone callbacks (R14)"
)
AGENTS = (PHONE_AGENT, ADMIN)
READERS = (PHONE_AGENT, SUPERVISOR, REVIEWER, COMPLIANCE_OFFICER, ADMIN)
MAX_RECORDING_BYTES = 50 * 1024 * 1024
# Audio containers by their first bytes: the declared type is not trusted.
AUDIO_MAGIC = (
    (b"RIFF", "audio/wav"),
    (b"ID3", "audio/mpeg"),
    (b"\xff\xfb", "audio/mpeg"),
    (b"\xff\xf3", "audio/mpeg"),
    (b"\xff\xf2", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
    (b"fLaC", "audio/flac"),
    (b"#!AMR", "audio/amr"),
)


@blp.route("", methods=["GET"])
@blp.arguments(CallbackListArgs, location="query")
@blp.response(200, CallbackListSchema)
@roles_required(*READERS)
def list_callbacks(args):
    """Callbacks of the caller's subtree, the earliest due first."""
    stmt = current_scope().filter(select(PhoneCallback), PhoneCallback)
    for key in ("kind", "status", "outcome", "visit_uuid"):
        if key in args:
            stmt = stmt.where(getattr(PhoneCallback, key) == args[key])
    if args.get("mine"):
        stmt = stmt.where(PhoneCallback.agent_id == g.user.id)
    if args.get("overdue"):
        stmt = stmt.where(PhoneCallback.status == "pending", PhoneCallback.due_date < today())
    if "cursor" in args:
        stmt = stmt.where(PhoneCallback.id > args["cursor"])
    rows = list(db.session.scalars(stmt.order_by(PhoneCallback.id).limit(args["limit"] + 1)))
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    return {"items": [services.view(c, g.user) for c in rows], "next_cursor": rows[-1].id if more else None}


@blp.route("/next", methods=["POST"])
@blp.response(200, NextCallSchema)
@roles_required(*AGENTS)
def next_call():
    """Take the next call: the one you hold, else the earliest due that nobody holds (null: none)."""
    callback = services.next_call(current_scope(), g.user)
    return {"callback": services.view(callback, g.user, full=True) if callback else None}


@blp.route("/first-calls", methods=["POST"])
@blp.arguments(FirstCallsSchema)
@blp.response(200, FirstCallsResultSchema)
@blp.alt_response(409, schema=ErrorSchema)
@roles_required(SUPERVISOR, ADMIN)
def create_first_calls(args):
    """R11 phone first: first calls for in-scope items, with R8 due dates; idempotent by external_ref."""
    calls, created = first_calls.create_first_calls(current_scope(), g.user, args["items"])
    db.session.commit()
    return {"created": created, "items": [services.view(c, g.user) for c in calls]}


@blp.route("/<int:callback_id>/recontact", methods=["POST"])
@blp.arguments(CallbackRecontactSchema)
@blp.response(200, CallbackSchema)
@blp.alt_response(409, schema=ErrorSchema)
@roles_required(SUPERVISOR, ADMIN)
def recontact(args, callback_id):
    """R12: a re-confirmed phone brings a first call on the re-confirmation list back to the queue."""
    callback = first_calls.recontact(current_scope(), g.user, callback_id, args["phone"])
    return services.view(callback, g.user, full=True)


@blp.route("/<int:callback_id>", methods=["GET"])
@blp.response(200, CallbackSchema)
@blp.alt_response(404, schema=ErrorSchema)
@roles_required(*READERS)
def get_callback(callback_id):
    """One callback with its script (the policy's facts filled in), attempts and cases."""
    return services.view(services.get(current_scope(), callback_id), g.user, full=True)


@blp.route("/<int:callback_id>/attempts", methods=["POST"])
@blp.arguments(AttemptSchema)
@blp.response(200, CallbackSchema)
@blp.alt_response(409, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
@roles_required(*AGENTS)
def record_attempt(args, callback_id):
    """Record a call: not reached (retried on a later working day; after the last, a letter) or
    reached with the answers; every outcome but confirmed opens its follow-up."""
    callback = services.record_attempt(current_scope(), g.user, callback_id, args)
    return services.view(callback, g.user, full=True)


@blp.route("/<int:callback_id>/recording", methods=["PUT"])
@blp.response(200, CallbackSchema)
@blp.alt_response(422, schema=ErrorSchema)
@blp.doc(
    requestBody={"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
)
@roles_required(*AGENTS)
def put_recording(callback_id):
    """Attach the call's recording (WAV, MP3, OGG, FLAC or AMR, judged by content; at most 50 MB)."""
    data = request.get_data(cache=False)
    if not data:
        raise HuifangError("recording_empty", "录音文件为空", "The recording is empty", 422)
    if len(data) > MAX_RECORDING_BYTES:
        raise HuifangError("recording_too_large", "录音文件超过 50 MB", "The recording is over 50 MB", 413)
    mime = next((m for magic, m in AUDIO_MAGIC if data.startswith(magic)), None)
    if mime is None:
        raise HuifangError(
            "recording_type",
            "不是可识别的录音文件（WAV、MP3、OGG、FLAC、AMR）",
            "Not a recognised audio file (WAV, MP3, OGG, FLAC, AMR)",
            422,
        )
    callback = services.attach_recording(current_scope(), g.user, callback_id, data, mime)
    return services.view(callback, g.user, full=True)


@blp.route("/<int:callback_id>/recording", methods=["GET"])
@blp.doc(responses={"200": {"description": "the recording's bytes"}})
@roles_required(*READERS)
def get_recording(callback_id):
    """The call's recording (listening is audited)."""
    data, mime = services.recording(current_scope(), g.user, callback_id)
    return Response(data, mimetype=mime, headers={"Cache-Control": "private, max-age=3600"})


@blp.route("/outcomes", methods=["POST"])
@signed_inbound
@blp.arguments(ExternalOutcomeSchema)
@blp.response(200, CallbackSchema)
@blp.alt_response(409, schema=ErrorSchema)
def external_outcome(args):
    """For the call centre: a call's result, signed like our webhooks (HMAC-SHA256 over
    ``timestamp.body``; headers X-Huifang-Timestamp, X-Huifang-Signature and X-Huifang-Event-Id, the
    same as the body's ``id``). Idempotent by that id: the same event again gets the first answer;
    the same id with another body is 409 ``event_id_reused``."""

    def apply() -> tuple[dict, int]:
        view, status = services.external_outcome(args)
        return CallbackSchema().dump(view), status  # JSON-ready: stored as the answer to replays

    return respond_once("call_centre", apply)
