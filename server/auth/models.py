from __future__ import annotations

from sqlalchemy import JSON, BigInteger, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.dbtypes import UTCDateTime, utcnow
from server.extensions import db


class Device(db.Model):
    """A browser or tablet a user signed in from. Refresh tokens are bound to it.

    ``device_uuid`` is made by the client once and kept in its storage; revoking the device ends
    every token family on it.
    """

    __tablename__ = "device"
    __table_args__ = (UniqueConstraint("user_id", "device_uuid", name="uq_device_user_uuid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    device_uuid: Mapped[str] = mapped_column(String(36))
    name: Mapped[str | None] = mapped_column(String(200))
    client: Mapped[str] = mapped_column(String(16), default="console")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at = mapped_column(UTCDateTime)


class RefreshToken(db.Model):
    """One link of a rotating refresh-token chain ("family").

    Only the SHA-256 of the token is stored. Each use marks the row used and issues the next link;
    presenting a used link again means the token was copied, so the whole family is revoked.
    """

    __tablename__ = "refresh_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    issued_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    used_at = mapped_column(UTCDateTime)
    revoked_at = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("refresh_token.id"))

    device: Mapped[Device] = relationship()


class Passkey(db.Model):
    """A WebAuthn credential (passkey) a user registered; a user may hold several.

    ``credential_id`` is the authenticator's id of the credential, base64url; ``public_key`` the COSE
    key it signs with; ``sign_count`` the last signature counter seen: an assertion whose counter does
    not go up comes from a copy of the key (server.auth.passkeys refuses it). ``user_handle`` is the
    random id the authenticator keeps for the user (never the username or the database id).
    """

    __tablename__ = "passkey"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    user_handle: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    aaguid: Mapped[str | None] = mapped_column(String(36))
    transports: Mapped[list] = mapped_column(JSON, default=list)
    backed_up: Mapped[bool] = mapped_column(default=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_used_at = mapped_column(UTCDateTime)


class PasskeyChallenge(db.Model):
    """A challenge handed out for one passkey ceremony, kept until it is answered or expires.

    In the database, not in process memory: the options and the answer may reach different app
    servers. Only its SHA-256 is kept; answering deletes the row, so a challenge works once.
    ``user_id`` is the user registering, or the user named before a username-first sign-in (then
    only that user's passkeys answer it).
    """

    __tablename__ = "passkey_challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))  # register | authenticate
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    # Registration: the user handle offered to the authenticator, kept with the credential it makes.
    user_handle: Mapped[str | None] = mapped_column(String(100))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False, index=True)
