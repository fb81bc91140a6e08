from flask import Response, g
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from server.audit import services as audit
from server.auth.access import roles_required
from server.errors import HuifangError
from server.evidence import report as reports
from server.evidence import services
from server.evidence.models import EvidenceRecord
from server.extensions import db
from server.scoping import current_scope
from server.tasks.views import OVERSEEING_ROLES
from server.users.roles import ADMIN, COMPLIANCE_OFFICER, REVIEWER
from server.visits import services as visits
from signatures.bundle import export_bundle
from signatures.merkle import inclusion_proof

blp = Blueprint("evidence", __name__, url_prefix="/api/v1", description="证据封存与核验 Sealed evidence")


class VerificationSchema(Schema):
    ok = fields.Boolean()
    problems = fields.List(fields.Dict(), metadata={"description": "each names the failing part"})
    leaf_index = fields.Integer(allow_none=True)
    manifest_sha256 = fields.String()
    tree_size = fields.Integer()
    size = fields.Integer()


@blp.route("/visits/<string:uuid>/evidence", methods=["GET"])
@blp.response(200, VerificationSchema)
@roles_required(*OVERSEEING_ROLES)
def verify_visit(uuid):
    """Check one visit now: the record against its sealed manifest, the seal, every media file's hash,
    and its inclusion in the latest signed tree head."""
    visits.get_visit(current_scope(), g.user, uuid)
    return services.verify_visit(uuid)


@blp.route("/visits/<string:uuid>/evidence.zip", methods=["GET"])
@blp.doc(responses={"200": {"description": "a zip a third party verifies offline (verify_bundle.py inside)"}})
@roles_required(REVIEWER, COMPLIANCE_OFFICER, ADMIN)
def bundle(uuid):
    """The evidence bundle: manifest, seal, media, public keys, inclusion proof, tree head, verifier."""
    visits.get_visit(current_scope(), g.user, uuid)
    record = db.session.get(EvidenceRecord, uuid)
    head = services.latest_head()
    if record is None or record.leaf_index is None or head is None:
        raise HuifangError("evidence_missing", "该面访没有证据记录", "No evidence record for this visit", 404)
    data = export_bundle(
        manifest=record.manifest,
        seal=record.seal,
        media=services.visit_media(uuid),
        keyring=services.keyring(),
        inclusion_proof=inclusion_proof(services._fetch, record.leaf_index, head.size),
        tree_head=head.head,
        signing_key=services.signing_key(),
    )
    audit.record("evidence_exported", actor=g.user, visit=uuid)
    db.session.commit()
    response = Response(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="evidence-{uuid}.zip"'
    return response


@blp.route("/visits/<string:uuid>/evidence.pdf", methods=["GET"])
@blp.doc(responses={"200": {"description": "the PDF evidence report in Chinese"}})
@roles_required(REVIEWER, COMPLIANCE_OFFICER, ADMIN)
def report(uuid):
    """The evidence report for a person: answers, signatures from strokes, photos, hashes, QR code."""
    visits.get_visit(current_scope(), g.user, uuid)
    if db.session.get(EvidenceRecord, uuid) is None:
        raise HuifangError("evidence_missing", "该面访没有证据记录", "No evidence record for this visit", 404)
    data = reports.report_pdf(uuid)
    audit.record("evidence_report", actor=g.user, visit=uuid)
    db.session.commit()
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="evidence-{uuid}.pdf"'
    return response


class SimilaritySchema(Schema):
    band = fields.String(
        metadata={"enum": ["typical", "unusual", "very_unusual", "no_reference", "no_signature"]}
    )
    references = fields.Integer()
    score = fields.Float(allow_none=True)
    message_zh = fields.String()
    message_en = fields.String()
    limits_zh = fields.String()
    limits_en = fields.String()


@blp.route("/visits/<string:uuid>/signatures/<string:signer>/similarity", methods=["GET"])
@blp.response(200, SimilaritySchema)
@roles_required(*OVERSEEING_ROLES)
def signature_similarity(uuid, signer):
    """How this signature compares with the same person's earlier ones: a risk hint with its limits,
    never a verdict (R14: the confirming callback asks the customer)."""
    if signer not in ("holder", "insured", "specialist"):
        raise HuifangError("signer_invalid", "签名人无效", "Unknown signer", 422)
    return reports.signature_similarity(visits.get_visit(current_scope(), g.user, uuid), signer)


@blp.route("/evidence/verify", methods=["GET"])
@blp.response(200, VerificationSchema)
@roles_required(COMPLIANCE_OFFICER, ADMIN)
def verify_chain():
    """The whole log: every tree head signed and linked, every root and manifest recomputed."""
    return services.verify_chain()
