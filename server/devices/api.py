from flask import g
from flask_smorest import Blueprint

from server.auth.access import roles_required
from server.devices import services
from server.devices.schemas import DeviceListArgs, DeviceListSchema, DeviceSchema, RevokeSchema
from server.schemas import ErrorSchema
from server.scoping import current_scope
from server.users.roles import ADMIN, SUPERVISOR

blp = Blueprint("devices", __name__, url_prefix="/api/v1", description="设备 Devices (a lost tablet)")


@blp.route("/devices", methods=["GET"])
@blp.arguments(DeviceListArgs, location="query")
@blp.response(200, DeviceListSchema)
@roles_required(ADMIN, SUPERVISOR)
def list_devices(args):
    """Devices of the users of the caller's subtree, newest first; keyset pages via next_cursor."""
    items, next_cursor = services.list_devices(current_scope(), args, g.device.id)
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/devices/<int:device_id>/revoke", methods=["POST"])
@blp.arguments(RevokeSchema)
@blp.response(200, DeviceSchema)
@blp.alt_response(404, schema=ErrorSchema, description="not_found (also outside the caller's subtree)")
@blp.alt_response(409, schema=ErrorSchema, description="device_already_revoked, cannot_revoke_own_device")
@roles_required(ADMIN, SUPERVISOR)
def revoke_device(args, device_id):
    """Revoke a lost or stolen device: its tokens stop at once, sign-in from it is refused, and the
    field app wipes its local data (unsynced visits included) at its next contact. Audited."""
    return services.revoke(current_scope(), g.user, g.device, device_id, args["reason"])
