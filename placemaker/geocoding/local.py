"""The local index: BAG addresses, streets and postcodes, plus our own places and areas.

Searches stay on our servers. Plain functions of the database, no Flask request needed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from geoalchemy2 import Geography
from sqlalchemy import String, cast, func, or_, select

from placemaker.areas.models import Area, AreaLevel
from placemaker.extensions import db
from placemaker.geo import SRID, in_netherlands
from placemaker.geocoding.models import Address
from placemaker.places.models import Place, PlaceStatus

# "1013", "1013 N", "1013NJ", "1013 NJ 1", "1013NJ 12a"
POSTCODE_RE = re.compile(r"^(\d{4})\s*([a-z]{0,2})(?:\s+(\d{1,5})\s*([a-z])?)?$", re.I)
# "Jan Evertsenstraat 100", "Barentszplein 1 H", "Zandhoek 7a-2"
STREET_NUMBER_RE = re.compile(r"^(.*?\D)\s*(\d{1,5})\s*([a-z])?(?:\s*[- ]\s*(\w{1,4}))?$", re.I)
COORDS_RE = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*[,; ]\s*(-?\d+(?:[.,]\d+)?)\s*$")


@dataclass(frozen=True)
class Found:
    """One search result: what to show and where it is (WGS84)."""

    label: str
    type: str  # coordinates, address, street, postcode, place, area
    lon: float
    lat: float
    source: str = "local"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _found(label: str, type_: str, lon: float, lat: float) -> Found:
    return Found(label, type_, round(float(lon), 7), round(float(lat), 7))


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """``52.3643, 4.8350`` or ``4.8350, 52.3643`` as (lon, lat) in the Netherlands, else None."""
    match = COORDS_RE.match(text.replace(", ", ",").replace(" ,", ","))
    if not match:
        match = re.match(r"^\s*(-?\d+\.\d+)\s*,\s*(-?\d+\.\d+)\s*$", text)
    if not match:
        return None
    a, b = (float(g.replace(",", ".")) for g in match.groups())
    if in_netherlands(b, a):
        return b, a
    if in_netherlands(a, b):
        return a, b
    return None


def format_address(
    street: str,
    number: int,
    letter: str | None,
    addition: str | None,
    postcode: str | None,
    city: str | None,
) -> str:
    """``Barentszplein 1H, 1013 NJ Amsterdam`` as Dutch letters are addressed."""
    house = f"{number}{letter or ''}" + (f"-{addition}" if addition else "")
    place = " ".join(p for p in (_spaced_postcode(postcode), city) if p)
    return f"{street} {house}" + (f", {place}" if place else "")


def _spaced_postcode(postcode: str | None) -> str | None:
    return f"{postcode[:4]} {postcode[4:]}" if postcode and len(postcode) == 6 else postcode


def addresses(text: str, limit: int) -> list[Found]:
    """Addresses, postcodes and streets matching what somebody is typing."""
    text = " ".join(text.split())
    if len(text) < 2:
        return []
    postcode = POSTCODE_RE.match(text)
    if postcode:
        digits, letters, number, letter = postcode.groups()
        prefix = (digits + (letters or "")).upper()
        if number:
            return _numbers(Address.postcode == prefix, int(number), letter, limit)
        return _postcodes(prefix, limit)
    with_number = STREET_NUMBER_RE.match(text)
    if with_number:
        street, number, letter, _addition = with_number.groups()
        street = street.strip(" ,")
        if len(street) >= 2:
            return _numbers(
                Address.street.ilike(_like(street), escape="\\"), int(number), letter, limit, street
            )
    return _streets(text, limit)


def _numbers(
    where, number: int, letter: str | None, limit: int, street: str | None = None
) -> list[Found]:
    # One result per house number (flats behind one door share its point), the exact
    # number first, then numbers that start with what was typed (type-ahead: "10" → 100).
    exact = Address.number == number
    query = (
        select(
            Address.street,
            Address.number,
            Address.letter,
            Address.postcode,
            Address.city,
            func.min(func.ST_X(Address.geom)).label("lon"),
            func.min(func.ST_Y(Address.geom)).label("lat"),
        )
        .where(where, or_(exact, cast(Address.number, String).like(f"{number}%")))
        .group_by(Address.street, Address.number, Address.letter, Address.postcode, Address.city)
    )
    if letter:
        query = query.where(func.lower(func.coalesce(Address.letter, "")) == letter.lower())
    starts = Address.street.ilike(street.replace("%", "") + "%") if street else exact
    query = query.order_by(
        starts.desc(), exact.desc(), Address.street, Address.number, Address.letter.nulls_first()
    ).limit(limit)
    return [
        _found(
            format_address(r.street, r.number, r.letter, None, r.postcode, r.city),
            "address",
            r.lon,
            r.lat,
        )
        for r in db.session.execute(query)
    ]


def _postcodes(prefix: str, limit: int) -> list[Found]:
    collected = func.ST_Collect(Address.geom)
    spot = func.ST_ClosestPoint(collected, func.ST_Centroid(collected))
    rows = db.session.execute(
        select(
            Address.postcode,
            func.min(Address.city).label("city"),
            func.count().label("n"),
            func.ST_X(spot).label("lon"),
            func.ST_Y(spot).label("lat"),
        )
        .where(Address.postcode.like(prefix + "%"))
        .group_by(Address.postcode)
        .order_by(Address.postcode)
        .limit(limit)
    ).all()
    return [
        _found(
            " ".join(p for p in (_spaced_postcode(r.postcode), r.city) if p),
            "postcode",
            r.lon,
            r.lat,
        )
        for r in rows
    ]


def _streets(text: str, limit: int) -> list[Found]:
    collected = func.ST_Collect(Address.geom)
    # A point on the street (an address nearest the middle), not the centroid of a bend.
    spot = func.ST_ClosestPoint(collected, func.ST_Centroid(collected))
    pattern = _like(text)
    rows = db.session.execute(
        select(
            Address.street, Address.city, func.ST_X(spot).label("lon"), func.ST_Y(spot).label("lat")
        )
        .where(Address.street.ilike(pattern, escape="\\"))
        .group_by(Address.street, Address.city)
        .order_by(Address.street.ilike(text.replace("%", "") + "%").desc(), Address.street)
        .limit(limit)
    ).all()
    return [
        _found(f"{r.street}, {r.city}" if r.city else r.street, "street", r.lon, r.lat)
        for r in rows
    ]


def places(text: str, limit: int) -> list[Found]:
    """Registered places by name or address."""
    if len(text) < 2:
        return []
    pattern = _like(text)
    rows = db.session.execute(
        select(
            Place.name,
            Place.address,
            func.ST_X(Place.geom).label("lon"),
            func.ST_Y(Place.geom).label("lat"),
        )
        .where(
            Place.status != PlaceStatus.gone,
            or_(Place.address.ilike(pattern, escape="\\"), Place.name.ilike(pattern, escape="\\")),
        )
        .order_by(Place.address.ilike(pattern, escape="\\").desc(), Place.name)
        .limit(limit)
    ).all()
    return [
        _found(f"{r.address} ({r.name})" if r.address else r.name, "place", r.lon, r.lat)
        for r in rows
    ]


def areas(text: str, limit: int) -> list[Found]:
    """Areas by name or code, the largest level first."""
    if len(text) < 2:
        return []
    surface = func.ST_PointOnSurface(Area.geom)
    rows = db.session.execute(
        select(
            Area.name,
            Area.level_code,
            func.ST_X(surface).label("lon"),
            func.ST_Y(surface).label("lat"),
        )
        .join(AreaLevel)
        .where(or_(Area.name.ilike(_like(text), escape="\\"), Area.code.ilike(text)))
        .order_by(AreaLevel.rank, Area.name)
        .limit(limit)
    ).all()
    return [_found(f"{r.name} ({r.level_code})", "area", r.lon, r.lat) for r in rows]


def nearest_address(lon: float, lat: float, max_m: float) -> tuple[Found, float] | None:
    """The address nearest a point and its distance in metres, if one lies within ``max_m``."""
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), SRID)
    distance = func.ST_Distance(cast(Address.geom, Geography), cast(point, Geography))
    row = db.session.execute(
        select(
            Address.street,
            Address.number,
            Address.letter,
            Address.addition,
            Address.postcode,
            Address.city,
            func.ST_X(Address.geom).label("lon"),
            func.ST_Y(Address.geom).label("lat"),
            distance.label("m"),
        )
        .order_by(Address.geom.op("<->")(point))
        .limit(1)
    ).first()
    if row is None or row.m > max_m:
        return None
    label = format_address(row.street, row.number, row.letter, None, row.postcode, row.city)
    return _found(label, "address", row.lon, row.lat), float(row.m)
