"""OGC API – Features, Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0) under /ogc.

Errors keep the app's one format, ``{"error": {"code", "message"}}``, with OGC's status
codes (400 bad parameter, 401/403 access, 404 unknown collection or feature).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from placemaker.accounts.home import data_credit
from placemaker.errors import InvalidInput, NotFound, resend_page
from placemaker.exports.writers import FORMATS, csv_bytes, geojson_bytes, gpkg_bytes
from placemaker.ogc import openapi, params
from placemaker.ogc.registry import Collection, Extent, Feature, ItemQuery, registry
from placemaker.tokens.access import current_reader, require_private_reader
from placemaker.tokens.service import READER_ROLES
from placemaker.web import GEOJSON, geojson_response, is_data_path

bp = Blueprint("ogc", __name__)
bp.record_once(openapi.describe)

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
OPENAPI_TYPE = "application/vnd.oai.openapi+json;version=3.0"
JSON = "application/json"
HTML = "text/html"


# --- helpers ---------------------------------------------------------------------------------


def link(href: str, rel: str, type_: str, title: str | None = None) -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def wants_html(fmt: str | None) -> bool:
    """``f`` decides; without it, browsers (preferring text/html) get the HTML view."""
    if fmt is not None:
        return fmt == "html"
    best = request.accept_mimetypes.best_match([GEOJSON, JSON, HTML], default=JSON)
    return best == HTML


def json_response(body: dict[str, Any], mimetype: str = JSON) -> Response:
    response = jsonify(body)
    response.mimetype = mimetype
    return response


def html_response(template: str, **context: Any) -> Response:
    return make_response(render_template(template, **context))


def collection_or_404(collection_id: str) -> Collection:
    collection = registry(current_app).get(collection_id)
    if collection is None:
        raise NotFound(f"collection {collection_id!r} does not exist")
    if not collection.public:
        require_private_reader()
    return collection


def _may_read_private() -> bool:
    reader = current_reader()
    return reader is not None and reader.role in READER_ROLES


def visible_collections() -> list[Collection]:
    private_ok = _may_read_private()
    return [c for c in registry(current_app).all() if c.public or private_ok]


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def extent_json(extent: Extent) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    if extent.bbox is not None:
        out["spatial"] = {"bbox": [[round(v, 7) for v in extent.bbox]], "crs": CRS84}
    if extent.interval is not None:
        out["temporal"] = {
            "interval": [[_iso(extent.interval[0]), _iso(extent.interval[1])]],
            "trs": GREGORIAN,
        }
    return out or None


def collection_json(collection: Collection) -> dict[str, Any]:
    cid = collection.id
    url = url_for("ogc.collection", collection_id=cid, _external=True)
    items = url_for("ogc.items", collection_id=cid, _external=True)
    links = [
        link(url, "self", JSON, "This document"),
        link(url + "?f=html", "alternate", HTML, "This document as HTML"),
        link(items, "items", GEOJSON, "Items as GeoJSON"),
        link(items + "?f=html", "items", HTML, "Items as HTML"),
        link(
            url_for("ogc.queryables", collection_id=cid, _external=True),
            "http://www.opengis.net/def/rel/ogc/1.0/queryables",
            "application/schema+json",
            "Queryable properties",
        ),
    ]
    for fmt in FORMATS.values():
        links.append(
            link(
                url_for("exports.download", filename=f"{cid}.{fmt.extension}", _external=True),
                "enclosure",
                fmt.mimetype,
                f"Whole collection: {fmt.title}",
            )
        )
    body: dict[str, Any] = {
        "id": cid,
        "title": collection.title,
        "description": collection.description,
        "keywords": list(collection.keywords),
        "itemType": "feature",
        "attribution": data_credit(),
        "crs": [CRS84],
        "storageCrs": CRS84,
        "links": links,
    }
    extent = extent_json(collection.extent())
    if extent:
        body["extent"] = extent
    return body


# --- landing page, conformance, collections ---------------------------------------------------


@bp.get("")
@bp.get("/")
def landing():
    fmt = params.parse_format(request.args, ("json", "html"))
    params.check_known(request.args, set())
    base = url_for("ogc.landing", _external=True)
    body = {
        "title": "placemaker: everyday meeting places",
        "description": "Meeting places, areas with their cohesion scores and more, as OGC API "
        "Features for QGIS, GDAL and other GIS clients.",
        "attribution": data_credit(),
        "links": [
            link(base, "self", JSON, "This document"),
            link(base + "?f=html", "alternate", HTML, "This document as HTML"),
            link(
                url_for("openapi.document", _external=True),
                "service-desc",
                OPENAPI_TYPE,
                "The API definition (OpenAPI 3.0)",
            ),
            link(
                url_for("openapi.docs", _external=True),
                "service-doc",
                HTML,
                "The API documentation",
            ),
            link(
                url_for("ogc.conformance", _external=True),
                "conformance",
                JSON,
                "Conformance classes",
            ),
            link(url_for("ogc.collections", _external=True), "data", JSON, "Collections"),
        ],
    }
    if wants_html(fmt):
        return html_response("ogc/landing.html", body=body)
    return json_response(body)


@bp.get("/conformance")
def conformance():
    fmt = params.parse_format(request.args, ("json", "html"))
    params.check_known(request.args, set())
    body = {"conformsTo": CONFORMANCE}
    if wants_html(fmt):
        return html_response("ogc/conformance.html", body=body)
    return json_response(body)


@bp.get("/collections")
def collections():
    fmt = params.parse_format(request.args, ("json", "html"))
    params.check_known(request.args, set())
    url = url_for("ogc.collections", _external=True)
    body = {
        "links": [
            link(url, "self", JSON, "This document"),
            link(url + "?f=html", "alternate", HTML, "This document as HTML"),
        ],
        "collections": [collection_json(c) for c in visible_collections()],
    }
    if wants_html(fmt):
        return html_response("ogc/collections.html", body=body)
    return json_response(body)


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    fmt = params.parse_format(request.args, ("json", "html"))
    params.check_known(request.args, set())
    coll = collection_or_404(collection_id)
    body = collection_json(coll)
    if wants_html(fmt):
        return html_response("ogc/collection.html", body=body, collection=coll)
    return json_response(body)


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str):
    fmt = params.parse_format(request.args, ("json", "html"))
    params.check_known(request.args, set())
    coll = collection_or_404(collection_id)
    url = url_for("ogc.queryables", collection_id=coll.id, _external=True)
    body = {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url,
        "type": "object",
        "title": coll.title,
        "properties": {
            p.name: {k: v for k, v in p.json_schema().items() if k != "nullable"}
            for p in coll.queryables
        },
        "additionalProperties": False,
    }
    if wants_html(fmt):
        return html_response("ogc/queryables.html", body=body, collection=coll)
    response = json_response(body, "application/schema+json")
    return response


# --- items -------------------------------------------------------------------------------------


def _page_links(
    coll: Collection, query: ItemQuery, returned: int, matched: int, fmt: str | None
) -> list[dict[str, str]]:
    args = request.args.to_dict(flat=True)
    args.pop("f", None)

    def page_url(offset: int | None = None, **extra: str) -> str:
        page_args = {**args, **extra}
        if offset is not None:
            page_args["offset"] = str(offset)
            page_args["limit"] = str(query.limit)
        return url_for("ogc.items", collection_id=coll.id, _external=True, **page_args)

    own_type = HTML if fmt == "html" else GEOJSON
    links = [
        link(page_url(f=fmt) if fmt else page_url(), "self", own_type, "This page"),
        link(
            page_url(f="json" if fmt == "html" else "html"),
            "alternate",
            GEOJSON if fmt == "html" else HTML,
            "This page in another format",
        ),
        link(
            url_for("ogc.collection", collection_id=coll.id, _external=True),
            "collection",
            JSON,
            coll.title,
        ),
    ]
    for key in ("csv", "csv-excel", "gpkg"):
        links.append(
            link(
                page_url(f=key),
                "alternate",
                FORMATS[key].mimetype,
                f"This page: {FORMATS[key].title}",
            )
        )
    limit = query.limit or returned
    extra = {"f": fmt} if fmt else {}
    if query.offset + returned < matched:
        links.append(link(page_url(query.offset + limit, **extra), "next", own_type, "Next page"))
    if query.offset > 0:
        links.append(
            link(page_url(max(query.offset - limit, 0), **extra), "prev", own_type, "Previous page")
        )
    return links


def _timestamp() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    fmt = params.parse_format(request.args, params.ITEM_FORMATS)
    coll = collection_or_404(collection_id)
    query = params.item_query(coll, request.args)
    features, matched = coll.items(query)
    links = _page_links(coll, query, len(features), matched, fmt)
    if fmt in ("csv", "csv-excel", "gpkg"):
        return file_response(coll, features, fmt, page=True)
    if wants_html(fmt):
        return html_response(
            "ogc/items.html",
            collection=coll,
            features=features,
            matched=matched,
            query=query,
            links=links,
        )
    body = {
        "type": "FeatureCollection",
        "timeStamp": _timestamp(),
        "numberMatched": matched,
        "numberReturned": len(features),
        "links": links,
        "features": features,
    }
    return geojson_response(body)


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str):
    fmt = params.parse_format(request.args, ("json", "geojson", "html"))
    params.check_known(request.args, set())
    coll = collection_or_404(collection_id)
    feature = coll.item(feature_id)
    if feature is None:
        raise NotFound(f"feature {feature_id!r} does not exist in collection {coll.id!r}")
    url = url_for("ogc.item", collection_id=coll.id, feature_id=feature_id, _external=True)
    feature = {
        **feature,
        "links": [
            link(url, "self", GEOJSON, "This feature"),
            link(url + "?f=html", "alternate", HTML, "This feature as HTML"),
            link(
                url_for("ogc.collection", collection_id=coll.id, _external=True),
                "collection",
                JSON,
                coll.title,
            ),
        ],
    }
    if wants_html(fmt):
        return html_response("ogc/item.html", collection=coll, feature=feature)
    return geojson_response(feature)


def file_response(
    coll: Collection, features: list[Feature], fmt: str, *, page: bool = False
) -> Response:
    """A collection (or one page of it) as a file to download."""
    spec = FORMATS[fmt]
    if fmt == "geojson":
        data = geojson_bytes(features, name=coll.id, attribution=data_credit())
    elif fmt == "gpkg":
        data = gpkg_bytes(coll, features)
    else:
        data = csv_bytes(coll, features, excel=fmt == "csv-excel")
    response = make_response(data)
    response.mimetype = spec.mimetype
    if spec.mimetype == "text/csv":
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    stem = coll.id + ("-page" if page else "")
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{spec.extension}"'
    return response


# --- input hygiene ---------------------------------------------------------------------------


def reject_nul_bytes() -> Response | None:
    """PostgreSQL text cannot hold NUL: refuse it as bad input (400), not a server error.

    A form posted to a page comes back with what was typed (the NULs taken out), to send again.
    """
    texts = [request.path, *request.args.keys(), *request.args.values()]
    if any("\x00" in text for text in texts):
        raise InvalidInput("Text may not contain NUL characters.")
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") and any(
        "\x00" in text for text in (*request.form.keys(), *request.form.values())
    ):
        if request.method == "POST" and not request.path.startswith(("/api/", "/ogc", "/exports/")):
            return resend_page(
                _(
                    "Text may not contain NUL characters. They have been taken "
                    "out: check the form and send it again."
                )
            )
        raise InvalidInput("Text may not contain NUL characters.")
    return None


# --- CORS: anybody's web page may read what is public -----------------------------------------


def add_cors(response: Response) -> Response:
    """GET is open to every origin. Private data stays safe: no credentials are allowed
    cross-origin, so only a request carrying a bearer token reads it."""
    if is_data_path(request.path) and request.method in ("GET", "HEAD", "OPTIONS"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "Content-Disposition, Link"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Accept"
            response.headers["Access-Control-Max-Age"] = "86400"
    return response
