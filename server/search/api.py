import re
from datetime import date, datetime
from urllib.parse import quote

import click
from flask import Response, g, stream_with_context
from flask_smorest import Blueprint

from server.audit import services as audit
from server.auth.access import roles_required
from server.extensions import db
from server.policies.masking import mask_id_number, mask_phone, sees_personal_data
from server.scoping import current_scope
from server.search import exports, services
from server.search.schemas import EXPORT_ARGS, PAGE_ARGS, PAGES
from server.tasks.services import today
from server.tasks.views import OVERSEEING_ROLES

blp = Blueprint(
    "search",
    __name__,
    url_prefix="/api/v1/search",
    description="回访查询 Search across policies, tasks, visits, cases and phone callbacks (R4)",
)
# Head office and the supervisors of each level look things up; a specialist works from the tablet.
READERS = OVERSEEING_ROLES
TITLES = {
    "policies": ("保单", "policies"),
    "tasks": ("面访任务", "visit tasks"),
    "visits": ("面访记录", "visits"),
    "cases": ("问题件", "problem cases"),
    "callbacks": ("电话回访", "phone callbacks"),
}
EXPORT_DOC = {
    "200": {
        "description": "the whole result, streamed: CSV (UTF-8 with BOM) or XLSX",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            exports.XLSX_MIME: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
_DIGITS = re.compile(r"\d")


def _audited(filters: dict) -> dict:
    """The filters of an export as the audit log keeps them: never a whole ID number or phone."""
    out = {}
    for key, value in filters.items():
        if key == "id_number":
            value = mask_id_number(value)
        elif key == "phone" or (key == "q" and len(_DIGITS.findall(value)) >= 7):
            value = mask_phone(value) if key == "phone" else mask_id_number(value)
        elif isinstance(value, date | datetime):
            value = value.isoformat()
        out[key] = value
    return out


def _register(kind: str) -> None:
    zh, en = TITLES[kind]

    def search(args):
        return services.page(kind, current_scope(), args, full=sees_personal_data(g.user))

    def export(args):
        fmt, lang = args.pop("format"), args.pop("lang")
        # Built (and so checked: scope of institution_id, phone) before anything is audited or sent.
        stmt = services.statement(kind, current_scope(), args)
        full = sees_personal_data(g.user)
        audit.record(
            "search_exported",
            kind=kind,
            format=fmt,
            personal_data="full" if full else "masked",
            filters=_audited(args),
            institution_id=g.user.institution_id,
        )
        db.session.commit()  # the export is on record even if the download is broken off
        header, to_row = exports.row_function(kind, exports.Reader(full, today(), lang))
        rows = (to_row(row) for row in services.stream_statement(stmt))
        if fmt == "csv":
            body, mime = exports.csv_stream(header, rows), exports.CSV_MIME
        else:
            title = zh if lang == "zh" else en

            def build(path):
                exports.write_xlsx(path, [(title, header, rows)])

            body, mime = exports.xlsx_stream(build), exports.XLSX_MIME
        return attachment(Response(stream_with_context(body), mimetype=mime), f"huifang-{kind}", fmt)

    search.__name__ = f"search_{kind}"
    search.__doc__ = f"Search {en}: newest first, keyset pages; ID numbers and phones masked by role."
    export.__name__ = f"export_{kind}"
    export.__doc__ = (
        f"Export every {en[:-1] if en.endswith('s') else en} the filters find, streamed; audited."
    )
    view = roles_required(*READERS)(search)
    view = blp.response(200, PAGES[kind])(view)
    view = blp.arguments(PAGE_ARGS[kind], location="query")(view)
    blp.route(f"/{kind}", methods=["GET"], endpoint=f"search_{kind}")(view)
    view = roles_required(*READERS)(export)
    view = blp.doc(responses=EXPORT_DOC)(view)
    view = blp.arguments(EXPORT_ARGS[kind], location="query")(view)
    blp.route(f"/{kind}/export", methods=["GET"], endpoint=f"export_{kind}")(view)


def attachment(response: Response, stem: str, fmt: str) -> Response:
    name = f"{stem}-{datetime.now(exports.SHANGHAI):%Y%m%d-%H%M}.{fmt}"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


for _kind in services.KINDS:
    _register(_kind)


@blp.cli.command("rehash-ids")
@click.option("--batch", default=5000, show_default=True, help="policies per transaction")
def rehash_ids(batch):
    """Make every policy's ID number hashes again with the current HUIFANG_PII_KEY."""
    done = services.rehash_ids(batch)
    click.echo(f"{done} policies hashed")
