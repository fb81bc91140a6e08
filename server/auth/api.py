from flask import g
from flask_smorest import Blueprint

from server.auth import services
from server.auth.access import public
from server.auth.schemas import LoginSchema, LogoutSchema, RefreshSchema, TokenSchema
from server.schemas import ErrorSchema
from server.users.schemas import MeSchema

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="登录与令牌 Sign-in and tokens")


@blp.route("/auth/login", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(401, schema=ErrorSchema, description="invalid_credentials")
@blp.alt_response(
    423, schema=ErrorSchema, description="account_locked (wrong passwords in a row); Retry-After"
)
@blp.alt_response(429, schema=ErrorSchema, description="rate_limited; Retry-After")
@blp.doc(security=[])
@public
def login(args):
    """Sign in with username and password from a device; returns an access and a refresh token."""
    return services.login(
        args["username"], args["password"], str(args["device_id"]), args.get("device_name"), args["client"]
    )


@blp.route("/auth/refresh", methods=["POST"])
@blp.arguments(RefreshSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(
    401, schema=ErrorSchema, description="refresh_token_invalid / _expired / _reused, device_mismatch"
)
@blp.alt_response(429, schema=ErrorSchema, description="rate_limited; Retry-After")
@blp.doc(security=[])
@public
def refresh(args):
    """Trade a refresh token for a new pair; the old one stops working (rotation)."""
    return services.refresh(args["refresh_token"], str(args["device_id"]))


@blp.route("/auth/logout", methods=["POST"])
@blp.arguments(LogoutSchema)
@blp.response(204)
@blp.doc(security=[])
@public
def logout(args):
    """End the sign-in the refresh token belongs to (all its rotations)."""
    services.logout(args["refresh_token"])


@blp.route("/me", methods=["GET"])
@blp.response(200, MeSchema)
@blp.alt_response(401, schema=ErrorSchema)
def me():
    """The signed-in user: name, institution with its path from the province, roles."""
    return g.user
