"""Query parameters of OGC API requests, checked before any collection sees them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, true

from placemaker.errors import InvalidInput
from placemaker.geo import parse_bbox
from placemaker.ogc.registry import Bbox, Collection, Interval, ItemQuery, Property

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
MAX_OFFSET = 10_000_000

# Representations of items; csv-excel is CSV with semicolons, decimal commas and a BOM.
ITEM_FORMATS = ("json", "geojson", "html", "csv", "csv-excel", "gpkg")
# Parameters every OGC request may carry besides its own (lang: the page language).
COMMON_PARAMS = frozenset({"f", "lang"})
ITEM_PARAMS = frozenset({"bbox", "limit", "offset", "datetime"})

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_known(args: Mapping[str, Any], allowed: frozenset[str] | set[str]) -> None:
    """OGC API Features /req/core/query-param-unknown: unknown parameters are a 400."""
    unknown = sorted(set(args) - set(allowed) - COMMON_PARAMS)
    if unknown:
        raise InvalidInput(f"unknown query parameter {unknown[0]!r} "
                           f"(allowed: {', '.join(sorted(set(allowed) | COMMON_PARAMS))})")


def parse_format(args: Mapping[str, Any], allowed: tuple[str, ...]) -> str | None:
    value = args.get("f")
    if value in (None, ""):
        return None
    if value not in allowed:
        raise InvalidInput(f"f must be one of {', '.join(allowed)}")
    return value


def parse_limit(raw: str | None, default: int | None = DEFAULT_LIMIT,
                maximum: int = MAX_LIMIT) -> int | None:
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise InvalidInput("limit must be a whole number")
    value = int(raw)
    if not 1 <= value <= maximum:
        raise InvalidInput(f"limit must lie between 1 and {maximum}")
    return value


def parse_offset(raw: str | None) -> int:
    if raw is None or raw == "":
        return 0
    if not raw.isdigit():
        raise InvalidInput("offset must be a whole number of 0 or more")
    value = int(raw)
    if value > MAX_OFFSET:
        raise InvalidInput(f"offset must be at most {MAX_OFFSET}")
    return value


def parse_ogc_bbox(raw: str | None) -> Bbox | None:
    """``minlon,minlat,maxlon,maxlat`` or, with heights, six numbers (heights ignored)."""
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    elif len(parts) != 4:
        raise InvalidInput("bbox needs four numbers: min_lon,min_lat,max_lon,max_lat")
    try:
        return parse_bbox(",".join(parts))
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def _moment(text: str, *, end: bool) -> datetime | None:
    if text in ("", ".."):
        return None
    try:
        if _DATE.match(text):
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return day.replace(hour=23, minute=59, second=59, microsecond=999999) if end else day
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise InvalidInput(
            f"datetime {text!r} is not an RFC 3339 date or date-time "
            "(e.g. 2024-05-01 or 2024-05-01T12:00:00Z)"
        ) from None
    if value.tzinfo is None:
        raise InvalidInput(f"datetime {text!r} needs a time zone (e.g. Z for UTC)")
    return value.astimezone(UTC)


def parse_datetime(raw: str | None) -> Interval | None:
    """An instant, or an interval ``start/end`` with ``..`` for an open end."""
    if raw is None or raw == "":
        return None
    if "/" in raw:
        parts = raw.split("/")
        if len(parts) != 2 or parts == ["..", ".."] or parts == ["", ""]:
            raise InvalidInput("datetime interval must be start/end with at most one '..'")
        start, end = _moment(parts[0], end=False), _moment(parts[1], end=True)
        if start is not None and end is not None and start > end:
            raise InvalidInput("datetime interval must start before it ends")
        return start, end
    if raw == "..":
        raise InvalidInput("datetime '..' needs the other end of the interval")
    return _moment(raw, end=False), _moment(raw, end=True)


def interval_clause(column: Any, interval: Interval) -> ColumnElement[bool]:
    """The datetime filter in SQL: ``column`` (naive UTC, as the database stores it) lies in
    ``interval``, either end open."""
    start, end = interval
    bounds = [] if start is None else [column >= start.replace(tzinfo=None)]
    if end is not None:
        bounds.append(column <= end.replace(tzinfo=None))
    return and_(true(), *bounds)


def parse_value(prop: Property, raw: str) -> Any:
    try:
        if prop.type == "integer":
            if not re.fullmatch(r"-?\d{1,18}", raw):
                raise ValueError
            return int(raw)
        if prop.type == "number":
            value = float(raw)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
            return value
        if prop.type == "boolean":
            return {"true": True, "false": False}[raw.lower()]
    except (ValueError, KeyError):
        raise InvalidInput(f"{prop.name} must be a{'n' if prop.type == 'integer' else ''} "
                           f"{prop.type}") from None
    if prop.enum and raw not in prop.enum:
        raise InvalidInput(f"{prop.name} must be one of {', '.join(prop.enum)}")
    return raw


def item_query(collection: Collection, args: Mapping[str, Any], *,
               default_limit: int | None = DEFAULT_LIMIT) -> ItemQuery:
    """The ItemQuery for ``args`` (a request's query string), or InvalidInput (400)."""
    queryables = {p.name: p for p in collection.queryables}
    allowed = set(ITEM_PARAMS) | set(queryables)
    if collection.temporal_property is None:
        allowed.discard("datetime")
    check_known(args, allowed)
    return ItemQuery(
        bbox=parse_ogc_bbox(args.get("bbox")),
        limit=parse_limit(args.get("limit"), default_limit),
        offset=parse_offset(args.get("offset")),
        datetime=parse_datetime(args.get("datetime")),
        filters={name: parse_value(queryables[name], args[name])
                 for name in queryables if args.get(name) not in (None, "")},
    )
