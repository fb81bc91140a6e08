"""回访通 (Huifang): the Flask application.

``create_app`` builds an app from the environment (server.config) plus an optional mapping that
tests use. Domains live in their own packages (institutions, users, auth, audit, health, web, ...),
each with api.py, models.py, schemas.py and services.py.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from server import config as settings
from server import errors, logs
from server.dbtypes import render_migration_item
from server.extensions import db, migrate
from server.schemas import ErrorSchema


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None, instance_path=str(settings.INSTANCE_DIR))
    app.config.update(settings.STATIC)
    app.config.update(settings.from_environment())
    if overrides:
        app.config.update(overrides)

    logs.configure(app)
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(settings.ROOT / "migrations"),
        render_as_batch=True,  # SQLite can only ALTER through table copies
        render_item=render_migration_item,
    )

    # One Api (and so one OpenAPI document) per app: tests build many apps in one process.
    api = HuifangApi(app)
    app.extensions["huifang_api"] = api
    _register_models()
    from server.auth.api import blp as auth_blp
    from server.health.api import blp as health_blp
    from server.institutions.api import blp as institutions_blp
    from server.users.api import blp as users_blp

    for blp in (health_blp, auth_blp, institutions_blp, users_blp):
        api.register_blueprint(blp)

    from server.web import bp as web_bp

    app.register_blueprint(web_bp)

    from server.auth import access

    access.init_app(app)
    errors.register(app)  # after flask-smorest, so ours replaces its HTTP error handler

    from server import cli

    cli.register(app)
    return app


class HuifangApi(Api):
    # The automatic error responses (422 of @arguments, "default") document our one error shape.
    ERROR_SCHEMA = ErrorSchema


def _register_models() -> None:
    """Import every model module so that metadata (and so Alembic) knows every table."""
    import server.audit.models
    import server.auth.models
    import server.institutions.models
    import server.users.models  # noqa: F401
