"""Command-line tools: importers, the demo and user management (``flask --app placemaker …``)."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from placemaker.accounts.models import AreaAssignment, Role, User
from placemaker.areas.models import Area
from placemaker.dbadmin import ensure_database
from placemaker.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
from placemaker.demo import data_dir as default_data_dir
from placemaker.extensions import db
from placemaker.imports.commands import IMPORT_COMMANDS, click_progress, run_import
from placemaker.imports.common import ImportFailed
from placemaker.imports.recipes import load_recipe


@click.command("demo")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="Folder with amsterdam/ (default: $PLACEMAKER_DATA_DIR or ../shared/data).",
)
def demo_command(data_dir):
    """Load the Amsterdam demo (idempotent) and print the demo logins."""
    run_import(lambda: load_demo(Path(data_dir) if data_dir else None, click_progress))
    click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
    for email, name, role, areas in DEMO_USERS:
        where = ", ".join(code for code, _ in areas)
        click.echo(f"  {role.value:13} {email}  ({name}{', ' + where if where else ''})")


@click.command("load")
@click.argument("recipe", type=click.Path(dir_okay=False))
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="Folder the recipe's files are relative to "
    "(default: $PLACEMAKER_DATA_DIR or ../shared/data).",
)
def load_command(recipe, data_dir):
    """Load a municipality from a recipe (recipes/utrecht.toml); safe to run again."""
    started = time.monotonic()
    try:
        reports = load_recipe(
            recipe,
            Path(data_dir) if data_dir else default_data_dir(),
            progress=click_progress,
            echo=click.echo,
        )
    except ImportFailed as exc:
        raise click.ClickException(f"{exc}\nThe failing step was not imported.") from None
    click.echo("\nSummary:")
    for report in reports:
        for line in report.summary_lines():
            click.echo(line)
    if not all(r.ok for r in reports):
        raise click.ClickException(
            "a step failed and was rolled back; the steps before it "
            "were imported (run again after fixing it)."
        )
    click.echo(f"done in {time.monotonic() - started:.1f} s")


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["area_manager", "planner", "admin"]), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--area", "areas", multiple=True, help="Area code the manager looks after.")
def create_user_command(email, name, role, password, areas):
    """Create a user; area managers get the areas they look after from today."""
    if db.session.scalar(select(User).where(User.email == email)):
        raise click.ClickException(f"a user {email} exists already")
    if len(password) < 10:
        raise click.ClickException("a password needs at least 10 characters")
    user = User(email=email, name=name, role=Role(role))
    user.set_password(password)
    for code in areas:
        area = db.session.scalar(select(Area).where(Area.code == code))
        if area is None:
            raise click.ClickException(f"unknown area {code}")
        user.assignments.append(AreaAssignment(area_id=area.id))
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {role} {email}")


@click.command("create-database")
def create_database_command():
    """Create the database named in DATABASE_URL if it does not exist yet."""
    created = ensure_database(db.engine.url)
    click.echo(f"database {db.engine.url.database} {'created' if created else 'exists'}")


COMMANDS = [
    create_database_command,
    *IMPORT_COMMANDS,
    demo_command,
    load_command,
    create_user_command,
]


def register_cli(app: Flask) -> None:
    """The core commands; features add theirs in ``create_app``."""
    for command in COMMANDS:
        app.cli.add_command(command)
