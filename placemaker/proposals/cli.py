"""``flask erase-personal-data``: run daily (cron, a systemd timer) to honour the promise."""

from __future__ import annotations

import click

from placemaker.extensions import db
from placemaker.proposals.tracking import erase_expired_personal_data


@click.command("erase-personal-data")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    help="Erase after this many days closed (default: PROPOSAL_PERSONAL_DATA_DAYS).",
)
def erase_personal_data_command(days):
    """Erase residents' names and e-mail addresses of proposals closed long enough ago."""
    count = erase_expired_personal_data(days)
    db.session.commit()
    click.echo(f"erased personal data of {count} proposal{'s' if count != 1 else ''}")
