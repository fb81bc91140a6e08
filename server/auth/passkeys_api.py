"""Passkey routes: a signed-in user's own passkeys, and sign-in with one (server.auth.passkeys)."""

from flask import g
from flask_smorest import Blueprint

from server.auth import passkeys
from server.auth.access import public
from server.auth.passkeys_schemas import (
    PasskeyLoginOptionsSchema,
    PasskeyLoginSchema,
    PasskeyOptionsSchema,
    PasskeyRegisterOptionsSchema,
    PasskeyRegisterSchema,
    PasskeyRenameSchema,
    PasskeySchema,
)
from server.auth.schemas import TokenSchema
from server.schemas import ErrorSchema

blp = Blueprint(
    "passkeys", __name__, url_prefix="/api/v1/auth/passkeys", description="通行密钥 Passkeys (WebAuthn)"
)


@blp.route("", methods=["GET"])
@blp.response(200, PasskeySchema(many=True))
def list_passkeys():
    """The signed-in user's passkeys: name, when registered, when last used."""
    return passkeys.passkeys_of(g.user)


@blp.route("/register/options", methods=["POST"])
@blp.arguments(PasskeyRegisterOptionsSchema)
@blp.response(200, PasskeyOptionsSchema)
@blp.alt_response(403, schema=ErrorSchema, description="password_mismatch")
@blp.alt_response(409, schema=ErrorSchema, description="passkey_limit")
def register_options(args):
    """Start registering a passkey for the signed-in user: options for navigator.credentials.create().
    The user's password again: a token alone (perhaps a stolen one) must not add a way in."""
    return passkeys.registration_options(g.user, args["password"])


@blp.route("/register", methods=["POST"])
@blp.arguments(PasskeyRegisterSchema)
@blp.response(201, PasskeySchema)
@blp.alt_response(
    400, schema=ErrorSchema, description="passkey_invalid, passkey_challenge_invalid, passkey_origin_invalid"
)
@blp.alt_response(409, schema=ErrorSchema, description="passkey_exists, passkey_limit")
def register(args):
    """Finish registering: the browser's answer is verified and the passkey kept (audited)."""
    return passkeys.register(g.user, args["credential"], args.get("name"))


@blp.route("/<int:passkey_id>", methods=["PATCH"])
@blp.arguments(PasskeyRenameSchema)
@blp.response(200, PasskeySchema)
@blp.alt_response(404, schema=ErrorSchema, description="not_found (also another user's passkey)")
def rename_passkey(args, passkey_id):
    """Rename one of the signed-in user's passkeys (audited)."""
    return passkeys.rename(g.user, passkey_id, args["name"])


@blp.route("/<int:passkey_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(404, schema=ErrorSchema, description="not_found (also another user's passkey)")
def remove_passkey(passkey_id):
    """Remove one of the signed-in user's passkeys: it no longer signs anyone in (audited)."""
    passkeys.remove(g.user, passkey_id)


@blp.route("/login/options", methods=["POST"])
@blp.arguments(PasskeyLoginOptionsSchema)
@blp.response(200, PasskeyOptionsSchema)
@blp.doc(security=[])
@public
def login_options(args):
    """Start a passkey sign-in: options for navigator.credentials.get(). With a username only that
    user's passkeys may answer; without, any passkey of this site (the person picks the account)."""
    return passkeys.authentication_options(args.get("username"))


@blp.route("/login", methods=["POST"])
@blp.arguments(PasskeyLoginSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(
    401,
    schema=ErrorSchema,
    description="passkey_invalid, passkey_challenge_invalid, passkey_origin_invalid, passkey_unknown, "
    "passkey_user_mismatch, passkey_counter_invalid (a cloned key)",
)
@blp.alt_response(403, schema=ErrorSchema, description="user_inactive, device_revoked")
@blp.alt_response(423, schema=ErrorSchema, description="account_locked; Retry-After")
@blp.alt_response(429, schema=ErrorSchema, description="rate_limited; Retry-After")
@blp.doc(security=[])
@public
def login(args):
    """Sign in with a passkey from a device: the same tokens as a password sign-in."""
    return passkeys.login(args["credential"], str(args["device_id"]), args.get("device_name"), args["client"])
