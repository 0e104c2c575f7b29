"""Query parameters of OGC API requests, checked before any collection sees them.

The items' arguments are a marshmallow schema per collection (placemaker.edge fields, as
the JSON API's), which also writes their part of the OpenAPI document; OGC's own rules stay:
unknown parameters are a 400, bbox may carry heights, limit defaults to 10.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate
from sqlalchemy import ColumnElement, and_, true

from placemaker.edge import Args, Bbox, Int, load_args
from placemaker.errors import InvalidInput
from placemaker.ogc.registry import Collection, Interval, ItemQuery, Property

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
        raise InvalidInput(
            f"unknown query parameter {unknown[0]!r} "
            f"(allowed: {', '.join(sorted(set(allowed) | COMMON_PARAMS))})"
        )


def parse_format(args: Mapping[str, Any], allowed: tuple[str, ...]) -> str | None:
    value = args.get("f")
    if value in (None, ""):
        return None
    if value not in allowed:
        raise InvalidInput(f"f must be one of {', '.join(allowed)}")
    return value


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


# --- the items' arguments: one marshmallow schema per collection, as for the JSON API ----------


class Datetime(fields.String):
    """OGC's ``datetime``: an instant, or an interval ``start/end`` with ``..`` open."""

    def _deserialize(  # type: ignore[override]
        self,
        value: Any,
        attr: Any,
        data: Any,
        **kwargs: Any,
    ) -> Interval | None:
        try:
            return parse_datetime(str(value))
        except InvalidInput as exc:
            raise ValidationError(exc.message) from None


class Boolean(fields.Boolean):
    """``true`` or ``false``, in any case."""

    def __init__(self, **kwargs: Any):
        super().__init__(
            truthy={"true"},
            falsy={"false"},
            error_messages={"invalid": "must be a boolean"},
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        return super()._deserialize(str(value).lower(), attr, data, **kwargs)


class ExportArgs(Args):
    bbox = Bbox(heights=True)
    limit = Int(1, MAX_LIMIT, description="At most this many features")
    offset = fields.Integer(
        load_default=0,
        metadata={"description": "Skip this many features"},
        validate=[
            validate.Range(min=0, error="must be a whole number of 0 or more"),
            validate.Range(max=MAX_OFFSET, error="must be at most {max}"),
        ],
        error_messages={"invalid": "must be a whole number of 0 or more"},
    )


class ItemArgs(ExportArgs):
    limit = fields.Integer(
        validate=validate.Range(1, MAX_LIMIT, error="must lie between {min} and {max}"),
        error_messages={"invalid": "must be a whole number"},
        metadata={"description": f"Page size (default {DEFAULT_LIMIT})", "default": DEFAULT_LIMIT},
    )


def property_field(prop: Property) -> fields.Field:
    """The argument that filters a queryable property by equality."""
    description = f"Only features whose {prop.name} equals this value" + (
        f" ({prop.description})" if prop.description else ""
    )
    metadata = {"description": description}
    if prop.type == "integer":
        # 18 digits: beyond them PostgreSQL's bigint overflows (a server error).
        return fields.Integer(
            metadata=metadata,
            error_messages={"invalid": "must be an integer"},
            validate=validate.Range(-(10**18) + 1, 10**18 - 1, error="must be an integer"),
        )
    if prop.type == "number":
        return fields.Float(
            metadata=metadata,
            error_messages={"invalid": "must be a number", "special": "must be a number"},
        )
    if prop.type == "boolean":
        return Boolean(metadata=metadata)
    return fields.String(
        metadata=metadata,
        validate=validate.OneOf(prop.enum, error="must be one of {choices}") if prop.enum else None,
    )


def item_args(collection: Collection, *, export: bool = False) -> Args:
    """The schema of ``collection``'s items (or export) arguments: paging, bbox, datetime
    when its features have a time, and its queryables."""
    base = ExportArgs if export else ItemArgs
    declared: dict[str, fields.Field] = {}
    if collection.temporal_property:
        declared["datetime"] = Datetime(
            metadata={
                "description": (
                    f"Only features whose {collection.temporal_property} lies in this instant or "
                    "interval (RFC 3339; '..' for an open end), e.g. 2024-01-01T00:00:00Z/.."
                )
            }
        )
    declared |= {p.name: property_field(p) for p in collection.queryables}
    return type(f"{base.__name__}_{collection.id}", (base,), declared)()


def item_query(
    collection: Collection, args: Mapping[str, Any], *, default_limit: int | None = DEFAULT_LIMIT
) -> ItemQuery:
    """The ItemQuery for ``args`` (a request's query string), or InvalidInput (400)."""
    queryables = {p.name for p in collection.queryables}
    allowed = set(ITEM_PARAMS) | queryables
    if collection.temporal_property is None:
        allowed.discard("datetime")
    check_known(args, allowed)
    values = load_args(item_args(collection, export=default_limit is None), args)
    return ItemQuery(
        bbox=values.get("bbox"),
        limit=values.get("limit", default_limit),
        offset=values["offset"],
        datetime=values.get("datetime"),
        filters={name: values[name] for name in queryables if name in values},
    )
