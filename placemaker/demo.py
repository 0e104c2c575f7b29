"""The Amsterdam demo: the Amsterdam recipe (recipes/amsterdam.toml) and the demo logins.

Every step goes through the same importers a user runs from the command line, so the demo
is also their biggest test. Running it again updates nothing and duplicates nothing. The
two name derivations below are Amsterdam's own (its 2015 files lack names) and are named
by the recipe.
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
from placemaker.imports.common import ImportReport, Progress, no_progress
from placemaker.imports.recipes import load_recipe

REPO_ROOT = Path(__file__).resolve().parent.parent
RECIPE = REPO_ROOT / "recipes" / "amsterdam.toml"
# The analysis layers the recipe loads (names as in recipes/amsterdam.toml).
PARKS_LAYER = "Parken"
WATER_LAYER = "Water"

DEMO_PASSWORD = "placemaker-demo"
DEMO_USERS = (
    # email, name, role, areas looked after (code, since)
    (
        "gebiedsbeheerder@demo.placemaker.nl",
        "Fatima El Amrani",
        Role.area_manager,
        (("DX09", date(2019, 3, 1)),),
    ),
    (
        "beheerder.west@demo.placemaker.nl",
        "Joris de Wit",
        Role.area_manager,
        (("DX04", date(2021, 9, 1)),),
    ),
    ("planner@demo.placemaker.nl", "Sanne Visser", Role.planner, ()),
    ("admin@demo.placemaker.nl", "Admin", Role.admin, ()),
)


def data_dir() -> Path:
    """Where the shared open data lives: $PLACEMAKER_DATA_DIR or ../shared/data."""
    return Path(os.environ.get("PLACEMAKER_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))


def load_demo(base: Path | None = None, progress: Progress = no_progress) -> list[ImportReport]:
    """Load the Amsterdam recipe and the demo logins. Each step commits when it is whole."""
    reports = load_recipe(RECIPE, base or data_dir(), progress=progress)
    if all(r.ok for r in reports):
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
    new = [
        (shape(f["geometry"]), f["properties"].get("wijk_naam_afgeleid"))
        for f in _features(folder / "buurten_2022.geojson")
    ]
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


def stadsdeel_names_in(base: Path) -> dict[str, str]:
    """:func:`stadsdeel_names` for a recipe (which passes the data directory)."""
    return stadsdeel_names(base / "amsterdam")


def wijk_names_in(base: Path) -> dict[str, str]:
    return wijk_names(base / "amsterdam")
