"""What the residents' and the moderators' proposal pages share: map, texts, helpers."""

from __future__ import annotations

from typing import Any

from flask import (
    current_app,
    url_for,
)
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _

from placemaker import maps
from placemaker.extensions import db
from placemaker.i18n import current_language
from placemaker.places import service as places
from placemaker.proposals import from_need
from placemaker.proposals.models import ProposalPhoto
from placemaker.web import args_url


def page_helpers() -> dict[str, Any]:
    def place_url(place_id: int) -> str:
        # The place page when the pages are there, else the place's JSON.
        if "pages.place_detail" in current_app.view_functions:
            return url_for("pages.place_detail", place_id=place_id)
        return url_for("api.get_place", place_id=place_id)

    return {
        "place_url": place_url,
        "format_datetime": format_datetime,
        "format_date": format_date,
        "args_url": args_url,
        "proposal_origin": from_need.origin,
    }


def map_texts() -> dict[str, str]:
    """Every string propose.js shows, translated here."""
    return {
        "area": _("Area"),
        "cohesion": _("Social cohesion"),
        "no_score": _("no score yet"),
        "inherited_from": _("from %(name)s"),
        "no_area": _("We know no area here yet; an administrator will handle the proposal."),
        "nearby_title": _("Within %(m)s m of this spot"),
        "same_one": _(
            "Is this the same one? Then there is no need to propose it again: "
            "support the open proposal, or say in your proposal what the existing "
            "place lacks."
        ),
        "nothing_nearby": _("No meeting places or open proposals within %(m)s m."),
        "place": _("Existing place"),
        "proposal": _("Open proposal"),
        "supports": _("supports"),
        "gap": _(
            "A place here would reach about %(n)s residents who have no meeting place nearby."
        ),
        "meters": _("%(m)s m away"),
        "view": _("View"),
        "loading": _("Looking up this spot…"),
        "failed": _("This spot could not be looked up. You can still send your proposal."),
        "locating": _("Finding your location…"),
        "no_geolocation": _("Your browser cannot share your location. Click the map instead."),
        "geolocation_failed": _("Your location could not be found. Click the map instead."),
        "no_results": _(
            "Nothing found in our data. Try a street name, a place or an area, or click the map."
        ),
        "photo_too_large": _(
            "This photo is too large (at most %(max)s MB). Choose a smaller one; your text stays."
        ),
        "photo_type": _("This file is not a photo. Choose a JPEG, PNG or WebP image."),
        "pin": _("The spot you propose"),
        "chosen": _("Spot chosen: %(lat)s, %(lon)s"),
        "chosen_at": _("Spot chosen: %(label)s"),
        "nearest_address": _("Nearest address: %(address)s (%(m)s m)"),
        "no_address": _("No address within 150 m."),
        "results_found": _("%(n)s results; choose one."),
        "open_proposals": _("Open proposals"),
        "status": _("Status"),
    }


def map_parts(
    options: dict[str, Any], *, center, zoom: int, label: str, height: str = "420px"
) -> dict[str, str]:
    kinds = places.kinds()
    options = {
        "lang": current_language(),
        "kinds": maps.kinds_for_js(kinds, current_language()),
        "text": map_texts(),
        "urls": {
            "context": url_for("proposals_api.api_context"),
            "lookup": url_for("proposals_api.api_lookup"),
            "reverse": url_for("geocoding.reverse"),
            "proposals": url_for("proposals_api.api_list"),
            "places": url_for("api.list_places"),
            "proposalPage": url_for("proposals.show", proposal_id=0),
        },
        **options,
    }
    m = maps.proposal_map(
        current_app.config, options, center=center, zoom=zoom, label=label, height=height
    )
    return {**maps.render_parts(m), "sprite": maps.icon_sprite([k.icon for k in kinds])}


def has_photo(proposal_id: int) -> bool:
    return (
        db.session.scalar(
            db.select(ProposalPhoto.id).where(ProposalPhoto.proposal_id == proposal_id)
        )
        is not None
    )
