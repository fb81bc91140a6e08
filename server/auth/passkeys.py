"""Passkeys (WebAuthn): registration by a signed-in user, and sign-in without a password.

Each ceremony is two calls. *Options* makes a random challenge, keeps its SHA-256 in
``passkey_challenge`` for five minutes (in the database, never in process memory: the two calls may
reach different app servers) and answers the options for ``navigator.credentials.create()`` or
``.get()``. *Verify* reads the challenge the browser signed out of ``clientDataJSON``, deletes its
row (so a challenge answers once, even when the answer is wrong) and lets the ``webauthn`` package
check the rest: type, origin, relying-party id hash, user presence and verification, the signature.

Sign-in issues exactly what a password sign-in issues (server.auth.services.sign_in): a refresh-token
family bound to the device, an access token, the ``login`` audit event. A locked or disabled account
is refused as for a password. Passkeys are discoverable (resident) credentials, so the person picks
their account on the authenticator; a username may be given first, and then only that user's
passkeys answer.

The signature counter must go up at every use. A counter that stands still or goes back means a
second copy of the private key signed: the sign-in is refused and ``passkey_clone_suspected`` is
audited. (Synced passkeys that always report 0 never trip this.)

The relying party is ``HUIFANG_WEBAUTHN_RP_ID`` and the accepted origins ``HUIFANG_WEBAUTHN_ORIGINS``;
unset, both follow the host of the request (the embedded default).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, request
from sqlalchemy import delete, func, select, update
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    options_to_json_dict,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from server.audit import services as audit
from server.auth import services as auth
from server.auth.models import Passkey, PasskeyChallenge
from server.dbtypes import utcnow
from server.errors import HuifangError, not_found
from server.extensions import db
from server.security import lockout
from server.users.models import User

REGISTER, AUTHENTICATE = "register", "authenticate"
CHALLENGE_TTL = timedelta(minutes=5)
MAX_PASSKEYS = 20  # per user: enough for every phone, tablet and security key a person owns
RP_NAME = "回访通"


# --- Errors --------------------------------------------------------------------------------------


def _error(code: str, zh: str, en: str, status: int, **details) -> HuifangError:
    return HuifangError(code, zh, en, status, details)


def invalid_response(status: int, reason: str = "") -> HuifangError:
    return _error(
        "passkey_invalid",
        "通行密钥验证失败，请重试",
        "The passkey's answer could not be verified; please try again",
        status,
        **({"reason": reason} if reason else {}),
    )


def challenge_invalid(status: int) -> HuifangError:
    return _error(
        "passkey_challenge_invalid",
        "验证已过期或已使用，请重新操作",
        "The passkey challenge is unknown, used or expired; please start again",
        status,
    )


def origin_invalid(status: int, origin: str) -> HuifangError:
    return _error(
        "passkey_origin_invalid",
        "通行密钥来自不被信任的网址",
        "The passkey was used on a site this server does not trust",
        status,
        origin=origin[:200],
    )


def unknown_passkey() -> HuifangError:
    return _error(
        "passkey_unknown",
        "此通行密钥未登记或已被删除，请使用密码登录",
        "This passkey is not registered here (or was removed); sign in with your password",
        401,
    )


def user_mismatch() -> HuifangError:
    return _error(
        "passkey_user_mismatch",
        "此通行密钥不属于该用户",
        "This passkey does not belong to that user",
        401,
    )


def counter_invalid() -> HuifangError:
    return _error(
        "passkey_counter_invalid",
        "通行密钥的使用计数异常，可能已被复制，已拒绝登录，请联系管理员",
        "The passkey's signature counter went backwards: it may have been copied. Sign-in refused; "
        "contact an administrator",
        401,
    )


# --- The relying party ---------------------------------------------------------------------------


def relying_party() -> tuple[str, list[str]]:
    """The relying-party id and the origins a ceremony may come from: configured, or this request's."""
    rp_id = current_app.config.get("HUIFANG_WEBAUTHN_RP_ID")
    origins = list(current_app.config.get("HUIFANG_WEBAUTHN_ORIGINS") or [])
    if not rp_id:
        rp_id = urlsplit(f"//{request.host}").hostname or "localhost"
    if not origins:
        origins = [f"{request.scheme}://{request.host}"]
    return rp_id, origins


# --- Challenges ----------------------------------------------------------------------------------


def _hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def _new_challenge(purpose: str, user: User | None = None, user_handle: str | None = None) -> bytes:
    now = utcnow()
    # Old unanswered challenges go as new ones come: the table stays as small as the traffic.
    db.session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at < now))
    challenge = secrets.token_bytes(32)
    db.session.add(
        PasskeyChallenge(
            challenge_hash=_hash(challenge),
            purpose=purpose,
            user_id=user.id if user is not None else None,
            user_handle=user_handle,
            created_at=now,
            expires_at=now + CHALLENGE_TTL,
        )
    )
    return challenge


def _take_challenge(challenge: bytes, purpose: str, status: int) -> PasskeyChallenge:
    """The challenge's row, deleted and committed at once: whatever happens next, it never answers
    again (a replayed or a wrong answer cannot be tried a second time)."""
    row = db.session.scalars(
        select(PasskeyChallenge).where(PasskeyChallenge.challenge_hash == _hash(challenge))
    ).first()
    if row is None:
        raise challenge_invalid(status)
    db.session.expunge(row)
    taken = db.session.execute(
        delete(PasskeyChallenge)
        .where(PasskeyChallenge.id == row.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not taken or row.purpose != purpose or row.expires_at <= utcnow():
        raise challenge_invalid(status)
    return row


def _client_data(encoded, expected_type: str, status: int):
    """The parsed clientDataJSON of a credential from the browser (its challenge, origin, type)."""
    try:
        data = parse_client_data_json(base64url_to_bytes(encoded))
    except Exception as exc:  # malformed base64 or JSON: the package raises several kinds
        raise invalid_response(status, "clientDataJSON") from exc
    if data.type != expected_type:
        raise invalid_response(status, "type")
    return data


def _response_field(credential: dict, name: str):
    response = credential.get("response")
    return response.get(name) if isinstance(response, dict) else None


# --- Registration (a signed-in user) ---------------------------------------------------------------


def passkeys_of(user: User) -> list[Passkey]:
    return list(
        db.session.scalars(
            select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.created_at, Passkey.id)
        )
    )


def _reauthenticate(user: User, password: str) -> None:
    """The password again before a passkey is added. A wrong one counts towards the lockout like a
    failed sign-in (audited there); it is a 403, not a 401, because the session itself is fine."""
    try:
        auth.authenticate_password(user.username, password)
    except HuifangError as err:
        if err.code != "invalid_credentials":
            raise
        raise _error(
            "password_mismatch",
            "密码不正确，未添加通行密钥",
            "Wrong password; no passkey was added",
            403,
        ) from err


def registration_options(user: User, password: str) -> dict:
    _reauthenticate(user, password)
    existing = passkeys_of(user)
    if len(existing) >= MAX_PASSKEYS:
        raise _error(
            "passkey_limit",
            f"每个账号最多登记 {MAX_PASSKEYS} 个通行密钥，请先删除不用的",
            f"An account holds at most {MAX_PASSKEYS} passkeys; remove one first",
            409,
        )
    rp_id, _ = relying_party()
    # One random handle per user, reused for every passkey: an authenticator then keeps one
    # credential per account instead of piling up copies.
    user_handle = existing[0].user_handle if existing else bytes_to_base64url(secrets.token_bytes(32))
    challenge = _new_challenge(REGISTER, user, user_handle)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_id=base64url_to_bytes(user_handle),
        user_name=user.username,
        user_display_name=user.display_name,
        challenge=challenge,
        timeout=int(CHALLENGE_TTL.total_seconds() * 1000),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[_descriptor(p) for p in existing],
    )
    db.session.commit()
    return {"publicKey": options_to_json_dict(options)}


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = []
    for value in passkey.transports or []:
        try:
            transports.append(AuthenticatorTransport(value))
        except ValueError:
            continue
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey.credential_id), transports=transports or None
    )


def register(user: User, credential: dict, name: str | None) -> Passkey:
    """Verify the browser's answer to ``registration_options`` and keep the new passkey."""
    client_data = _client_data(_response_field(credential, "clientDataJSON"), "webauthn.create", 400)
    row = _take_challenge(client_data.challenge, REGISTER, 400)
    if row.user_id != user.id:
        raise challenge_invalid(400)
    rp_id, origins = relying_party()
    if client_data.origin not in origins:
        audit.record("passkey_register_failed", target=user, reason="origin", origin=client_data.origin[:200])
        db.session.commit()
        raise origin_invalid(400, client_data.origin)
    try:
        parsed = parse_registration_credential_json(credential)
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=client_data.challenge,
            expected_rp_id=rp_id,
            expected_origin=origins,
            require_user_verification=True,
        )
    except Exception as exc:  # every way an answer can fail to verify; the reason goes to the log
        current_app.logger.info("passkey registration refused: %s", exc)
        raise invalid_response(400, str(exc)[:200]) from exc

    credential_id = bytes_to_base64url(verified.credential_id)
    if db.session.scalars(select(Passkey.id).where(Passkey.credential_id == credential_id)).first():
        raise _error("passkey_exists", "此通行密钥已经登记过", "This passkey is already registered", 409)
    count = db.session.scalar(select(func.count()).select_from(Passkey).where(Passkey.user_id == user.id))
    if count >= MAX_PASSKEYS:
        raise _error(
            "passkey_limit",
            f"每个账号最多登记 {MAX_PASSKEYS} 个通行密钥，请先删除不用的",
            f"An account holds at most {MAX_PASSKEYS} passkeys; remove one first",
            409,
        )
    passkey = Passkey(
        user_id=user.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        user_handle=row.user_handle,
        name=(name or "").strip() or f"通行密钥 {count + 1}",
        aaguid=verified.aaguid,
        transports=[t.value for t in (parsed.response.transports or [])],
        backed_up=verified.credential_backed_up,
        created_at=utcnow(),
    )
    db.session.add(passkey)
    db.session.flush()
    audit.record(
        "passkey_registered",
        target=user,
        institution_id=user.institution_id,
        passkey_id=passkey.id,
        name=passkey.name,
        aaguid=passkey.aaguid,
    )
    db.session.commit()
    return passkey


def _own(user: User, passkey_id: int) -> Passkey:
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        raise not_found("通行密钥", "passkey")  # another user's answers as a missing one
    return passkey


def rename(user: User, passkey_id: int, name: str) -> Passkey:
    passkey = _own(user, passkey_id)
    if not name.strip():
        raise _error("passkey_name_empty", "请填写名称", "A name is required", 422)
    before, passkey.name = passkey.name, name.strip()
    if before != passkey.name:
        audit.record(
            "passkey_renamed",
            target=user,
            institution_id=user.institution_id,
            passkey_id=passkey.id,
            before=before,
            after=passkey.name,
        )
    db.session.commit()
    return passkey


def remove(user: User, passkey_id: int) -> None:
    passkey = _own(user, passkey_id)
    audit.record(
        "passkey_removed",
        target=user,
        institution_id=user.institution_id,
        passkey_id=passkey.id,
        name=passkey.name,
    )
    db.session.delete(passkey)
    db.session.commit()


# --- Sign-in ---------------------------------------------------------------------------------------


def authentication_options(username: str | None) -> dict:
    """Options for ``navigator.credentials.get()``. Without a username any passkey of this site may
    answer (the person picks the account on the authenticator); with one, only that user's."""
    rp_id, _ = relying_party()
    user = None
    allow: list[PublicKeyCredentialDescriptor] = []
    if username and username.strip():
        name = username.strip().lower()
        user = db.session.scalars(select(User).where(User.username == name)).first()
        passkeys = passkeys_of(user) if user is not None else []
        allow = [_descriptor(p) for p in passkeys]
        if not allow:
            # Unknown user or no passkey: a decoy id, the same each time for the same name, so
            # the answer does not tell who exists; no authenticator holds it.
            key = current_app.config["SECRET_KEY"].encode()
            decoy = hmac.new(key, b"passkey-decoy:" + name.encode(), hashlib.sha256).digest()
            allow = [PublicKeyCredentialDescriptor(id=decoy)]
            user = None
    challenge = _new_challenge(AUTHENTICATE, user)
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenge,
        timeout=int(CHALLENGE_TTL.total_seconds() * 1000),
        allow_credentials=allow,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    db.session.commit()
    return {"publicKey": options_to_json_dict(options)}


def _refuse(reason: str, error: HuifangError, user: User | None = None, **data) -> HuifangError:
    """Audit a refused passkey sign-in (committed: the refusal is the one thing this request writes)."""
    audit.record(
        "passkey_login_failed",
        target=user,
        institution_id=user.institution_id if user is not None else None,
        reason=reason,
        **data,
    )
    db.session.commit()
    return error


def login(credential: dict, device_uuid: str, device_name: str | None, client: str) -> dict:
    """Verify the browser's answer to ``authentication_options`` and sign its user in on this device."""
    client_data = _client_data(_response_field(credential, "clientDataJSON"), "webauthn.get", 401)
    row = _take_challenge(client_data.challenge, AUTHENTICATE, 401)
    rp_id, origins = relying_party()
    if client_data.origin not in origins:
        raise _refuse("origin", origin_invalid(401, client_data.origin), origin=client_data.origin[:200])
    try:
        parsed = parse_authentication_credential_json(credential)
    except Exception as exc:
        raise invalid_response(401, "credential") from exc

    passkey = db.session.scalars(select(Passkey).where(Passkey.credential_id == parsed.id)).first()
    if passkey is None:
        raise _refuse("unknown_passkey", unknown_passkey(), credential_id=parsed.id[:100])
    user = db.session.get(User, passkey.user_id)
    if row.user_id is not None and row.user_id != user.id:
        raise _refuse("other_user", user_mismatch(), user, passkey_id=passkey.id, named_user_id=row.user_id)
    handle = parsed.response.user_handle
    if handle is not None and bytes_to_base64url(handle) != passkey.user_handle:
        raise _refuse("user_handle", user_mismatch(), user, passkey_id=passkey.id)
    lockout.refuse_if_locked(user)  # a locked account refuses every way in

    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=client_data.challenge,
            expected_rp_id=rp_id,
            expected_origin=origins,
            credential_public_key=passkey.public_key,
            # The counter is compared below, after the signature proves the answer is genuine, so
            # that a clone is told apart from a forgery (and audited as one).
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except Exception as exc:
        current_app.logger.info("passkey sign-in refused: %s", exc)
        raise _refuse(
            "verification", invalid_response(401, str(exc)[:200]), user, passkey_id=passkey.id
        ) from exc

    stored, received = passkey.sign_count, verified.new_sign_count
    if (stored or received) and received <= stored:
        raise _clone_suspected(user, passkey, stored, received)
    if not user.active:
        raise HuifangError("user_inactive", "账号已停用", "This account is disabled", 403)
    # The counter moves only forward, in SQL: of two answers racing with the same count (the key
    # and its copy signing at once), one wins and the other is the clone.
    moved = db.session.execute(
        update(Passkey)
        .where(Passkey.id == passkey.id, Passkey.sign_count == stored)
        .values(sign_count=received, last_used_at=utcnow(), backed_up=verified.credential_backed_up)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        db.session.rollback()
        raise _clone_suspected(user, passkey, stored, received)
    lockout.record_success(user)
    return auth.sign_in(user, device_uuid, device_name, client, method="passkey", passkey_id=passkey.id)


def _clone_suspected(user: User, passkey: Passkey, stored: int, received: int) -> HuifangError:
    audit.record(
        "passkey_clone_suspected",
        target=user,
        institution_id=user.institution_id,
        passkey_id=passkey.id,
        name=passkey.name,
        stored_count=stored,
        received_count=received,
    )
    db.session.commit()
    return counter_invalid()
