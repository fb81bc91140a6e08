"""Settings from environment variables.

Every setting has one home here and one row in README.md's configuration table. The embedded
default (SQLite in instance/, media on local disk) needs no variable at all; production refuses to
start without a real secret key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from limits import parse_many

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


def _pii_key(env: str) -> str:
    """The key of the keyed hashes (HMAC-SHA256) that find a policy by ID number without an index of
    clear ID numbers (server/policies/pii.py). Changing it needs `flask --app server search rehash-ids`."""
    key = os.environ.get("HUIFANG_PII_KEY", "")
    if key:
        if len(key.encode()) < 32:
            raise ConfigError("HUIFANG_PII_KEY must be at least 32 bytes")
        return key
    if env == "production":
        raise ConfigError("HUIFANG_PII_KEY is required when HUIFANG_ENV=production")
    # Development: one random key per instance folder, kept like the secret key.
    path = INSTANCE_DIR / "pii_key"
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
        "HUIFANG_PII_KEY": _pii_key(env),
        # Earlier PII keys, comma-separated: ID numbers encrypted under them stay readable until
        # `flask --app server search rehash-ids` has re-encrypted them under HUIFANG_PII_KEY.
        "HUIFANG_PII_OLD_KEYS": os.environ.get("HUIFANG_PII_OLD_KEYS", ""),
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
        # The largest request body, bytes (413 above); endpoints that take a whole file as their
        # body (call recordings, intake files) may send up to HUIFANG_MAX_UPLOAD_LENGTH.
        "MAX_CONTENT_LENGTH": _int("HUIFANG_MAX_CONTENT_LENGTH", 25 * 1024 * 1024),
        "HUIFANG_LOG_LEVEL": os.environ.get("HUIFANG_LOG_LEVEL", "INFO"),
        "HUIFANG_LOG_JSON": os.environ.get("HUIFANG_LOG_JSON", "1") != "0",
        **_outbox_settings(env, os.environ.get("HUIFANG_DATABASE_URL", default_db)),
        **_security_settings(),
        # First phone callbacks (R11): attempts before the R12 re-confirmation list, and the hours
        # (Beijing time, "HH:MM-HH:MM") in which customers may be called.
        "HUIFANG_CALLBACK_MAX_ATTEMPTS": _int("HUIFANG_CALLBACK_MAX_ATTEMPTS", 3),
        "HUIFANG_CALLING_HOURS": os.environ.get("HUIFANG_CALLING_HOURS", "08:00-21:00"),
    }


def _previous_secret_keys() -> list[str]:
    keys = [k.strip() for k in os.environ.get("HUIFANG_SECRET_KEY_PREVIOUS", "").split(",") if k.strip()]
    if any(len(k.encode()) < 32 for k in keys):
        raise ConfigError("each key of HUIFANG_SECRET_KEY_PREVIOUS must be at least 32 bytes")
    return keys


def _rate(name: str, default: str) -> str:
    value = os.environ.get(name) or default
    try:
        parse_many(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a rate such as 10/minute, got {value!r}") from exc
    return value


def _security_settings() -> dict:
    """Sign-in limits, lockout, key rotation, body and image limits (server/security/)."""
    return {
        # Keys that signed earlier tokens, comma-separated: still accepted, never used to sign.
        "HUIFANG_SECRET_KEY_PREVIOUS": _previous_secret_keys(),
        # Rate limits on sign-in and token refresh; off only in tests that are not about them.
        "RATELIMIT_ENABLED": _flag("HUIFANG_RATELIMIT_ENABLED", True),
        # Where the counters live: memory:// for one process, redis://host:6379/0 for several.
        "RATELIMIT_STORAGE_URI": os.environ.get("HUIFANG_RATELIMIT_STORAGE_URI") or "memory://",
        # Failed sign-ins and refreshes per client address.
        "HUIFANG_RATELIMIT_PER_ADDRESS": _rate("HUIFANG_RATELIMIT_PER_ADDRESS", "10/minute"),
        # Sign-ins per username and refreshes per device, failed or not.
        "HUIFANG_RATELIMIT_PER_ACCOUNT": _rate("HUIFANG_RATELIMIT_PER_ACCOUNT", "5/minute"),
        # Wrong passwords in a row that lock an account (0: never), and for how many minutes.
        "HUIFANG_LOCKOUT_THRESHOLD": _int("HUIFANG_LOCKOUT_THRESHOLD", 5),
        "HUIFANG_LOCKOUT_MINUTES": _int("HUIFANG_LOCKOUT_MINUTES", 15),
        # Proxies of ours in front of the app whose X-Forwarded-For/-Proto are trusted (0: none).
        "HUIFANG_PROXY_HOPS": _int("HUIFANG_PROXY_HOPS", 0),
        # The largest body of the endpoints that take a whole file (call recordings, intake files).
        "HUIFANG_MAX_UPLOAD_LENGTH": _int("HUIFANG_MAX_UPLOAD_LENGTH", 64 * 1024 * 1024),
        # Pillow refuses images over twice this many pixels (decompression bombs).
        "HUIFANG_MAX_IMAGE_PIXELS": _int("HUIFANG_MAX_IMAGE_PIXELS", 40_000_000),
        **_webauthn_settings(),
    }


def _webauthn_settings() -> dict:
    """Passkeys (server/auth/passkeys.py): the relying party id, a host name such as huifang.example.cn,
    and the origins the browser may sign from. Unset, both follow the host of each request (the
    embedded default: http://localhost:5000 just works)."""
    rp_id = (os.environ.get("HUIFANG_WEBAUTHN_RP_ID") or "").strip().lower() or None
    if rp_id and ("/" in rp_id or ":" in rp_id):
        raise ConfigError(f"HUIFANG_WEBAUTHN_RP_ID must be a host name without scheme or port, got {rp_id!r}")
    origins = [o.strip().rstrip("/") for o in os.environ.get("HUIFANG_WEBAUTHN_ORIGINS", "").split(",")]
    origins = [o for o in origins if o]
    for origin in origins:
        if not origin.startswith(("https://", "http://")):
            raise ConfigError(f"each of HUIFANG_WEBAUTHN_ORIGINS must be an http(s) origin, got {origin!r}")
    return {"HUIFANG_WEBAUTHN_RP_ID": rp_id, "HUIFANG_WEBAUTHN_ORIGINS": origins}


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be on or off (1/0, true/false), got {raw!r}")


def _outbox_settings(env: str, database_url: str) -> dict:
    """The outbox worker, signed webhooks to the call centre and signed inbound calls (docs/webhooks.md)."""
    url = os.environ.get("HUIFANG_WEBHOOK_URL") or None
    secret = os.environ.get("HUIFANG_WEBHOOK_SECRET") or None
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(f"HUIFANG_WEBHOOK_URL must be an http(s) URL, got {url!r}")
    if url and not secret:
        raise ConfigError(
            "HUIFANG_WEBHOOK_SECRET is required when HUIFANG_WEBHOOK_URL is set (webhooks are signed)"
        )
    try:
        timeout = float(os.environ.get("HUIFANG_WEBHOOK_TIMEOUT") or 10)
    except ValueError as exc:
        raise ConfigError("HUIFANG_WEBHOOK_TIMEOUT must be a number of seconds") from exc
    max_attempts = _int("HUIFANG_OUTBOX_MAX_ATTEMPTS", 8)
    if max_attempts < 1:
        raise ConfigError("HUIFANG_OUTBOX_MAX_ATTEMPTS must be at least 1")
    return {
        # Where events for the call centre are POSTed, and the shared secret that signs them.
        "HUIFANG_WEBHOOK_URL": url,
        "HUIFANG_WEBHOOK_SECRET": secret,
        "HUIFANG_WEBHOOK_TIMEOUT": timeout,
        # The secret the call centre signs its calls to us with; without it those calls answer 503.
        "HUIFANG_INBOUND_SECRET": os.environ.get("HUIFANG_INBOUND_SECRET") or None,
        "HUIFANG_OUTBOX_MAX_ATTEMPTS": max_attempts,
        # Seconds a worker may hold a job before another worker takes it over (a worker that died).
        "HUIFANG_OUTBOX_LEASE": _int("HUIFANG_OUTBOX_LEASE", 300),
        # The embedded default runs the outbox in a thread of the web server; production runs
        # `flask --app server huifang worker` processes instead. Never in tests (see outbox.worker).
        "HUIFANG_OUTBOX_INPROCESS": _flag(
            "HUIFANG_OUTBOX_INPROCESS", database_url.startswith("sqlite") and env != "test"
        ),
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
