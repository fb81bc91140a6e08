"""``flask --app server huifang load-templates``: the built-in templates, independent of migrations."""

from __future__ import annotations

import click

from server.cli import group
from server.errors import HuifangError
from server.questionnaires import services


@group.command("load-templates")
@click.option("--update", is_flag=True, help="also publish built-in templates whose content changed")
def load_templates(update: bool):
    """Load the built-in questionnaires (R6–R9, R14, R15), published (idempotent)."""
    try:
        results = services.load_templates(update=update)
    except HuifangError as err:
        raise click.ClickException(f"{err.message} / {err.message_en}") from err
    for result in results:
        version = f" v{result.version}" if result.version else ""
        click.echo(f"  {result.code:<24} {result.action}{version}")
