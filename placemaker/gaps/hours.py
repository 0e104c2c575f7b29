"""Time windows of the gap analysis, and how many of a window's hours a place is open.

A bench is always there; a coffee corner open two afternoons a week serves its street less.
With a window chosen (weekday afternoons, evenings, the whole week), a place counts as
covering its cells only when it is open for at least ``MIN_OPEN_SHARE`` of the window's hours.
Places without opening hours (benches, gardens) count as always open. The week measured is
:data:`placemaker.places.opening.REFERENCE_MONDAY`'s, a week without public holidays. The
arithmetic is plain; only :func:`window_report` reads the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from placemaker.extensions import db
from placemaker.places.models import Place, PlaceKind, PlaceStatus
from placemaker.places.opening import REFERENCE_MONDAY, open_intervals

MIN_OPEN_SHARE = 0.5


@dataclass(frozen=True)
class Window:
    code: str
    label_nl: str
    label_en: str
    days: tuple[int, ...]  # 0 = Monday
    start_hour: int
    end_hour: int  # exclusive; 24 for midnight

    @property
    def hours(self) -> int:
        return len(self.days) * (self.end_hour - self.start_hour)

    def spans(self):
        """The window's (start, end) datetimes in the reference week."""
        for day in self.days:
            base = REFERENCE_MONDAY + timedelta(days=day)
            yield base + timedelta(hours=self.start_hour), base + timedelta(hours=self.end_hour)


WINDOWS = {
    w.code: w
    for w in (
        Window("week", "de hele week", "the whole week", tuple(range(7)), 0, 24),
        Window(
            "weekday_afternoons",
            "doordeweekse middagen",
            "weekday afternoons",
            tuple(range(5)),
            12,
            18,
        ),
        Window("evenings", "avonden", "evenings", tuple(range(7)), 18, 23),
        Window("weekend", "het weekend", "the weekend", (5, 6), 9, 18),
    )
}


def open_hours(opening_hours: str | None, window: Window) -> float:
    """How many of the window's hours a place with these opening hours is open."""
    if not opening_hours:
        return float(window.hours)
    seconds = 0.0
    for start, end in window.spans():
        for begin, finish in open_intervals(opening_hours, start, end):
            seconds += (finish - begin).total_seconds()
    return round(seconds / 3600.0, 2)


def counts(opening_hours: str | None, window: Window | None) -> bool:
    """Whether a place covers its cells in this window (always, without a window)."""
    if window is None:
        return True
    return open_hours(opening_hours, window) >= MIN_OPEN_SHARE * window.hours


def explain(opening_hours: str | None, window: Window, language: str = "nl") -> str:
    """ "open 6 of 35 evening hours" in words."""
    hours = open_hours(opening_hours, window)
    shown = f"{hours:g}"
    if language == "nl":
        return f"open {shown} van {window.hours} uur ({window.label_nl})"
    return f"open {shown} of {window.hours} hours ({window.label_en})"


def window_report(params: Any) -> dict[str, Any] | None:
    """Which window an analysis used and, for every place with opening hours that the
    analysis looks at, how many of the window's hours it is open and whether it counted.

    :param params: a :class:`placemaker.gaps.params.GapParams`; None when it has no window.
    """
    window = WINDOWS.get(params.window) if params.window else None
    if window is None:
        return None
    query = (
        select(Place.id, Place.name, Place.opening_hours)
        .join(PlaceKind)
        .where(Place.status == PlaceStatus.active, Place.opening_hours.is_not(None))
        .order_by(Place.id)
    )
    if params.kind:
        query = query.where(Place.kind_code == params.kind)
    if params.rung:
        query = query.where(PlaceKind.ladder_rung == params.rung)
    places = []
    for row in db.session.execute(query):
        hours = open_hours(row.opening_hours, window)
        places.append(
            {
                "id": row.id,
                "name": row.name,
                "opening_hours": row.opening_hours,
                "open_hours": hours,
                "counts": counts(row.opening_hours, window),
                "explanation_nl": explain(row.opening_hours, window, "nl"),
                "explanation_en": explain(row.opening_hours, window, "en"),
            }
        )
    return {
        "code": window.code,
        "label_nl": window.label_nl,
        "label_en": window.label_en,
        "hours": window.hours,
        "min_open_share": MIN_OPEN_SHARE,
        "places_without_hours": "always open",
        "places": places,
    }
