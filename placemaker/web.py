"""What every HTTP feature shares: which paths serve data, GeoJSON responses, page links."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Response, jsonify, request, url_for

# Data paths answer in JSON and accept bearer tokens; pages use the login session.
DATA_PATHS = ("/api/", "/ogc", "/exports/")
GEOJSON = "application/geo+json"


def is_data_path(path: str) -> bool:
    return path.startswith(DATA_PATHS)


def geojson_response(body: dict[str, Any], status: int = 200) -> Response:
    """A GeoJSON object (RFC 7946) as ``application/geo+json``."""
    response = jsonify(body)
    response.mimetype = GEOJSON
    response.status_code = status
    return response


def feature_collection(features: list[dict[str, Any]], **extra: Any) -> Response:
    return geojson_response({"type": "FeatureCollection", "features": features, **extra})


def paged_collection(
    features: list[dict[str, Any]], matched: int, *, offset: int, limit: int
) -> Response:
    """One page of a GeoJSON list, with a ``next`` link to this endpoint while more remain.

    The JSON API's one paging convention: ``limit``/``offset`` in, ``number_matched``,
    ``number_returned`` and ``links`` out.
    """
    links = []
    if offset + len(features) < matched:
        links.append(
            {
                "rel": "next",
                "type": GEOJSON,
                "href": page_url(offset=offset + limit, limit=limit, _external=True),
            }
        )
    return feature_collection(
        features, number_matched=matched, number_returned=len(features), links=links
    )


def page_url(_external: bool = False, **changes: Any) -> str:
    """This request's URL with some query arguments changed (paging links)."""
    args = {**request.args.to_dict(flat=True), **changes}
    return url_for(str(request.endpoint), _external=_external, **(request.view_args or {}), **args)


def args_url(**overrides: Any) -> str:
    """This page's URL with some query arguments replaced (None drops one)."""
    args = request.args.to_dict(flat=False)
    for key, value in overrides.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return request.path + ("?" + urlencode(args, doseq=True) if args else "")


def page_number() -> int:
    """The ``page`` argument of an HTML list (1 when missing or not a number)."""
    return max(1, request.args.get("page", 1, type=int))


@dataclass
class Page:
    """One page of an HTML list: the same attributes as Flask-SQLAlchemy's ``db.paginate``,
    for lists whose rows are made by other queries (features, counts)."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))
