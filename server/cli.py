"""Operator commands: ``flask --app server huifang ...``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from server import demo
from server.auth.passwords import DEMO_PASSWORD, check_strength, hash_password
from server.errors import HuifangError
from server.extensions import db
from server.institutions import services as institutions
from server.institutions.models import Institution
from server.users.models import User, UserRole
from server.users.roles import ADMIN, ROLES

group = AppGroup("huifang", help="回访通 operations.")


@group.command("demo-data")
def demo_data():
    """Load the demo province and one user per role (idempotent; refused in production)."""
    if current_app.config["HUIFANG_ENV"] == "production":
        raise click.ClickException(
            "demo data is refused when HUIFANG_ENV=production (its password is public)"
        )
    users = demo.load()
    demo.load_work()  # policies and tasks to try the loop with (tests load users and templates only)
    click.echo(f"演示账号 Demo logins (password / 密码: {DEMO_PASSWORD}):")
    for user in users:
        inst = db.session.scalars(select(Institution).where(Institution.code == user.institution_code)).one()
        role_names = "、".join(ROLES[role][0] for role in user.roles)
        click.echo(f"  {user.username:<12} {user.display_name:<6} {inst.name:<6} {role_names}")


@group.command("bootstrap")
@click.option("--province-code", required=True, help="e.g. 37")
@click.option("--province-name", required=True, help="e.g. 山东省")
@click.option("--admin-username", required=True)
@click.option("--admin-name", default="系统管理员", show_default=True)
@click.password_option("--admin-password", help="prompted for when not given")
def bootstrap(province_code, province_name, admin_username, admin_name, admin_password):
    """Create the province and its first administrator on an empty database (production set-up)."""
    if db.session.scalars(select(Institution.id)).first() is not None:
        raise click.ClickException("institutions exist already; bootstrap is for an empty database")
    try:
        check_strength(admin_password, admin_username)
    except HuifangError as err:
        raise click.ClickException(f"{err.message} / {err.message_en}") from err
    province = institutions.add_root(province_code, province_name)
    db.session.add(
        User(
            username=admin_username.strip().lower(),
            display_name=admin_name,
            institution_id=province.id,
            password_hash=hash_password(admin_password),
            role_rows=[UserRole(role=ADMIN)],
        )
    )
    db.session.commit()
    click.echo(f"created {province_name} ({province_code}) and administrator {admin_username}")


@group.command("verify-evidence")
@click.option("--visit", "visit_uuid", help="one visit's UUID; without it, the whole log")
def verify_evidence(visit_uuid):
    """Verify sealed evidence: one visit, or every tree head and manifest of the log. Exit 1 on failure."""
    from server.evidence import services as evidence

    result = evidence.verify_visit(visit_uuid) if visit_uuid else evidence.verify_chain()
    for problem in result["problems"]:
        click.echo(
            f"FAIL [{problem.get('part')}] {problem.get('code')}: {problem.get('message_en')}", err=True
        )
    click.echo(
        ("OK" if result["ok"] else "FAILED") + f" ({result.get('tree_size', result.get('size'))} entries)"
    )
    raise SystemExit(0 if result["ok"] else 1)


@group.command("worker")
@click.option("--once", is_flag=True, help="run what is due now, then exit (for cron or a check)")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    help="seconds between polls when there is nothing to do",
)
def worker(once, interval):
    """Run outbox jobs (webhooks, dispatches, ...): run as many as wanted, they never take the same job."""
    import signal
    import threading

    from server.outbox import worker as outbox_worker

    app = current_app._get_current_object()
    if once:
        totals = {"claimed": 0, "done": 0, "retried": 0, "dead": 0}
        while True:  # until a pass finds less than a full batch
            counts = outbox_worker.run_once(app)
            for key in totals:
                totals[key] += counts[key]
            if counts["claimed"] < outbox_worker.BATCH:
                break
        click.echo(" ".join(f"{key}={value}" for key, value in totals.items()))
        return
    stop = threading.Event()

    def _graceful(signum, frame):  # finish the job in hand, then exit
        stop.set()

    signal.signal(signal.SIGTERM, _graceful)
    signal.signal(signal.SIGINT, _graceful)
    click.echo(
        f"outbox worker polling every {interval:g} s (SIGTERM or Ctrl-C stops it after the job in hand)"
    )
    outbox_worker.run_forever(app, stop=stop, interval=interval)


@group.command("digest")
@click.option("--institution", "code", default=None, help="institution code; default: every top-level one")
def digest(code):
    """The daily digest of overdue work (tasks, reviews, callbacks, cases), printed and sent as a webhook.

    Run it once a day from cron or a systemd timer; a second run on the same day sends nothing twice.
    """
    from sqlalchemy import select

    from server.extensions import db
    from server.institutions.models import Institution
    from server.overdue import services as overdue

    stmt = (
        select(Institution).where(Institution.code == code)
        if code
        else select(Institution).where(Institution.parent_id.is_(None))
    )
    roots = list(db.session.scalars(stmt))
    if not roots:
        raise click.ClickException(f"no institution {code!r}")
    for root in roots:
        click.echo(overdue.send_digest(root)["text"])


def register(app: Flask) -> None:
    from server.intake import cli as _intake_cli  # noqa: F401 - registers import-file and generate

    app.cli.add_command(group)
