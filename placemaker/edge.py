"""The HTTP edge for JSON: one marshmallow schema per endpoint parses its query arguments
(through webargs) and describes them in the OpenAPI document (through apispec), so the two
cannot drift.

A view declares itself with :func:`endpoint`::

    class AreaArgs(Args):
        year = Int(1900, 2100, description="Cohesion score of this year")


    @bp.get("/areas/<code>")
    @endpoint("Areas", "One area", args=AreaArgs, response="AreaDetail", errors=(404,))
    def get_area(args, code): ...

``placemaker.api.openapi`` builds the document from the app's routes: a route under /api/
without :func:`endpoint` is missing there, and ``tests/test_openapi.py`` fails.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate
from webargs.flaskparser import FlaskParser

from placemaker.errors import InvalidInput
from placemaker.geo import NL_BBOX, parse_bbox

JSON = "application/json"
GEOJSON = "application/geo+json"
# PostgreSQL text cannot hold NUL, so no text parameter may contain it (a 400 otherwise).
NO_NUL = "^[^\\u0000]*$"
MAX_OFFSET = 10_000_000  # beyond PostgreSQL's OFFSET range lies a server error, not a page


# --- fields ------------------------------------------------------------------------------------


def Int(low: int, high: int | None = None, **kwargs: Any) -> fields.Integer:  # noqa: N802
    """A whole number in ``[low, high]``; its messages name the argument."""
    metadata = {k: kwargs.pop(k) for k in ("description",) if k in kwargs}
    return fields.Integer(
        strict=False,
        validate=validate.Range(
            low,
            high,
            error=(
                "must lie between {min} and {max}" if high is not None else "must be at least {min}"
            ),
        ),
        error_messages={"invalid": "must be a whole number", "required": "is required"},
        metadata=metadata,
        **kwargs,
    )


def Float(
    low: float,
    high: float,
    *,
    error: str | None = None,  # noqa: N802
    **kwargs: Any,
) -> fields.Float:
    """A finite number in ``[low, high]`` (NaN and infinity reached PostGIS as errors)."""
    metadata = {k: kwargs.pop(k) for k in ("description",) if k in kwargs}
    return fields.Float(
        validate=validate.Range(low, high, error=error or f"must lie between {low:g} and {high:g}"),
        error_messages={
            "invalid": "must be a number",
            "special": "must be a finite number",
            "required": "is required",
        },
        metadata=metadata,
        **kwargs,
    )


def Lon() -> fields.Float:  # noqa: N802
    """A required longitude inside the Netherlands' box (geo.NL_BBOX)."""
    return Float(
        NL_BBOX[0],
        NL_BBOX[2],
        required=True,
        error="lies outside the Netherlands",
        description="Longitude (WGS84) in the Netherlands",
    )


def Lat() -> fields.Float:  # noqa: N802
    return Float(
        NL_BBOX[1],
        NL_BBOX[3],
        required=True,
        error="lies outside the Netherlands",
        description="Latitude (WGS84) in the Netherlands",
    )


def Text(description: str, **kwargs: Any) -> fields.String:  # noqa: N802
    return fields.String(metadata={"description": description}, **kwargs)


class DataChoice(validate.Validator):
    """One of values that are data (kinds, levels): looked up when validating and when the
    document is made (apispec reads ``choices``)."""

    def __init__(
        self,
        source: Callable[[], Iterable[str]],
        what: str | None = None,
        plural: str | None = None,
    ):
        self.source = source
        self.what = what
        self.plural = plural or f"{what}s"

    @property
    def choices(self) -> list[str]:
        return list(self.source())

    def __call__(self, value: str) -> str:
        choices = self.choices
        if value not in choices:
            raise ValidationError(
                f"unknown {self.what} {value!r} ({self.plural}: {', '.join(choices)})"
                if self.what
                else f"must be one of {', '.join(choices)}"
            )
        return value


class CommaList(fields.List):
    """Values given comma-separated, repeated, or both (``?kind=a,b&kind=c``)."""

    def __init__(self, inner: fields.Field, description: str, **kwargs: Any):
        super().__init__(
            inner, metadata={"description": description, "param": {"explode": False}}, **kwargs
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[Any]:
        raw = value if isinstance(value, list) else [value]
        parts = [part for item in raw for part in str(item).split(",") if part]
        return super()._deserialize(parts, attr, data, **kwargs)


class Bbox(fields.Field):
    """``min_lon,min_lat,max_lon,max_lat``; ``heights=True`` also takes OGC's six numbers
    (heights ignored)."""

    def __init__(self, *, heights: bool = False, **kwargs: Any):
        description = "Only features intersecting this WGS84 box: min_lon,min_lat,max_lon,max_lat"
        if heights:
            description += " (six numbers with heights are accepted; heights are ignored)"
        super().__init__(
            metadata={"description": description, "param": {"explode": False}}, **kwargs
        )
        self.heights = heights

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any):
        parts = str(value).split(",")
        if self.heights and len(parts) == 6:
            parts = [parts[0], parts[1], parts[3], parts[4]]
        try:
            return parse_bbox(",".join(parts))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


def bbox2property(self, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec: a bbox is an array of four (or six) numbers."""
    if isinstance(field, Bbox):
        return {
            "type": "array",
            "minItems": 4,
            "maxItems": 6 if field.heights else 4,
            "items": {"type": "number"},
        }
    return {}


def text_without_nul(self, field: fields.Field, ret: dict[str, Any]) -> dict[str, Any]:
    """apispec: free text may not hold NUL (see NO_NUL)."""
    if ret.get("type") == "string" and "enum" not in ret and "format" not in ret:
        return {"pattern": ret.get("pattern", NO_NUL)}
    return {}


def query_param_attributes(self, field: fields.Field, ret: dict[str, Any]) -> dict[str, Any]:
    """apispec: optional query arguments may be sent empty (``?bbox=`` counts as absent);
    lists and boxes are comma-separated."""
    extra: dict[str, Any] = {}
    if ret.get("in") == "query" and not field.required:
        extra["allowEmptyValue"] = True
    param = field.metadata.get("param")
    if param:
        extra.update({"style": "form", **param})
    return extra


def query_parameters(schema: Schema) -> list[dict[str, Any]]:
    """The OpenAPI 3.0 query parameters of ``schema``, written by apispec."""
    plugin = MarshmallowPlugin()
    APISpec(title="-", version="-", openapi_version="3.0.3", plugins=[plugin])
    converter = plugin.converter
    assert converter is not None
    converter.add_attribute_function(bbox2property)
    converter.add_attribute_function(text_without_nul)
    converter.add_parameter_attribute_function(query_param_attributes)
    return converter.schema2parameters(schema, location="query")


# --- schemas and parsing -----------------------------------------------------------------------


class Args(Schema):
    """Query arguments: empty ones count as absent, unknown ones are ignored."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def drop_empty(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        out = {}
        for name in data:
            value = data[name]
            if isinstance(value, list):
                value = [v for v in value if v not in ("", None)]
            if value not in ("", None, []):
                out[name] = value
        return out


class Paging(Args):
    """The JSON API's one paging convention: ``limit`` and ``offset``, a ``next`` link.

    ``limit`` defaults to API_PAGE_SIZE and is cut to API_MAX_PAGE_SIZE when that is lower.
    """

    limit = Int(1, 10_000, description="Page size")
    offset = Int(0, MAX_OFFSET, load_default=0, description="Skip this many")


def error_message(messages: Any, name: str | None = None) -> str:
    """The first of marshmallow's messages, naming the argument (``limit must lie ...``)."""
    if isinstance(messages, dict):
        key, value = next(iter(messages.items()))
        inner = name if isinstance(key, int) or key in ("query", "json", "_schema") else key
        return error_message(value, inner)
    if isinstance(messages, list):
        return error_message(messages[0], name)
    text = str(messages)
    if name is None or text.startswith(f"{name} ") or text.startswith("unknown "):
        return text
    # Our own messages are phrases to follow the name ("must lie between 1 and 6").
    return f"{name} {text}" if text[:1].islower() else f"{name}: {text}"


def load_args(schema: Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    """Load ``data`` (a request's arguments, or any mapping) or raise InvalidInput."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise InvalidInput(error_message(exc.messages)) from None


parser = FlaskParser()


@parser.error_handler
def _invalid(
    error: ValidationError, req: Any, schema: Schema, *, error_status_code: Any, error_headers: Any
):
    raise InvalidInput(error_message(error.messages))


# --- endpoints ---------------------------------------------------------------------------------


@dataclass
class Operation:
    """What the OpenAPI document says of one view; its arguments come from ``args``."""

    tags: list[str]
    summary: str
    args: Schema | None = None
    response: str | dict[str, Any] | None = None
    media_type: str = JSON
    status: int = 200
    errors: tuple[int, ...] = ()
    body: dict[str, Any] | None = None
    # path parameter -> its description, or {"description", "schema"}
    path: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    operation_id: str | None = None
    responses: dict[str, Any] | None = None
    # Other answers than ``status``: e.g. {202: ("Accepted: a background job", schema)}
    also: dict[int, tuple[str, dict[str, Any]]] = field(default_factory=dict)


def endpoint(
    tag: str, summary: str, *, args: type[Schema] | Schema | None = None, **operation: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Parse the view's query arguments with ``args`` (passed as the first argument) and
    describe the view in the OpenAPI document."""
    schema = args() if isinstance(args, type) else args

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        if schema is None:
            wrapper = view
        else:

            @functools.wraps(view)
            def wrapper(*a: Any, **kw: Any) -> Any:
                return view(parser.parse(schema, request, location="query"), *a, **kw)

        wrapper.openapi = Operation(  # type: ignore[attr-defined]
            [tag],
            summary,
            args=schema,
            operation_id=operation.pop("operation_id", view.__name__),
            **operation,
        )
        return wrapper

    return decorator


# --- pieces of the document that features describe by hand (request bodies, OGC) ---------------

PathSource = dict[str, Any] | Callable[[], dict[str, Any]]


def described_parts(app: Flask) -> dict[str, list[PathSource]]:
    return app.extensions.setdefault("placemaker_openapi", {"paths": [], "schemas": []})


def add_paths(app: Flask, paths: PathSource, *, schemas: PathSource | None = None) -> None:
    """Describe paths that are data rather than views (dicts, or functions returning one
    when they depend on data), with their component schemas."""
    parts = described_parts(app)
    parts["paths"].append(paths)
    if schemas:
        parts["schemas"].append(schemas)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def errors(*statuses: int, html: bool = False) -> dict[str, Any]:
    """Error responses in the one error format; 400, 401 and 500 are always possible.

    ``html``: the operation also serves HTML (f=html), whose errors are pages.
    """
    wanted = sorted({400, 401, 500, *statuses})
    prefix = "HtmlError" if html else "Error"
    return {str(s): {"$ref": f"#/components/responses/{prefix}{s}"} for s in wanted}


def json_ok(
    schema: dict[str, Any], description: str = "OK", media_type: str = JSON
) -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": schema}}}


def feature_collection_schema(**extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["type", "properties"],
                    "properties": {
                        "type": {"type": "string", "enum": ["Feature"]},
                        "geometry": ref("Geometry"),
                        "properties": {"type": "object"},
                    },
                },
            },
            **extra,
        },
    }


def _without_nul(schema: dict[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    if schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
        schema.setdefault("pattern", NO_NUL)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        schema["items"] = _without_nul(schema["items"])
    return schema


def path_param(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": _without_nul(schema or {"type": "string"}),
    }


def query_param(
    name: str, description: str, schema: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    """An optional query parameter; sent empty (``?bbox=``) it counts as absent."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": _without_nul(schema),
        "allowEmptyValue": True,
        **extra,
    }
