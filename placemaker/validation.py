"""Shapes and sizes of input checked at the edge: a clear 400/413, never a 500 further in.

JSON bodies: parsed without recursion limits biting (nesting is counted first), NUL
characters refused anywhere. GeoJSON features: objects with a known geometry type and object
properties, checked before any importer or analysis sees them.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from placemaker.errors import InvalidInput

MAX_DEPTH = 32  # GeoJSON multipolygons need 5 levels below the feature; nothing needs 32
MAX_JSON_BYTES = 5 * 1024 * 1024
GEOMETRY_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)


def json_body(*, max_bytes: int | None = None) -> Any:
    """The request's JSON, checked: size, nesting, NUL characters.

    :raises RequestEntityTooLarge: over ``max_bytes`` (413).
    :raises InvalidInput: not JSON, nested too deep, or holding a NUL character.
    """
    limit = max_bytes or current_app.config.get("API_MAX_JSON_BYTES", MAX_JSON_BYTES)
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"send at most {limit // 1024} KB of JSON")
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise RequestEntityTooLarge(f"send at most {limit // 1024} KB of JSON")
    text = raw.decode("utf-8", errors="replace")
    check_depth(text)
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidInput("the body is not valid JSON") from None
    check_no_nul(body)
    return body


def check_depth(text: str, max_depth: int = MAX_DEPTH) -> None:
    """:raises InvalidInput: brackets nested deeper than ``max_depth`` (outside strings)."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                raise InvalidInput(f"JSON nested deeper than {max_depth} levels")
        elif char in "]}":
            depth -= 1


def check_no_nul(value: Any, path: str = "body") -> None:
    """:raises InvalidInput: a NUL character in any key or string (PostgreSQL refuses them)."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise InvalidInput(f"{where} contains a NUL character")
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    raise InvalidInput(f"{where} has a key with a NUL character")
                stack.append((child, f"{where}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))


def require_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object")
    return value


def optional_text(value: Any, what: str, max_length: int) -> str | None:
    """None, or a string of at most ``max_length`` characters (no NUL)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text")
    if "\x00" in value:
        raise InvalidInput(f"{what} contains a NUL character")
    if len(value) > max_length:
        raise InvalidInput(f"{what} has at most {max_length} characters")
    return value


def feature_problem(feature: Any) -> str | None:
    """Why a GeoJSON feature cannot be read (its shape, not its coordinates), or None."""
    if not isinstance(feature, dict):
        return f"a feature must be a JSON object, not {type(feature).__name__}"
    geometry = feature.get("geometry")
    if geometry is not None:
        if not isinstance(geometry, dict):
            return "geometry must be a GeoJSON geometry object"
        kind = geometry.get("type")
        if kind not in GEOMETRY_TYPES:
            return f"geometry type {str(kind)[:40]!r} is not GeoJSON"
        if kind != "GeometryCollection" and not isinstance(geometry.get("coordinates"), list):
            return "geometry has no coordinates"
    properties = feature.get("properties")
    if properties is not None and not isinstance(properties, dict):
        return "properties must be a JSON object"
    return None


def has_visible_text(text: str) -> bool:
    """Whether ``text`` shows anything: not only spaces, zero-width or control characters."""
    return any(
        not char.isspace() and unicodedata.category(char) not in ("Cf", "Cc", "Zs") for char in text
    )
