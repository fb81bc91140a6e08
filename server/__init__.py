"""回访通 (Huifang): the Flask application.

``create_app`` builds an app from the environment (server.config) plus an optional mapping that
tests use. Domains live in their own packages (institutions, users, auth, audit, health, web, ...),
each with api.py, models.py, schemas.py and services.py.
"""

from __future__ import annotations

import importlib
from datetime import date, datetime

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from werkzeug.routing import IntegerConverter

from server import config as settings
from server import errors, logs
from server.dbtypes import render_migration_item
from server.extensions import db, migrate
from server.schemas import ErrorSchema

# The business domains, each a package server/<domain>/ with api.py (a flask-smorest Blueprint named
# ``blp``) and usually models.py, schemas.py, services.py. A new domain is one more name here.
DOMAINS = (
    "health",
    "audit",
    "auth",
    "devices",
    "institutions",
    "users",
    "policies",
    "intake",
    "calendar",
    "tasks",
    "risk",
    "visits",
    "evidence",
    "sync",
    "questionnaires",
    "letters",
    "cases",
    "review",
    "callbacks",
    "overdue",
    "outbox",
    "search",
    "stats",
)
# Blueprints that live beside a domain's api.py (each module has a flask-smorest Blueprint ``blp``).
EXTRA_BLUEPRINTS = ("server.auth.passkeys_api",)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None, instance_path=str(settings.INSTANCE_DIR))
    app.json = IsoJSONProvider(app)
    # Ids in URLs fit the database's integer columns; a larger one is simply no such record (404),
    # never an overflow inside the driver (schemathesis found that one).
    app.url_map.converters["int"] = BoundedIntConverter
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
    import_models()
    for domain in DOMAINS:
        module = _optional_module(f"server.{domain}.api")
        if module is not None:
            api.register_blueprint(module.blp)
    for name in EXTRA_BLUEPRINTS:
        api.register_blueprint(importlib.import_module(name).blp)
    importlib.import_module("server.outbox.worker").start_inprocess(app)  # embedded default, never in tests

    from server.web import bp as web_bp

    app.register_blueprint(web_bp)

    from server.auth import access

    access.init_app(app)
    errors.register(app)  # after flask-smorest, so ours replaces its HTTP error handler
    importlib.import_module("server.security").init_app(app)  # headers, sign-in limits, body limits

    from server import cli

    cli.register(app)
    return app


class BoundedIntConverter(IntegerConverter):
    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


class IsoJSONProvider(DefaultJSONProvider):
    """Dates as ISO 8601 everywhere, also inside free-form dicts (Flask's default is an HTTP date)."""

    @staticmethod
    def default(o):
        if isinstance(o, date | datetime):
            return o.isoformat()
        return DefaultJSONProvider.default(o)


class HuifangApi(Api):
    # The automatic error responses (422 of @arguments, "default") document our one error shape.
    ERROR_SCHEMA = ErrorSchema


def import_models() -> None:
    """Import every domain's models so that the metadata (and so Alembic) knows every table."""
    for domain in DOMAINS:
        _optional_module(f"server.{domain}.models")


def _optional_module(name: str):
    """The module, or None when it does not exist (an import error inside it still raises)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None
