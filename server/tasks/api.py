from flask import g
from flask_smorest import Blueprint

from server.auth.access import roles_required
from server.schemas import ErrorSchema
from server.scoping import current_scope
from server.tasks import services, views
from server.tasks.schemas import (
    AssignSchema,
    AutoAssignResultSchema,
    AutoAssignSchema,
    CancelSchema,
    LoadSchema,
    RecontactSchema,
    TaskDetailSchema,
    TaskListArgs,
    TaskListSchema,
    TaskSchema,
)
from server.users.roles import ADMIN, PHONE_AGENT, SUPERVISOR

blp = Blueprint(
    "tasks", __name__, url_prefix="/api/v1/tasks", description="面访任务 Visit tasks (R1, R8, R12–R15)"
)


@blp.route("", methods=["GET"])
@blp.arguments(TaskListArgs, location="query")
@blp.response(200, TaskListSchema)
def list_tasks(args):
    """Tasks of the caller's subtree (a specialist: their own), earliest due first, keyset-paginated."""
    rows, next_cursor = views.list_tasks(current_scope(), g.user, args)
    return {"items": [views.task_view(task, g.user) for task in rows], "next_cursor": next_cursor}


@blp.route("/load", methods=["GET"])
@blp.response(200, LoadSchema)
@roles_required(SUPERVISOR, ADMIN)
def team_load():
    """Each specialist's open, overdue and soon-due tasks: the supervisor's view of the team."""
    return {"items": views.team_load(current_scope())}


@blp.route("/<int:task_id>", methods=["GET"])
@blp.response(200, TaskDetailSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_task(task_id):
    """A task with its policy (personal data masked by role) and its whole history."""
    return views.task_detail(views.get_task(current_scope(), g.user, task_id), g.user)


@blp.route("/assign", methods=["POST"])
@blp.arguments(AssignSchema)
@blp.response(200, TaskListSchema)
@blp.alt_response(409, schema=ErrorSchema, description="assignment_refused: nothing was assigned")
@roles_required(SUPERVISOR, ADMIN)
def assign(args):
    """Assign or reassign tasks to one specialist, all or nothing; never to the policy's salesperson."""
    tasks = services.assign(
        current_scope(), g.user, args["task_ids"], args["assignee_id"], args.get("reason")
    )
    return {"items": [views.task_view(task, g.user) for task in tasks], "next_cursor": None}


@blp.route("/auto-assign", methods=["POST"])
@blp.arguments(AutoAssignSchema)
@blp.response(200, AutoAssignResultSchema)
@roles_required(SUPERVISOR, ADMIN)
def auto_assign(args):
    """Give unassigned tasks to the least-loaded eligible specialist of each task's area."""
    result = services.auto_assign(current_scope(), g.user, args.get("task_ids"))
    return {key: {str(k): v for k, v in value.items()} for key, value in result.items()}


@blp.route("/<int:task_id>/recontact", methods=["POST"])
@blp.arguments(RecontactSchema)
@blp.response(200, TaskSchema)
@roles_required(SUPERVISOR, ADMIN, PHONE_AGENT)
def recontact(args, task_id):
    """R12: record the re-confirmed contact details of a failed phone callback."""
    task = services.recontact(
        current_scope(), g.user, task_id, args["outcome"], args.get("phone"), args.get("note")
    )
    return views.task_view(task, g.user)


@blp.route("/<int:task_id>/cancel", methods=["POST"])
@blp.arguments(CancelSchema)
@blp.response(200, TaskSchema)
@roles_required(SUPERVISOR, ADMIN)
def cancel(args, task_id):
    return views.task_view(services.cancel(current_scope(), g.user, task_id, args["reason"]), g.user)
