"""Whole collections as files: /exports/<collection>.<geojson|csv|excel.csv|gpkg>."""

from __future__ import annotations

from flask import Blueprint, request

from placemaker.errors import NotFound
from placemaker.exports.writers import FORMATS
from placemaker.ogc import params
from placemaker.ogc.views import collection_or_404, file_response

bp = Blueprint("exports", __name__, url_prefix="/exports")


def split_filename(filename: str) -> tuple[str, str]:
    """``places.excel.csv`` → (``places``, ``csv-excel``), longest extension first."""
    for fmt in sorted(FORMATS.values(), key=lambda f: -len(f.extension)):
        suffix = "." + fmt.extension
        if filename.endswith(suffix) and len(filename) > len(suffix):
            return filename[: -len(suffix)], fmt.key
    known = ", ".join("." + f.extension for f in FORMATS.values())
    raise NotFound(f"unknown export {filename!r} (formats: {known})")


@bp.get("/<filename>")
def download(filename: str):
    """The whole collection (or the part the OGC filters select) as one file."""
    collection_id, fmt = split_filename(filename)
    collection = collection_or_404(collection_id)
    query = params.item_query(collection, request.args, default_limit=None)
    features, _matched = collection.items(query)
    return file_response(collection, features, fmt)
