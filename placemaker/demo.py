"""The Amsterdam demo: areas, indicators, cohesion and community facilities from shared data.

Every step goes through the same importers a user runs from the command line, so the demo
is also their biggest test. Running it again updates nothing and duplicates nothing.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import date
from pathlib import Path

import shapely
from shapely.geometry import shape
from sqlalchemy import select

from placemaker.accounts.models import AreaAssignment, Role, User
from placemaker.areas.models import Area
from placemaker.extensions import db
from placemaker.imports.areas import AreaMapping, import_areas_file
from placemaker.imports.common import ImportReport, Progress, no_progress
from placemaker.imports.indicators import (
    CohesionColumns,
    RowKeys,
    import_cohesion_file,
    import_indicators_file,
)
from placemaker.imports.layers import derive_water_layer, import_layer_file
from placemaker.imports.places import PlaceMapping, import_places_file

REPO_ROOT = Path(__file__).resolve().parent.parent

# Community-facility categories that are meeting places, and the kind each becomes.
FACILITY_KINDS = {
    "Buurtkamer": "buurtkamer",
    "Huis van de wijk": "community_centre",
    "Jongerencentrum": "youth_centre",
    "Speeltuingebouw": "playground_building",
    "Bibliotheek": "library",
    "Kinderboerderij": "city_farm",
    "Schooltuincomplex": "school_garden",
    "Overig BV": "other_meeting_place",
    "Sportveld": "sports_field",
}
# Sensitive addresses: no meeting places, never on a public map.
FACILITY_SKIP = ("Opvanglocatie", "Behandel-/woonlocatie")

BBGA_INDICATORS = {
    "BEVTOTAAL": "population",
    "BEVHUISHOUDENHH": "households",
    "BEV0_17_P": "share_0_17",
    "BEV65PLUS_P": "share_65plus",
    "BEV80PLUS_P": "share_80plus",
    "IMINHH120_P": "share_minimum_income",
    "PEENZ_P": "share_lonely",
    "IHHINK_GEM": "mean_income",
    "LBETROKKEN_R": "involvement",
    "LTHUISVOELEN_R": "feeling_at_home",
    "PMANTEL_P": "share_informal_carers",
    "PVRIJWIL_P": "share_volunteers",
}
CBS_INDICATORS = {
    "aantal_inwoners": "population",
    "aantal_huishoudens": "households",
    "percentage_personen_65_jaar_en_ouder": "share_65plus",
}
SOURCE_BBGA = "BBGA Amsterdam"
# The BBGA rows of our levels: not the city total or the "other" areas.
BBGA_LEVELS = {"niveau": ["stadsdeel", "gebied_DX22"]}
SOURCE_CBS = "CBS Kerncijfers wijken en buurten 2021"
SOURCE_FACILITIES = "maatschappelijke_voorzieningen"

PARKS_LAYER = "Parken"
WATER_LAYER = "Water"

DEMO_PASSWORD = "placemaker-demo"
DEMO_USERS = (
    # email, name, role, areas looked after (code, since)
    ("gebiedsbeheerder@demo.placemaker.nl", "Fatima El Amrani", Role.area_manager,
     (("DX09", date(2019, 3, 1)),)),
    ("beheerder.west@demo.placemaker.nl", "Joris de Wit", Role.area_manager,
     (("DX04", date(2021, 9, 1)),)),
    ("planner@demo.placemaker.nl", "Sanne Visser", Role.planner, ()),
    ("admin@demo.placemaker.nl", "Admin", Role.admin, ()),
)


def data_dir() -> Path:
    """Where the shared open data lives: $PLACEMAKER_DATA_DIR or ../shared/data."""
    return Path(os.environ.get("PLACEMAKER_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))


def load_demo(base: Path | None = None, progress: Progress = no_progress) -> list[ImportReport]:
    """Load the Amsterdam demo. The caller commits when every report is ok."""
    folder = (base or data_dir()) / "amsterdam"
    buurten = folder / "buurten_2015.geojson"
    reports = []

    def run(report: ImportReport) -> bool:
        reports.append(report)
        return report.ok

    steps = [
        lambda: import_areas_file(
            buurten,
            AreaMapping("stadsdeel", "Stadsdeelcode", dissolve=True,
                        names=stadsdeel_names(folder)),
            source="buurten_2015.geojson (dissolved)", progress=progress),
        lambda: import_areas_file(
            folder / "gebieden_dx22.geojson",
            AreaMapping("gebied", "Gebied_code", "Gebied", parent_fields=("Stadsdeel_code",)),
            progress=progress),
        lambda: import_areas_file(
            buurten,
            AreaMapping("wijk", "Wijkcode",
                        parent_fields=("gebied_dx_code_afgeleid", "Stadsdeelcode"),
                        dissolve=True, names=wijk_names(folder)),
            source="buurten_2015.geojson (dissolved)", progress=progress),
        lambda: import_areas_file(
            buurten,
            AreaMapping("buurt", "Buurtcode", "Buurtnaam", parent_fields=("Wijkcode",),
                        alt_code_field="cbs_buurtcode_afgeleid"),
            progress=progress),
        lambda: import_indicators_file(
            folder / "cbs_kwb2021_buurten.csv",
            RowKeys("buurtcode", match="alt_code", year=2021), CBS_INDICATORS,
            source=SOURCE_CBS, progress=progress),
        lambda: import_indicators_file(
            folder / "bbga_gebieden_key_indicators.csv",
            RowKeys("gebiedcode15", year_field="jaar", where=BBGA_LEVELS), BBGA_INDICATORS,
            source=SOURCE_BBGA, progress=progress),
        lambda: import_cohesion_file(
            folder / "bbga_gebieden_key_indicators.csv",
            RowKeys("gebiedcode15", year_field="jaar"), CohesionColumns(score="LSOCCOH_R"),
            source=f"{SOURCE_BBGA} (LSOCCOH_R)", progress=progress),
        lambda: import_places_file(
            folder / "maatschappelijke_voorzieningen.geojson",
            PlaceMapping("MVZN_ID", "Naam", "Categorie", FACILITY_KINDS, skip=FACILITY_SKIP,
                         address_fields=("Adres", "Huisnummer"), postcode_field="Postcode"),
            source=SOURCE_FACILITIES, progress=progress),
        # Where nobody lives: the gap analysis puts no residents and no new sites there.
        lambda: import_layer_file(folder / "parken.geojson", PARKS_LAYER, "exclude",
                                  name_field="Naam", progress=progress),
        lambda: derive_water_layer(WATER_LAYER),
    ]
    for step in steps:
        if not run(step()):
            break
    else:
        ensure_demo_users()
    return reports


def stadsdeel_names(folder: Path) -> dict[str, str]:
    """Stadsdeel names by code, read from the 2022 buurten (Westpoort from the gebieden)."""
    names: dict[str, str] = {}
    for feature in _features(folder / "buurten_2022.geojson"):
        p = feature["properties"]
        if p.get("stadsdeel_code_afgeleid") and p.get("stadsdeel_naam"):
            names.setdefault(p["stadsdeel_code_afgeleid"], p["stadsdeel_naam"])
    for feature in _features(folder / "gebieden_dx22.geojson"):
        p = feature["properties"]
        names.setdefault(p["Stadsdeel_code"], p["Gebied"])
    names.setdefault("S", "Weesp")
    return names


def wijk_names(folder: Path) -> dict[str, str]:
    """Names for the 2015 wijken (buurtcombinaties), which the 2015 file leaves out.

    Each 2015 buurt votes, by area, for the name of the 2022 wijk its centre lies in.
    """
    new = [(shape(f["geometry"]), f["properties"].get("wijk_naam_afgeleid"))
           for f in _features(folder / "buurten_2022.geojson")]
    tree = shapely.STRtree([g for g, _ in new])
    votes: dict[str, Counter] = {}
    for feature in _features(folder / "buurten_2015.geojson"):
        geom = shape(feature["geometry"])
        point = geom.representative_point()
        hits = [new[i][1] for i in tree.query(point, predicate="within") if new[i][1]]
        if hits:
            votes.setdefault(feature["properties"]["Wijkcode"], Counter())[hits[0]] += geom.area
    return {code: counter.most_common(1)[0][0] for code, counter in votes.items()}


def _features(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def ensure_demo_users() -> list[User]:
    users = []
    areas = {a.code: a for a in db.session.scalars(select(Area))}
    for email, name, role, assignments in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=name, role=role)
            user.set_password(DEMO_PASSWORD)
            db.session.add(user)
            db.session.flush()
        have = {a.area_id for a in user.assignments}
        for code, since in assignments:
            area = areas.get(code)
            if area is not None and area.id not in have:
                user.assignments.append(AreaAssignment(area_id=area.id, since=since))
        users.append(user)
    db.session.flush()
    return users
