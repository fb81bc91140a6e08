from flask import Response, g, stream_with_context
from flask_smorest import Blueprint

from server.audit import services as audit
from server.auth.access import roles_required
from server.extensions import db
from server.institutions.models import Institution
from server.schemas import ErrorSchema
from server.scoping import current_scope
from server.search import exports
from server.search.api import attachment
from server.stats import report, services
from server.stats.schemas import OverviewArgs, OverviewSchema, PeriodArgs, ProblemTrendSchema, ReportArgs
from server.users.roles import ADMIN, COMPLIANCE_OFFICER, REVIEWER, SUPERVISOR

blp = Blueprint(
    "stats",
    __name__,
    url_prefix="/api/v1/stats",
    description="回访统计 Statistics of the callback work by institution, specialist, item, month (R4)",
)
READERS = (SUPERVISOR, REVIEWER, COMPLIANCE_OFFICER, ADMIN)


@blp.route("/overview", methods=["GET"])
@blp.arguments(OverviewArgs, location="query")
@blp.response(200, OverviewSchema)
@blp.alt_response(404, schema=ErrorSchema, description="institution_id outside the caller's subtree")
@roles_required(*READERS)
def overview(args):
    """Tasks, visits, confirming callbacks and cases of the period, in total and grouped by ``by``;
    by institution the groups are the children of ``institution_id`` (drill down by asking again)."""
    return services.overview(current_scope(), g.user, args)


@blp.route("/problems", methods=["GET"])
@blp.arguments(PeriodArgs, location="query")
@blp.response(200, ProblemTrendSchema)
@roles_required(*READERS)
def problems(args):
    """Problem cases opened per category and month."""
    return services.problem_trend(current_scope(), g.user, args)


@blp.route("/monthly-report", methods=["GET"])
@blp.arguments(ReportArgs, location="query")
@blp.doc(
    responses={
        "200": {
            "description": "回访工作月报: sheets 机构, 专员, 问题分类",
            "content": {exports.XLSX_MIME: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
)
@roles_required(*READERS)
def monthly_report(args):
    """The month's callback work per institution (each with its subtree), specialist and problem
    category, as XLSX; audited."""
    root = services.root_of(current_scope(), g.user, args.get("institution_id"))
    span = report.report_period(args.get("month"))
    audit.record(
        "stats_report_exported",
        month=span.months[0],
        report_institution_id=root.id,
        institution_id=g.user.institution_id,
    )
    root_id = root.id
    db.session.commit()

    def build(path):
        # The body is written after this request's session has ended: read the root again.
        report.build(path, db.session.get(Institution, root_id), span)

    body = exports.xlsx_stream(build)
    return attachment(
        Response(stream_with_context(body), mimetype=exports.XLSX_MIME),
        f"huifang-report-{span.months[0]}",
        "xlsx",
    )
