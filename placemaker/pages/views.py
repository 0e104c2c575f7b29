"""The pages: the map, area and place pages, the lists, and the registry forms."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, format_datetime, format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from placemaker import maps
from placemaker.accounts.home import home_view
from placemaker.areas import service as areas
from placemaker.areas.models import LADDER
from placemaker.auth import role_required
from placemaker.conversations import service as conversations
from placemaker.conversations.views import proposal_url
from placemaker.errors import Conflict, Forbidden, InvalidInput
from placemaker.extensions import db
from placemaker.i18n import current_language, in_language
from placemaker.pages import service
from placemaker.pages.forms import STATUS_LABELS, PlaceForm, StatusForm, parse_number
from placemaker.places import editing
from placemaker.places import service as places
from placemaker.places.models import PlaceStatus
from placemaker.web import args_url

bp = Blueprint("pages", __name__)


def _conflict_message() -> str:
    return _(
        "Somebody else changed this place while you were editing it. Reload to see "
        "their change, then make yours again."
    )


def page_helpers() -> dict[str, Any]:
    """What every template may use: numbers and dates in the page's language, URLs."""

    def language_url(lang: str) -> str:
        args = request.args.to_dict(flat=False)
        args["lang"] = [lang]
        return request.path + "?" + urlencode(args, doseq=True)

    def number(value: Any, digits: int = 0) -> str:
        if value is None:
            return "–"
        fmt = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=fmt)

    return {
        "language_url": language_url,
        "number": number,
        "args_url": args_url,
        "format_date": format_date,
        "format_datetime": format_datetime,
        "status_labels": STATUS_LABELS,
        "ladder_label": lambda rung: in_language(*LADDER[rung]),
    }


def _map_text() -> dict[str, str]:
    """Every string map.js shows, translated here."""
    return {
        "places": _("Meeting places"),
        "cohesion": _("Social cohesion"),
        "rung_assessed": _("Ladder rung (assessed)"),
        "rung_wanted": _("Ladder rung (wanted)"),
        "score": _("Score"),
        "inherited_from": _("inherited from %(name)s"),
        "own_score": _("own score"),
        "inherited_mark": _("dashed outline: score of the larger area"),
        "inherited_note": _(
            "%(count)s of these areas have no score of their own and show "
            "the score of the larger area they lie in."
        ),
        "population": _("Population"),
        "place_count": _("Meeting places"),
        "no_score": _("no score"),
        "not_assessed": _("not assessed yet"),
        "scale": _("scale %(min)s–%(max)s, higher is more cohesion"),
        "source": _("Source"),
        "year": _("Year"),
        "details": _("Details"),
        "area_page": _("Area page"),
        "loading": _("Loading places…"),
        # The list of what the map shows: its count (one form for 1, the other for more),
        # the first of many, the places layer switched off, nothing in view.
        "in_view_one": ngettext(
            "%(count)s meeting place in view",
            "%(count)s meeting places in view",
            1,
            count="%(count)s",
        ),
        "in_view_many": ngettext(
            "%(count)s meeting place in view",
            "%(count)s meeting places in view",
            2,
            count="%(count)s",
        ),
        "in_view_first": _(
            "First %(shown)s of %(count)s meeting places in view — zoom in for the rest"
        ),
        "in_view_off": _("The meeting places layer is switched off."),
        "in_view_none": _("Zoom out, move the map or change the filters to find places."),
        "truncated": _("Showing %(shown)s of %(matched)s meeting places here: zoom in to see all."),
        "load_failed": _("The places could not be loaded. Try again later."),
        "areas_failed": _("The areas could not be loaded. Try again later."),
        "no_results": _("Nothing found."),
        "search_places": _("Places"),
        "search_areas": _("Areas"),
        "copied": _("Link copied."),
        "level": _("Level"),
        "assessed": _("assessed"),
        "wanted": _("wanted"),
        "legend": _("Legend"),
        "open": _("Open"),
        "temporarily_closed": _("Temporarily closed"),
        "gone": _("Gone"),
        "move_pin": _("Drag the pin, or click the map, to set the location."),
        "pin": _("Location of the place"),
        "last_confirmed": _("Last confirmed in use"),
        "never_confirmed": _("never"),
        "open_reports": _("%(count)s open reports by residents"),
        "report_problem": _("Report a problem with this place"),
        "stale": _("due for a visit"),
        # A cluster of markers, named by what it holds: "8 meeting places: 3 × Bench, 5 × ...".
        # (the count is filled in by map.js: one form for 1, the other for more)
        "cluster_one": ngettext(
            "%(count)s meeting place", "%(count)s meeting places", 1, count="%(count)s"
        ),
        "cluster_many": ngettext(
            "%(count)s meeting place", "%(count)s meeting places", 2, count="%(count)s"
        ),
        "cluster_part": _("%(count)s × %(kind)s"),
    }


def _map_options(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    lang = current_language()
    kinds = places.kinds()
    levels = {lv.code: in_language(lv.name_nl, lv.name_en, lang) for lv in areas.levels()}
    options: dict[str, Any] = {
        "lang": lang,
        "kinds": maps.kinds_for_js(kinds, lang),
        "statuses": {k: str(v) for k, v in STATUS_LABELS.items()},
        "levels": levels,
        "ladder": {str(r): in_language(*labels, lang) for r, labels in LADDER.items()},
        "urls": {
            "markers": url_for("api.list_place_markers"),
            "areas": url_for("api.list_areas"),
            "area": url_for("api.get_area", code="CODE"),
            "place": url_for("api.get_place", place_id=0),
            "placeSearch": url_for("api.list_places"),
            "placePage": url_for("pages.place_detail", place_id=0),
            "areaPage": url_for("pages.area_detail", code="CODE"),
            "placeReport": url_for("reports.new", place_id=0)
            if "reports.new" in current_app.view_functions
            else None,
        },
        "text": _map_text(),
        "palette": maps.palette_for_js(),
        # Places not confirmed in use for this many days are marked in the popup.
        "staleDays": current_app.config.get("PLACE_STALE_DAYS"),
        "simplify": {"stadsdeel": 20, "gebied": 10, "wijk": 5, "buurt": 2},
    }
    options.update(extra or {})
    return options


@bp.get("/")
def index():
    kinds = places.kinds()
    years = service.cohesion_years()
    state = service.map_state(request.args, [k.code for k in kinds], years)
    options = _map_options(
        {
            "state": state.as_json(),
            "defaults": {
                "center": list(home_view()[0]),
                "zoom": home_view()[1],
                "statuses": list(service.DEFAULT_STATUSES),
                "layers": list(service.DEFAULT_OVERLAYS),
                "level": "gebied",
            },
            "years": years,
        }
    )
    center = (state.lat, state.lon) if state.lat is not None else home_view()[0]
    m = maps.place_map(
        current_app.config,
        options,
        center=center,
        zoom=state.zoom or home_view()[1],
        label=_("Map of meeting places"),
    )
    return render_template(
        "pages/index.html",
        **maps.render_parts(m),
        sprite=maps.icon_sprite([k.icon for k in kinds]),
        kinds=kinds,
        kinds_js=options["kinds"],
        state=state,
        years=years,
        area_choices=service.area_choices(),
        levels=options["levels"],
        map_levels=service.MAP_LEVELS,
        lang=current_language(),
    )


@bp.get("/areas")
def area_list():
    level = request.args.get("level", "gebied")
    known = [lv.code for lv in areas.levels()]
    if level not in known:
        level = "gebied"
    sort = request.args.get("sort", "name")
    sort = sort if sort in service.AREA_SORTS else "name"
    descending = request.args.get("dir") == "desc"
    page = service.area_page_list(
        level=level,
        sort=sort,
        descending=descending,
        search=request.args.get("q") or None,
        page=request.args.get("page", 1, type=int),
    )
    return render_template(
        "pages/area_list.html",
        page=page,
        level=level,
        levels=areas.levels(),
        sort=sort,
        descending=descending,
        q=request.args.get("q", ""),
    )


@bp.get("/areas/<code>")
def area_detail(code: str):
    data = service.area_page(code)
    kinds = places.kinds()
    options = _map_options(
        {
            "mode": "area",
            "area": data["area"].code,
            "outline": data["feature"]["geometry"],
        }
    )
    m = maps.small_map(
        current_app.config, options, label=_("Map of %(name)s", name=data["area"].name)
    )
    return render_template(
        "pages/area.html",
        **data,
        **maps.render_parts(m),
        rungs=conversations.area_rungs(data["area"]),
        proposal_url=proposal_url,
        sprite=maps.icon_sprite([k.icon for k in kinds]),
        lang=current_language(),
    )


def _list_args() -> dict[str, Any]:
    return {
        "kinds": [v for raw in request.args.getlist("kind") for v in raw.split(",") if v],
        "statuses": [
            v
            for raw in request.args.getlist("status")
            for v in raw.split(",")
            if v in STATUS_LABELS
        ],
        "area": request.args.get("area") or None,
        "search": request.args.get("q") or None,
        "owner": request.args.get("owner") or None,
        "keeper": request.args.get("keeper") or None,
    }


@bp.get("/places")
def place_list():
    filters = _list_args()
    sort = request.args.get("sort", "name")
    sort = sort if sort in service.PLACE_SORTS else "name"
    descending = request.args.get("dir") == "desc"
    try:
        page = service.place_page(
            **filters, sort=sort, descending=descending, page=request.args.get("page", 1, type=int)
        )
    except InvalidInput:
        abort(400)
    area = None
    if filters["area"]:
        area = db.session.scalar(db.select(areas.Area).where(areas.Area.code == filters["area"]))
    return render_template(
        "pages/place_list.html",
        page=page,
        filters=filters,
        sort=sort,
        descending=descending,
        kinds=places.kinds(),
        kind_labels=service.kind_labels(current_language()),
        area=area,
        may_add=editing.may_add(current_user),
    )


def _place_map(
    place_id: int | None,
    point: tuple[float, float] | None,
    *,
    editable: bool,
    kind: str | None = None,
    status: str | None = None,
    label: str = "",
):
    options = _map_options(
        {
            "mode": "edit" if editable else "place",
            "point": list(point) if point else None,
            "placeKind": kind,
            "placeStatus": status,
            "placeId": place_id,
            "inputs": {"lon": "lon", "lat": "lat"} if editable else None,
        }
    )
    center = (point[1], point[0]) if point else home_view()[0]
    return maps.small_map(
        current_app.config,
        options,
        center=center,
        zoom=17 if point else home_view()[1],
        label=label,
        height="360px" if editable else "280px",
    )


@bp.get("/places/<int:place_id>")
def place_detail(place_id: int):
    place = places.get_place(place_id)
    point = places.snapshot(place)
    kinds = places.kinds()
    m = _place_map(
        place.id,
        (point["lon"], point["lat"]),
        editable=False,
        kind=place.kind_code,
        status=place.status.value,
        label=_("Location"),
    )
    area = areas.area_at(point["lon"], point["lat"])
    status_form = StatusForm(status=place.status.value, version=place.version)
    return render_template(
        "pages/place.html",
        place=place,
        point=point,
        history=places.history(place),
        life=places.life(place),
        source=areas.source_of_places(place.source),
        areas_chain=areas.lineage(area),
        may_edit=editing.may_edit(current_user, place),
        status_form=status_form,
        kind_labels=service.kind_labels(current_language()),
        sprite=maps.icon_sprite([k.icon for k in kinds]),
        **maps.render_parts(m),
    )


def _kind_choices() -> list[SelectChoice]:
    labels = service.kind_labels(current_language())
    return [SelectChoice(k.code, labels[k.code]) for k in places.kinds()]


def _render_form(
    form: PlaceForm, place: Any, status: int = 200, nearby: list | None = None
) -> tuple[str, int]:
    kinds = places.kinds()
    lon, lat = parse_number(form.lon.data), parse_number(form.lat.data)
    point = (
        (lon, lat) if lon is not None and lat is not None and lon == lon and lat == lat else None
    )
    m = _place_map(
        place.id if place else None,
        point,
        editable=True,
        kind=form.kind_code.data,
        label=_("Location of the place"),
    )
    return render_template(
        "pages/place_form.html",
        form=form,
        place=place,
        nearby=nearby,
        kind_labels=service.kind_labels(current_language()),
        sprite=maps.icon_sprite([k.icon for k in kinds]),
        **maps.render_parts(m),
    ), status


@bp.route("/places/new", methods=["GET", "POST"])
@role_required("area_manager")
def place_new():
    form = PlaceForm()
    form.kind_code.choices = _kind_choices()
    if request.method == "GET":
        form.lon.data = request.args.get("lon", "")
        form.lat.data = request.args.get("lat", "")
        form.submission_key.data = secrets.token_urlsafe(16)
        return _render_form(form, None)
    if not form.validate():
        return _render_form(form, None, 400)
    key = form.submission_key.data or None
    earlier = editing.added_with_key(current_user, key)
    if earlier is not None:  # the same form sent again (a double click, a reload)
        flash(_("This place had already been added; it was not stored twice."))
        return redirect(url_for("pages.place_detail", place_id=earlier.id), code=303)
    values = form.values()
    try:
        nearby = (
            []
            if request.form.get("confirm_nearby")
            else editing.nearby_for_new(current_user, values)
        )
        if nearby:
            # Nothing stored yet: the manager sees what is there and confirms, or changes it.
            return _render_form(form, None, 200, nearby=nearby)
        place = editing.add_place(current_user, values, key)
    except InvalidInput as exc:
        form.form_errors.append(exc.message)
        return _render_form(form, None, 400)
    db.session.commit()
    flash(_("The place was added."))
    return redirect(url_for("pages.place_detail", place_id=place.id), code=303)


@bp.route("/places/<int:place_id>/edit", methods=["GET", "POST"])
@role_required("area_manager")
def place_edit(place_id: int):
    place = places.get_place(place_id)
    if not editing.may_edit(current_user, place):
        raise Forbidden(_("You may only change places in the areas you look after."))
    if request.method == "GET":
        point = places.snapshot(place)
        form = PlaceForm(
            obj=place, lon=f"{point['lon']:.7f}", lat=f"{point['lat']:.7f}", version=place.version
        )
        form.kind_code.choices = _kind_choices()
        return _render_form(form, place)
    form = PlaceForm()
    form.kind_code.choices = _kind_choices()
    if not form.validate():
        return _render_form(form, place, 400)
    try:
        changed = editing.edit_place(current_user, place, form.values(), form.expected_version())
    except InvalidInput as exc:
        # Raised before anything changed; the request ends without a commit.
        form.form_errors.append(exc.message)
        return _render_form(form, place, exc.status)
    except Conflict as exc:
        db.session.rollback()
        form.form_errors.append(_conflict_message())
        return _render_form(form, place, exc.status)
    db.session.commit()
    flash(_("The changes were saved.") if changed else _("Nothing changed."))
    return redirect(url_for("pages.place_detail", place_id=place.id), code=303)


@bp.post("/places/<int:place_id>/status")
@role_required("area_manager")
def place_status(place_id: int):
    place = places.get_place(place_id)
    form = StatusForm()
    if not form.validate():
        flash(_("Choose a status."))
        return redirect(url_for("pages.place_detail", place_id=place.id), code=303)
    try:
        changed = editing.set_status(current_user, place, form.status.data, form.expected_version())
    except Conflict:
        db.session.rollback()
        flash(_conflict_message())
        return redirect(url_for("pages.place_detail", place_id=place.id), code=303)
    db.session.commit()
    if changed:
        flash(
            _(
                "The status is now: %(status)s.",
                status=STATUS_LABELS[PlaceStatus(form.status.data).value],
            )
        )
    return redirect(url_for("pages.place_detail", place_id=place.id), code=303)
