from flask import g
from flask_smorest import Blueprint

from server.auth.access import roles_required
from server.schemas import ErrorSchema
from server.scoping import current_scope
from server.users import services
from server.users.roles import ADMIN, ROLES
from server.users.schemas import (
    PasswordSchema,
    RoleListSchema,
    UserCreateSchema,
    UserListArgs,
    UserListSchema,
    UserSchema,
    UserUpdateSchema,
)

blp = Blueprint("users", __name__, url_prefix="/api/v1", description="用户与角色 Users and roles (R3)")


@blp.route("/roles", methods=["GET"])
@blp.response(200, RoleListSchema)
def list_roles():
    """The roles of R3 with their Chinese and English names."""
    return {"items": [{"code": code, "name": zh, "name_en": en} for code, (zh, en) in ROLES.items()]}


@blp.route("/users", methods=["GET"])
@blp.arguments(UserListArgs, location="query")
@blp.response(200, UserListSchema)
@roles_required(ADMIN)
def list_users(args):
    """Users of the caller's subtree; q matches username, name or phone; keyset pages via next_cursor."""
    items, next_cursor = services.list_users(current_scope(), args)
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/users", methods=["POST"])
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
@blp.alt_response(409, schema=ErrorSchema, description="username_taken")
@blp.alt_response(403, schema=ErrorSchema, description="out_of_scope")
@roles_required(ADMIN)
def create_user(args):
    return services.create(current_scope(), args)


@blp.route("/users/<int:user_id>", methods=["GET"])
@blp.response(200, UserSchema)
@blp.alt_response(404, schema=ErrorSchema)
@roles_required(ADMIN)
def get_user(user_id):
    return current_scope().get(services.User, user_id, "用户", "user")


@blp.route("/users/<int:user_id>", methods=["PATCH"])
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
@blp.alt_response(404, schema=ErrorSchema)
@roles_required(ADMIN)
def update_user(args, user_id):
    """Change name, phone, institution, roles or active state. Disabling ends the user's sign-ins."""
    return services.update(current_scope(), g.user, user_id, args)


@blp.route("/users/<int:user_id>/password", methods=["POST"])
@blp.arguments(PasswordSchema)
@blp.response(204)
@roles_required(ADMIN)
def set_password(args, user_id):
    """Set a new password (an administrator's reset); ends the user's sign-ins."""
    services.set_password(current_scope(), user_id, args["password"])
