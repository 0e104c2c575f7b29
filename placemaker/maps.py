"""Folium builders: settings and features in, a ``folium.Map`` out, served from our own host.

Folium's defaults load Leaflet, jQuery, Bootstrap and Awesome Markers from public CDNs. The
maps here point every script and style sheet at ``/static/vendor`` (installed from the npm
registry by ``script/vendor``), so the only request that leaves our host is for base-map
tiles. Places and areas are not embedded: ``static/js/map.js`` fetches them from the API by
bounding box, which keeps the page small with 10,000 places.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import folium
from folium.elements import JSCSSMixin
from folium.plugins import MarkerCluster
from folium.template import Template
from markupsafe import escape

from placemaker import registry
from placemaker.i18n import in_language

# Only a fallback: pages open on placemaker.accounts.home.home_view() (the user's areas or
# the extent of all data). This is the middle of the Netherlands, for an empty database.
DEFAULT_CENTER = (52.2, 5.3)  # lat, lon (Leaflet's order)
DEFAULT_ZOOM = 8

# Named base maps for TILE_URL. Anything else is taken as a Leaflet URL template.
TILE_PRESETS: dict[str, tuple[str, str]] = {
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>-bijdragers',
    ),
    # Kadaster's BRT-Achtergrondkaart via PDOK (CC BY 4.0), in web mercator.
    "pdok": (
        "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/"
        "{z}/{x}/{y}.png",
        'Kaartgegevens &copy; <a href="https://www.kadaster.nl">Kadaster</a> '
        '(<a href="https://www.pdok.nl">PDOK</a>, BRT-Achtergrondkaart)',
    ),
}

# --- the cohesion choropleth's colours -------------------------------------------------------
# Five classes, lowest cohesion first, drawn at SCORE_FILL_OPACITY over the base map (OSM's
# light background, BASE_MAP) with white outlines (AREA_OUTLINE). Contrast ratios (WCAG 2.x
# relative luminance) of each class as drawn, i.e. blended with the base map, measured with
# contrast_ratio(blend(fill, BASE_MAP, SCORE_FILL_OPACITY), ...) and checked by
# tests/test_palette.py:
#   class   fill     as drawn  vs base map  vs outline  vs the class below (ratio, ΔE*ab)
#   1 low   #2d004b  #4b2463   10.57        12.13        –
#   2       #7b1f7a  #8d3e8b    5.73         6.57        1.84, 22.0
#   3       #c2185b  #c93870    4.27         4.90        1.34, 34.7
#   4       #b34d00  #bc6523    3.64         4.18        1.17, 57.1
#   5 high  #5f7300  #758623    3.53         4.05        1.03, 50.3
# Every class stands out from the base map by ≥ 3:1 (the old lowest class had 1.03:1), and
# neighbouring areas are parted by an outline with ≥ 3:1 against both fills (WCAG 1.4.11).
# Neighbouring classes differ in hue by ΔE*ab ≥ 20: a 3:1 luminance ratio between every pair
# of neighbouring classes AND against a light base map is impossible beyond two classes
# (each must be darker than luminance 0.253, the next darker than 0.051, the next < 0).
BASE_MAP = "#f2efe9"
AREA_OUTLINE = "#ffffff"
SCORE_FILL_OPACITY = 0.85
SCORE_PALETTE = ("#2d004b", "#7b1f7a", "#c2185b", "#b34d00", "#5f7300")


def _rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def blend(fill: str, base: str, opacity: float) -> str:
    """The colour a fill of this opacity shows over the base (alpha compositing in sRGB)."""
    pairs = zip(_rgb(fill), _rgb(base), strict=True)
    mixed = (round(opacity * f + (1 - opacity) * b) for f, b in pairs)
    return "#" + "".join(f"{c:02x}" for c in mixed)


def relative_luminance(color: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour "#rrggbb"."""

    def linear(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.x contrast ratio of two colours, 1 to 21."""
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def palette_for_js() -> dict[str, Any]:
    return {"scores": list(SCORE_PALETTE), "opacity": SCORE_FILL_OPACITY, "outline": AREA_OUTLINE}


_VENDOR = "/static/vendor"
VENDOR_JS = [
    ("leaflet", f"{_VENDOR}/leaflet/leaflet.js"),
]
VENDOR_CSS = [
    ("leaflet_css", f"{_VENDOR}/leaflet/leaflet.css"),
]
# Font Awesome's solid SVGs, copied by script/vendor; the page inlines the few it draws.
ICON_DIR = (
    Path(__file__).resolve().parent.parent / "static" / "vendor" / "fontawesome" / "svgs" / "solid"
)
FALLBACK_ICON = "circle-dot"
CLUSTER_JS = [("markerclusterjs", f"{_VENDOR}/leaflet.markercluster/leaflet.markercluster.js")]
CLUSTER_CSS = [
    ("markerclustercss", f"{_VENDOR}/leaflet.markercluster/MarkerCluster.css"),
    ("markerclusterdefaultcss", f"{_VENDOR}/leaflet.markercluster/MarkerCluster.Default.css"),
]

_ICON = re.compile(r"^[a-z0-9-]{1,40}$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class Tiles:
    url: str
    attribution: str  # HTML, from configuration (trusted)


def tiles_from_config(config: Mapping[str, Any]) -> Tiles:
    """The base map: a preset name (``osm``, ``pdok``) or a URL template with attribution."""
    url = str(config.get("TILE_URL") or "osm")
    if url.lower() in TILE_PRESETS:
        preset_url, preset_attr = TILE_PRESETS[url.lower()]
        return Tiles(preset_url, preset_attr)
    attribution = str(config.get("TILE_ATTRIBUTION") or "")
    if "pdok.nl" in url and "Kadaster" not in attribution:
        attribution = TILE_PRESETS["pdok"][1]
    return Tiles(url, attribution)


def attribution_html(config: Mapping[str, Any]) -> str:
    """Tile credits (trusted HTML) and the data credits (plain text, escaped)."""
    tiles = tiles_from_config(config)
    credit = registry.provider(registry.DATA_CREDIT)
    data = str(config.get("DATA_ATTRIBUTION") or "") or (credit() if credit else "")
    return f"{tiles.attribution} | {escape(data)}" if data else tiles.attribution


class PlacemakerMap(folium.Map):
    """A folium Map that loads Leaflet from our own static files.

    The header leaves the page's own layout alone: folium's default stretches ``html, body``
    to the viewport and forbids zooming the page, which breaks a page with a header, a
    filter panel and a footer, and keeps people with low vision from zooming.
    """

    default_js = VENDOR_JS
    default_css = VENDOR_CSS

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>
                #{{ this.get_name() }} {
                    position: {{ this.position }};
                    width: {{ this.width[0] }}{{ this.width[1] }};
                    height: {{ this.height[0] }}{{ this.height[1] }};
                }
                .leaflet-container { font-size: {{ this.font_size }}; }
            </style>
        {% endmacro %}

        {% macro html(this, kwargs) %}
            <div class="folium-map" id={{ this.get_name()|tojson }}
                 role="region" aria-label="{{ this.label|e }}"></div>
        {% endmacro %}

        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map(
                {{ this.get_name()|tojson }},
                {
                    center: {{ this.location|tojson }},
                    crs: L.CRS.{{ this.crs }},
                    ...{{ this.options|tojavascript }}
                }
            );
            {%- if this.control_scale %}
            L.control.scale({imperial: false}).addTo({{ this.get_name() }});
            {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, *args: Any, label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = label


class LocalMarkerCluster(MarkerCluster):
    """Leaflet.markercluster from our own static files; the markers come later from map.js."""

    default_js = CLUSTER_JS
    default_css = CLUSTER_CSS


class MapApp(JSCSSMixin):
    """Hands the folium map, its tile layer and cluster group to ``static/js/map.js``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            window.placemakerMap = Placemaker.{{ this.entry }}(
                {{ this.map.get_name() }},
                {
                    tiles: {{ this.tiles.get_name() }},
                    cluster: {{ this.cluster.get_name() if this.cluster else "null" }},
                    ...{{ this.options|tojson }}
                }
            );
        {% endmacro %}
        """
    )

    def __init__(
        self,
        map_: folium.Map,
        tiles: folium.TileLayer,
        options: dict[str, Any],
        *,
        cluster: MarkerCluster | None = None,
        entry: str = "initMap",
        script_url: str = "/static/js/map.js",
    ) -> None:
        super().__init__()
        self._name = "MapApp"
        self.map = map_
        self.tiles = tiles
        self.cluster = cluster
        self.entry = entry
        self.options = options
        self.default_js = [
            ("placemaker_common_js", "/static/js/common.js"),
            ("placemaker_map_js", script_url),
        ]
        self.default_css = []


def kinds_for_js(kinds: Sequence[Any], language: str) -> dict[str, dict[str, str]]:
    """Icon, colour and label per place kind; refuses values that would not be safe in markup."""
    out = {}
    for kind in kinds:
        icon = kind.icon if _icon_svg(kind.icon or "") else FALLBACK_ICON
        color = kind.color if _COLOR.match(kind.color or "") else "#555555"
        out[kind.code] = {
            "label": in_language(kind.label_nl, kind.label_en, language),
            "icon": icon,
            "color": color,
        }
    return out


def _base_map(
    config: Mapping[str, Any],
    *,
    center: Sequence[float],
    zoom: int,
    label: str,
    height: str = "100%",
    scroll: bool = True,
    zoom_snap: float = 1,
) -> tuple[PlacemakerMap, folium.TileLayer]:
    m = PlacemakerMap(
        location=list(center),
        zoom_start=zoom,
        tiles=None,
        height=height,
        label=label,
        control_scale=True,
        min_zoom=7,
        max_zoom=19,
        scroll_wheel_zoom=scroll,
        zoom_snap=zoom_snap,
        # The Leaflet prefix on credits is a link to leafletjs.com: kept, as a plain credit.
        attribution_control=True,
    )
    tiles = tiles_from_config(config)
    layer = folium.TileLayer(
        tiles=tiles.url,
        attr=attribution_html(config),
        name="base",
        max_zoom=19,
        max_native_zoom=19 if "openstreetmap" in tiles.url else 18,
        control=False,
    )
    layer.add_to(m)
    return m, layer


def place_map(
    config: Mapping[str, Any],
    options: dict[str, Any],
    *,
    center: Sequence[float] = DEFAULT_CENTER,
    zoom: int = DEFAULT_ZOOM,
    label: str = "",
) -> folium.Map:
    """The main map: clustered places by bbox, the cohesion choropleth and the ladder layers."""
    m, tiles = _base_map(config, center=center, zoom=zoom, label=label)
    cluster = LocalMarkerCluster(
        name="places",
        control=False,
        options={
            "chunkedLoading": True,
            "chunkInterval": 100,
            "showCoverageOnHover": False,
            "spiderfyOnMaxZoom": True,
            "disableClusteringAtZoom": 18,
            "maxClusterRadius": 60,
        },
    )
    cluster.add_to(m)
    MapApp(m, tiles, options, cluster=cluster).add_to(m)
    return m


def small_map(
    config: Mapping[str, Any],
    options: dict[str, Any],
    *,
    center: Sequence[float] = DEFAULT_CENTER,
    zoom: int = 14,
    label: str = "",
    height: str = "360px",
) -> folium.Map:
    """A small map for an area or a place page (outline, places, or a draggable pin)."""
    m, tiles = _base_map(
        config, center=center, zoom=zoom, label=label, height=height, scroll=False, zoom_snap=0.25
    )
    cluster = LocalMarkerCluster(
        name="places", control=False, options={"showCoverageOnHover": False}
    )
    cluster.add_to(m)
    MapApp(m, tiles, options, cluster=cluster, entry="initSmallMap").add_to(m)
    return m


@lru_cache(maxsize=256)
def _icon_svg(name: str) -> tuple[str, str] | None:
    # Files installed at set-up never change while the app runs: reading each once is enough.
    path = ICON_DIR / f"{name}.svg"
    if not _ICON.match(name) or not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    view_box = re.search(r'viewBox="([0-9 .]+)"', text)
    paths = re.findall(r'<path d="([^"]+)"', text)
    if not view_box or not paths:
        return None
    return view_box.group(1), "".join(f'<path d="{d}"/>' for d in paths)


def icon_sprite(icons: Sequence[str]) -> str:
    """An inline SVG sprite with one ``<symbol id="pm-icon-NAME">`` per Font Awesome icon."""
    symbols = []
    for name in sorted({*icons, FALLBACK_ICON}):
        found = _icon_svg(name)
        if found is None:
            continue
        view_box, paths = found
        symbols.append(f'<symbol id="pm-icon-{name}" viewBox="{view_box}">{paths}</symbol>')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" aria-hidden="true" focusable="false" '
        'style="display:none">' + "".join(symbols) + "</svg>"
    )


def render_parts(m: folium.Map) -> dict[str, str]:
    """The header, body and script of a map, to place into a template extending base.html."""
    root = m.get_root()
    assert isinstance(root, folium.Figure)
    # base.html declares the charset; folium's http-equiv meta would only repeat it.
    root.header._children.pop("meta_http", None)
    root.render()
    return {
        "map_header": root.header.render(),
        "map_html": root.html.render(),
        "map_script": root.script.render(),
    }


# --- residents' proposals (placemaker/proposals) -------------------------------------------


def proposal_map(
    config: Mapping[str, Any],
    options: dict[str, Any],
    *,
    center: Sequence[float] = DEFAULT_CENTER,
    zoom: int = 13,
    label: str = "",
    height: str = "420px",
) -> folium.Map:
    """A map for proposals: pick a spot, the public list, or one proposal with its neighbours.

    ``static/js/propose.js`` (``Placemaker.initProposalMap``) draws the pin, the places and
    proposals around it, from ``options["mode"]``: pick, list, show or moderate.
    """
    m, tiles = _base_map(config, center=center, zoom=zoom, label=label, height=height)
    MapApp(m, tiles, options, entry="initProposalMap", script_url="/static/js/propose.js").add_to(m)
    return m


# --- the planners' map (placemaker/gaps/pages.py) --------------------------------------------


def gap_map(
    config: Mapping[str, Any],
    options: dict[str, Any],
    *,
    center: Sequence[float] = DEFAULT_CENTER,
    zoom: int = DEFAULT_ZOOM,
    label: str = "",
) -> folium.Map:
    """The gap analysis: need cells, coverage per area, suggested sites, scenario changes.

    ``static/js/gaps.js`` (``Placemaker.initGapMap``) fetches every layer from
    ``/api/gaps/…`` with the parameters of the page's controls; nothing is embedded.
    """
    # Fractional zoom: fitting a whole city beside the legend should not drop a whole level.
    m, tiles = _base_map(config, center=center, zoom=zoom, label=label, zoom_snap=0.25)
    MapApp(m, tiles, options, entry="initGapMap", script_url="/static/js/gaps.js").add_to(m)
    return m
