"""Intake of visit needs: JSON batches from the policy system, files from the console (R1, R4, R12–R15).

A file upload starts a dry run at once; the console shows its outcome and the administrator confirms
the import. Both run in a background thread; the batch row carries the progress, so the page may
ask any app server.
"""

from flask import Response, g, request, stream_with_context
from flask_smorest import Blueprint
from sqlalchemy import func, select

from server.auth.access import roles_required
from server.extensions import db
from server.intake import services
from server.intake.models import IntakeBatch, IntakeRowError
from server.intake.schemas import (
    IntakeBatchListArgs,
    IntakeBatchListSchema,
    IntakeBatchSchema,
    IntakeJsonBatchSchema,
    IntakeJsonResultSchema,
    IntakeRowErrorArgs,
    IntakeRowErrorListSchema,
    IntakeUploadArgs,
)
from server.schemas import ErrorSchema
from server.scoping import current_scope
from server.users.roles import ADMIN

blp = Blueprint(
    "intake", __name__, url_prefix="/api/v1/intake", description="回访需求导入 Intake of visit needs (R1, R4)"
)


def _batch(batch_id: int) -> IntakeBatch:
    return current_scope().get(IntakeBatch, batch_id, "导入批次", "intake batch")


@blp.route("/batches", methods=["POST"])
@blp.arguments(IntakeJsonBatchSchema)
@blp.response(201, IntakeJsonResultSchema)
@blp.alt_response(
    200, schema=IntakeJsonResultSchema, description="a dry run, or a replay of a known external_ref"
)
@blp.alt_response(409, schema=ErrorSchema, description="batch_ref_conflict")
@blp.alt_response(422, schema=ErrorSchema, description="intake_rejected: invalid rows, nothing written")
@roles_required(ADMIN)
def post_batch(args):
    """A batch of visit needs (at most 5000 rows), all or nothing, idempotent by external_ref."""
    body, status = services.import_json(current_scope(), g.user, args)
    return body, status


@blp.route("/files", methods=["POST"])
@blp.arguments(IntakeUploadArgs, location="query")
@blp.doc(
    requestBody={
        "required": True,
        "description": "the file's bytes: CSV (UTF-8, UTF-8 with BOM, GBK, GB18030) or XLSX",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
)
@blp.response(202, IntakeBatchSchema)
@blp.alt_response(403, schema=ErrorSchema, description="out_of_scope")
@blp.alt_response(413, schema=ErrorSchema, description="larger than HUIFANG_MAX_UPLOAD_LENGTH: use the CLI")
@roles_required(ADMIN)
def upload_file(args):
    """Upload a CSV or XLSX file as the request body; its dry run starts at once. Poll the batch for
    progress. Files larger than HUIFANG_MAX_UPLOAD_LENGTH go through the CLI (import-file)."""
    batch = services.upload(
        current_scope(), g.user, request.stream, args["filename"], args.get("institution_code")
    )
    return services.batch_state(batch)


@blp.route("/batches", methods=["GET"])
@blp.arguments(IntakeBatchListArgs, location="query")
@blp.response(200, IntakeBatchListSchema)
@roles_required(ADMIN)
def list_batches(args):
    """Past batches of the caller's subtree, newest first."""
    items, next_cursor = services.list_batches(current_scope(), args)
    return {"items": [services.batch_state(b) for b in items], "next_cursor": next_cursor}


@blp.route("/batches/<int:batch_id>", methods=["GET"])
@blp.response(200, IntakeBatchSchema)
@blp.alt_response(404, schema=ErrorSchema)
@roles_required(ADMIN)
def get_batch(batch_id):
    """A batch with its progress (0–1), counts per outcome and the first rows' outcomes."""
    return services.batch_state(_batch(batch_id))


@blp.route("/batches/<int:batch_id>/confirm", methods=["POST"])
@blp.response(202, IntakeBatchSchema)
@blp.alt_response(409, schema=ErrorSchema, description="batch_not_checked, batch_has_errors, batch_running")
@roles_required(ADMIN)
def confirm_batch(batch_id):
    """Import a file whose dry run found no errors: all rows or none."""
    return services.batch_state(services.confirm(current_scope(), g.user, batch_id))


@blp.route("/batches/<int:batch_id>/errors", methods=["GET"])
@blp.arguments(IntakeRowErrorArgs, location="query")
@blp.response(200, IntakeRowErrorListSchema)
@roles_required(ADMIN)
def list_errors(args, batch_id):
    batch = _batch(batch_id)
    total = db.session.scalar(select(func.count()).where(IntakeRowError.batch_id == batch.id))
    return {
        "items": list(services.row_errors(batch, offset=args["offset"], limit=args["limit"])),
        "total": total,
    }


@blp.route("/batches/<int:batch_id>/errors.csv", methods=["GET"])
@blp.response(200, content_type="text/csv")
@roles_required(ADMIN)
def errors_csv(batch_id):
    """The error report: row, column, value, reason (中文 and English); UTF-8 with BOM for Excel."""
    batch = _batch(batch_id)
    return Response(
        stream_with_context(services.report_csv(batch)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="intake-{batch.id}-errors.csv"'},
    )


@blp.route("/batches/<int:batch_id>/errors.xlsx", methods=["GET"])
@blp.response(200, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
@roles_required(ADMIN)
def errors_xlsx(batch_id):
    batch = _batch(batch_id)
    return Response(
        services.report_xlsx(batch),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="intake-{batch.id}-errors.xlsx"'},
    )
