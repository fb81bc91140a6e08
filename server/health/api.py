from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import text

from server.auth.access import public
from server.config import ROOT
from server.extensions import db

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="运行状态 Health")


class MigrationStateSchema(Schema):
    current = fields.List(fields.String())
    head = fields.List(fields.String())
    up_to_date = fields.Boolean()


class HealthSchema(Schema):
    status = fields.String(metadata={"enum": ["ok", "degraded"]})
    environment = fields.String()
    database = fields.Dict()
    migrations = fields.Nested(MigrationStateSchema, allow_none=True)


def migration_heads() -> list[str]:
    return sorted(ScriptDirectory(str(ROOT / "migrations")).get_heads())


@blp.route("/health", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="database down or schema behind the code")
@blp.doc(security=[])
@public
def health():
    """Database reachable and schema at the migration head: 200 "ok", otherwise 503 "degraded"."""
    result = {"environment": current_app.config["HUIFANG_ENV"], "migrations": None}
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = sorted(MigrationContext.configure(conn).get_current_heads())
        result["database"] = {"ok": True, "dialect": db.engine.dialect.name}
        head = migration_heads()
        result["migrations"] = {"current": current, "head": head, "up_to_date": current == head}
    except Exception as exc:  # a health check reports failure, it does not raise it
        current_app.logger.warning("health check failed: %s", exc)
        result["database"] = {"ok": False, "dialect": db.engine.dialect.name, "error": type(exc).__name__}
    ok = result["database"]["ok"] and result["migrations"] and result["migrations"]["up_to_date"]
    result["status"] = "ok" if ok else "degraded"
    return result, 200 if ok else 503
