"""Column types shared by every domain."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, String
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both engines.

    PostgreSQL keeps the zone (timestamptz); SQLite drops it, so values are normalised to UTC on the
    way in and marked UTC on the way out. A naive datetime is a bug in the caller and is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EncryptedText(TypeDecorator):
    """A personal value encrypted at rest (AES-GCM, server.policies.pii); reads give the clear value.
    Bulk writes that go around SQLAlchemy (COPY, server/intake/bulk.py) encrypt by themselves."""

    impl = String(160)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        from server.policies import pii  # needs the app's key, so at use, not at import

        return pii.encrypt(value)

    def process_result_value(self, value, dialect):
        from server.policies import pii

        return pii.decrypt(value)


def render_migration_item(type_, obj, autogen_context):
    """Alembic hook: migrations name plain SQLAlchemy types, never our classes.

    A migration must run the same way years later, whatever happened to server/ since.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, EncryptedText):
        return "sa.String(length=160)"
    return False
