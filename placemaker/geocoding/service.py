"""One geocoder interface: PDOK's Locatieserver when configured, else (or when it fails) ours.

``GEOCODER_URL`` names the Locatieserver's base (…/bzk/locatieserver/search/v3_1); without it,
or when it does not answer in ``GEOCODER_TIMEOUT`` seconds, the local index of BAG addresses
answers. Our own places and areas are always searched locally: no outside service knows them.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from placemaker.geocoding import local
from placemaker.geocoding.local import Found

log = logging.getLogger(__name__)

# A pin further than this from any address gets no "nearest address".
REVERSE_MAX_M = 150.0
POINT_RE = re.compile(r"POINT\s*\(\s*(-?[\d.]+)\s+(-?[\d.]+)\s*\)")


class GeocoderUnavailable(Exception):
    """The outside geocoder did not answer usefully; the local index takes over."""


class AddressSource(Protocol):
    """What every geocoder offers: addresses for a text, the nearest address to a point."""

    name: str

    def search(self, text: str, limit: int) -> list[Found]: ...

    def reverse(self, lon: float, lat: float, max_m: float) -> Found | None: ...


class LocalIndex:
    name = "local"

    def search(self, text: str, limit: int) -> list[Found]:
        return local.addresses(text, limit)

    def reverse(self, lon: float, lat: float, max_m: float) -> Found | None:
        nearest = local.nearest_address(lon, lat, max_m)
        return nearest[0] if nearest else None


@dataclass
class Locatieserver:
    """PDOK's Locatieserver (free and reverse endpoints), read with the standard library."""

    base_url: str
    timeout: float = 3.0
    name: str = "pdok"

    def _get(self, endpoint: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        url = f"{self.base_url.rstrip('/')}/{endpoint}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310
                body = json.load(response)
            docs = body["response"]["docs"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # OSError covers refused connections, timeouts and HTTP errors (URLError).
            raise GeocoderUnavailable(f"{endpoint}: {exc.__class__.__name__}: {exc}") from None
        if not isinstance(docs, list):
            raise GeocoderUnavailable(f"{endpoint}: docs is not a list")
        return docs

    def search(self, text: str, limit: int) -> list[Found]:
        docs = self._get(
            "free",
            {
                "q": text,
                "rows": limit,
                "fl": "weergavenaam,type,centroide_ll",
                "fq": "type:(adres OR weg OR postcode OR woonplaats)",
            },
        )
        return [f for f in (self._found(d) for d in docs) if f is not None]

    def reverse(self, lon: float, lat: float, max_m: float) -> Found | None:
        docs = self._get(
            "reverse",
            {
                "lon": lon,
                "lat": lat,
                "rows": 1,
                "type": "adres",
                "fl": "weergavenaam,type,centroide_ll,afstand",
            },
        )
        if not docs:
            return None
        if float(docs[0].get("afstand", 0)) > max_m:
            return None
        return self._found(docs[0])

    def _found(self, doc: dict[str, Any]) -> Found | None:
        match = POINT_RE.match(str(doc.get("centroide_ll", "")))
        if not match or not doc.get("weergavenaam"):
            return None
        kind = {
            "adres": "address",
            "weg": "street",
            "postcode": "postcode",
            "woonplaats": "area",
        }.get(str(doc.get("type")), "address")
        return Found(
            str(doc["weergavenaam"]),
            kind,
            round(float(match.group(1)), 7),
            round(float(match.group(2)), 7),
            source=self.name,
        )


@dataclass
class Geocoder:
    """The facade the app uses: coordinates, addresses (outside or local), places, areas."""

    primary: AddressSource | None = None
    fallback: AddressSource = LocalIndex()

    def _addresses(self, call: Callable[[AddressSource], Any]) -> Any:
        if self.primary is not None:
            try:
                return call(self.primary)
            except GeocoderUnavailable as exc:
                log.warning(
                    "geocoder %s unavailable, using the local index: %s", self.primary.name, exc
                )
        return call(self.fallback)

    def search(self, text: str, limit: int = 8) -> list[Found]:
        text = " ".join(text.split())[:100]
        results: list[Found] = []
        coords = local.parse_coordinates(text)
        if coords is not None:
            results.append(
                Found(f"{coords[1]:.6f}, {coords[0]:.6f}", "coordinates", coords[0], coords[1])
            )
        if len(text) < 2:
            return results
        results += self._addresses(lambda source: source.search(text, limit))
        results += local.places(text, limit)
        results += local.areas(text, limit)
        return results[: limit + 1] if coords is None else results[: limit + 2]

    def reverse(self, lon: float, lat: float, max_m: float = REVERSE_MAX_M) -> Found | None:
        return self._addresses(lambda source: source.reverse(lon, lat, max_m))


def from_config(config: dict[str, Any]) -> Geocoder:
    url = (config.get("GEOCODER_URL") or "").strip()
    if not url:
        return Geocoder()
    return Geocoder(primary=Locatieserver(url, float(config.get("GEOCODER_TIMEOUT", 3.0))))
