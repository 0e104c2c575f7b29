"""Opening hours in OpenStreetMap's ``opening_hours`` syntax: checked, and told in words.

Parsing is done by opening-hours-py (the Rust ``opening-hours`` crate); we only ask it which
intervals of a reference week are open.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import opening_hours
from babel.dates import get_day_names
from flask_babel import gettext as _

from placemaker.errors import InvalidInput

MAX_LENGTH = 500
# A plain week without public holidays: the week a description or a window is measured in.
REFERENCE_MONDAY = datetime(2025, 1, 13)


def parse(text: str) -> opening_hours.OpeningHours:
    try:
        return opening_hours.OpeningHours(text)
    except (opening_hours.ParserError, ValueError) as exc:  # type: ignore[attr-defined]  # not in its stubs
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise InvalidInput(
            _(
                "These opening hours are not in OpenStreetMap's opening_hours syntax "
                "(for example “Mo-Fr 12:00-18:00; Sa 10:00-14:00”): %(problem)s",
                problem=first,
            ),
            details={"field": "opening_hours"},
        ) from None


def clean(text: str | None) -> str | None:
    """The opening hours as typed, trimmed; None when empty.

    :raises InvalidInput: when the text is too long or not valid opening_hours syntax.
    """
    text = " ".join((text or "").split())
    if not text:
        return None
    if len(text) > MAX_LENGTH:
        raise InvalidInput(
            _("Opening hours have at most %(max)d characters.", max=MAX_LENGTH),
            details={"field": "opening_hours"},
        )
    parse(text)
    return text


def open_intervals(text: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The open intervals in [start, end) ("unknown" counts as closed)."""
    hours = parse(text)
    out = []
    for begin, finish, state, _comment in hours.intervals(start, end):
        if state == opening_hours.State.OPEN:
            out.append((max(begin, start), min(finish or end, end)))
    return out


def week_table(text: str, language: str = "nl") -> list[tuple[str, list[str]]]:
    """Per weekday (Monday first) its open times, e.g. ``("maandag", ["12:00–18:00"])``."""
    names = get_day_names("wide", locale=language)
    table = []
    for day in range(7):
        start = REFERENCE_MONDAY + timedelta(days=day)
        end = start + timedelta(days=1)
        ranges = []
        for begin, finish in open_intervals(text, start, end):
            last = "24:00" if finish == end else finish.strftime("%H:%M")
            ranges.append(f"{begin.strftime('%H:%M')}–{last}")
        table.append((names[day], ranges))
    return table


def describe(text: str | None, language: str = "nl") -> str:
    """One line in words: "maandag 12:00–18:00; dinsdag gesloten; …"."""
    if not text:
        return ""
    closed = "gesloten" if language == "nl" else "closed"
    return "; ".join(
        f"{day} {', '.join(ranges) if ranges else closed}"
        for day, ranges in week_table(text, language)
    )
