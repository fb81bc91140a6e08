"""Settings from environment variables.

Every setting has one home here and one row in README.md's configuration table. The embedded
default (SQLite in instance/, media on local disk) needs no variable at all; production refuses to
start without a real secret key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("HUIFANG_INSTANCE_DIR", ROOT / "instance"))

ENVIRONMENTS = ("development", "test", "production")


class ConfigError(RuntimeError):
    """A setting is missing or wrong; raised at start-up, never at request time."""


def normalise_database_url(url: str) -> str:
    """Accept the URL forms operators paste (postgres://, postgresql://) and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _secret_key(env: str) -> str:
    key = os.environ.get("HUIFANG_SECRET_KEY", "")
    if key:
        if len(key.encode()) < 32:
            raise ConfigError("HUIFANG_SECRET_KEY must be at least 32 bytes (it signs HS256 tokens)")
        return key
    if env == "production":
        raise ConfigError("HUIFANG_SECRET_KEY is required when HUIFANG_ENV=production")
    # Development: one random key per instance folder, so tokens survive a restart of `make run`.
    path = INSTANCE_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def from_environment() -> dict:
    """The Flask config mapping built from HUIFANG_* variables."""
    env = os.environ.get("HUIFANG_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"HUIFANG_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
    default_db = f"sqlite:///{INSTANCE_DIR / 'huifang.db'}"
    return {
        "HUIFANG_ENV": env,
        "SECRET_KEY": _secret_key(env),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(os.environ.get("HUIFANG_DATABASE_URL", default_db)),
        "HUIFANG_MEDIA_DIR": os.environ.get("HUIFANG_MEDIA_DIR", str(INSTANCE_DIR / "media")),
        # An S3-compatible bucket for media instead of the local disk; credentials come from the usual
        # AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables or the instance role.
        # The Ed25519 key that seals evidence: 64 hex characters (a 32-byte seed). Without it a
        # development instance keeps its own in instance/evidence_key; production refuses to start.
        "HUIFANG_EVIDENCE_KEY": os.environ.get("HUIFANG_EVIDENCE_KEY") or None,
        "HUIFANG_S3_BUCKET": os.environ.get("HUIFANG_S3_BUCKET") or None,
        "HUIFANG_S3_ENDPOINT_URL": os.environ.get("HUIFANG_S3_ENDPOINT_URL") or None,
        "HUIFANG_S3_REGION": os.environ.get("HUIFANG_S3_REGION", "us-east-1"),
        "HUIFANG_S3_PREFIX": os.environ.get("HUIFANG_S3_PREFIX", "media/"),
        "HUIFANG_PWA_DIST": os.environ.get("HUIFANG_PWA_DIST", str(ROOT / "pwa" / "dist")),
        "HUIFANG_ACCESS_TOKEN_TTL": _int("HUIFANG_ACCESS_TOKEN_TTL", 15 * 60),
        "HUIFANG_REFRESH_TOKEN_TTL": _int("HUIFANG_REFRESH_TOKEN_TTL", 30 * 24 * 3600),
        "HUIFANG_REFRESH_REUSE_GRACE": _int("HUIFANG_REFRESH_REUSE_GRACE", 30),
        "MAX_CONTENT_LENGTH": _int("HUIFANG_MAX_CONTENT_LENGTH", 64 * 1024 * 1024),
        "HUIFANG_LOG_LEVEL": os.environ.get("HUIFANG_LOG_LEVEL", "INFO"),
        "HUIFANG_LOG_JSON": os.environ.get("HUIFANG_LOG_JSON", "1") != "0",
    }


# Settings that do not vary by deployment.
STATIC = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "JSON_AS_ASCII": False,
    "API_TITLE": "回访通 Huifang API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    # Served by server/web from the openapi-ui-bundles package: no CDN (closed insurer networks).
    "OPENAPI_SWAGGER_UI_URL": "/api/v1/docs-assets/swagger_ui/",
    "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
    "OPENAPI_REDOC_PATH": "redoc",
    "OPENAPI_REDOC_URL": "/api/v1/docs-assets/redoc/redoc.standalone.js",
    "API_SPEC_OPTIONS": {
        # Every endpoint needs a bearer token unless it says otherwise (server.auth.access.public).
        "security": [{"bearerAuth": []}],
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
        },
        "info": {"description": "回访通 API. Errors: {code, message (中文), message_en, details}."},
    },
}
