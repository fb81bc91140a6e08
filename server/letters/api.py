"""Letter callbacks (R13): issue, print, mail, receive the signed paper, verify or reject."""

from flask import Response, g
from flask_smorest import Blueprint

from server.auth.access import roles_required
from server.letters import services
from server.letters.models import REJECT_REASONS
from server.letters.schemas import (
    LetterCancelSchema,
    LetterCreateSchema,
    LetterDecisionSchema,
    LetterListArgs,
    LetterListSchema,
    LetterMailingSchema,
    LetterReasonListSchema,
    LetterScanUploadSchema,
    LetterSchema,
)
from server.schemas import ErrorSchema
from server.scoping import current_scope
from server.users.roles import ADMIN, COMPLIANCE_OFFICER, PHONE_AGENT, REVIEWER, SUPERVISOR

blp = Blueprint(
    "letters", __name__, url_prefix="/api/v1/letters", description="信函回访 Letter callbacks (R13)"
)
READERS = (SUPERVISOR, REVIEWER, PHONE_AGENT, ADMIN, COMPLIANCE_OFFICER)
# The callback department issues and mails letters; the signed paper is received by it or a reviewer.
ISSUERS = (SUPERVISOR, PHONE_AGENT, ADMIN)
RECEIVERS = (SUPERVISOR, PHONE_AGENT, REVIEWER, ADMIN)
DECIDERS = (REVIEWER, ADMIN)
CANCELLERS = (SUPERVISOR, ADMIN)
SCAN_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


@blp.route("", methods=["POST"])
@blp.arguments(LetterCreateSchema)
@blp.response(201, LetterSchema)
@blp.alt_response(200, schema=LetterSchema, description="the task already has an open letter: that one")
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="task_closed, task_in_review")
@roles_required(*ISSUERS)
def create_letter(args):
    """Turn a task into a letter callback: the questionnaire goes by post (R13)."""
    letter, created = services.create(current_scope(), g.user, args["task_id"], args["reason"])
    return services.view(letter, full=True), 201 if created else 200


@blp.route("", methods=["GET"])
@blp.arguments(LetterListArgs, location="query")
@blp.response(200, LetterListSchema)
@roles_required(*READERS)
def list_letters(args):
    """Letters of the caller's subtree, newest first."""
    rows, cursor = services.list_letters(current_scope(), args)
    return {"items": [services.view(letter) for letter in rows], "next_cursor": cursor}


@blp.route("/reasons", methods=["GET"])
@blp.response(200, LetterReasonListSchema)
@roles_required(*READERS)
def reasons():
    """The reasons a reviewer can give for rejecting a returned letter."""
    return {"items": [{"code": c, "text": zh, "text_en": en} for c, (zh, en) in REJECT_REASONS.items()]}


@blp.route("/by-code/<string:code>", methods=["GET"])
@blp.response(200, LetterSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema, description="letter_code_invalid: mistyped (check character)")
@roles_required(*READERS)
def by_code(code):
    """The letter a returned paper belongs to, from the code printed on it."""
    return services.view(services.by_code(current_scope(), code), full=True)


@blp.route("/<int:letter_id>", methods=["GET"])
@blp.response(200, LetterSchema)
@blp.alt_response(404, schema=ErrorSchema)
@roles_required(*READERS)
def get_letter(letter_id):
    """One letter with its history and the cases it opened."""
    return services.view(services.get(current_scope(), letter_id), full=True)


@blp.route("/<int:letter_id>/letter.pdf", methods=["GET"])
@blp.doc(
    responses={
        "200": {"description": "the printable letter (PDF, Chinese)", "content": {"application/pdf": {}}}
    }
)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="questionnaire_not_published")
@roles_required(*READERS)
def letter_pdf(letter_id):
    """The letter to print: cover text, every question with tick boxes, the signature block and the
    code in text and as a QR code on every page. Each print is audited."""
    data, letter = services.print_letter(current_scope(), g.user, letter_id)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="letter-{letter.code}.pdf"'
    return response


@blp.route("/<int:letter_id>/mailing", methods=["POST"])
@blp.arguments(LetterMailingSchema)
@blp.response(200, LetterSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="letter_already_returned, letter_closed")
@roles_required(*ISSUERS)
def record_mailing(args, letter_id):
    """The letter went out: when, with which carrier, the tracking number (correctable while out)."""
    return services.view(services.record_mailing(current_scope(), g.user, letter_id, args), full=True)


@blp.route("/<int:letter_id>/scan", methods=["POST"])
@blp.arguments(LetterScanUploadSchema, location="files")
@blp.response(200, LetterSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="letter_not_mailed, letter_closed")
@blp.alt_response(
    422,
    schema=ErrorSchema,
    description="scan_empty, scan_too_large, scan_type_unsupported, scan_damaged, scan_image_too_large",
)
@roles_required(*RECEIVERS)
def upload_scan(files, letter_id):
    """The signed paper came back: upload its scan (multipart field ``file``: PDF, JPEG or PNG judged
    by content, at most 20 MB). A new scan replaces the previous one until a reviewer decides."""
    letter = services.attach_scan(current_scope(), g.user, letter_id, files["file"].stream)
    return services.view(letter, full=True)


@blp.route("/<int:letter_id>/scan", methods=["GET"])
@blp.doc(
    responses={
        "200": {
            "description": "the scan as uploaded",
            "content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}},
        }
    }
)
@blp.alt_response(404, schema=ErrorSchema)
@roles_required(*READERS)
def get_scan(letter_id):
    """The returned paper's scan (each view is audited)."""
    data, mime, letter = services.scan(current_scope(), g.user, letter_id)
    response = Response(data, mimetype=mime)
    name = f"letter-{letter.code}-scan.{SCAN_EXTENSIONS.get(mime, 'bin')}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response


@blp.route("/<int:letter_id>/decision", methods=["POST"])
@blp.arguments(LetterDecisionSchema)
@blp.response(200, LetterSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="letter_not_returned, letter_closed")
@roles_required(*DECIDERS)
def decide(args, letter_id):
    """verify: the holder answered and signed in person; the task is closed. reject: a problem case is
    opened (letter_rejected) and the task stays with the letters, so a new letter can be issued."""
    letter = services.decide(
        current_scope(), g.user, letter_id, args["decision"], args["reasons"], args.get("note")
    )
    return services.view(letter, full=True)


@blp.route("/<int:letter_id>/cancel", methods=["POST"])
@blp.arguments(LetterCancelSchema)
@blp.response(200, LetterSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="letter_closed")
@roles_required(*CANCELLERS)
def cancel(args, letter_id):
    """Withdraw an open letter (undeliverable, issued by mistake); a new one may then be issued."""
    return services.view(services.cancel(current_scope(), g.user, letter_id, args["reason"]), full=True)
