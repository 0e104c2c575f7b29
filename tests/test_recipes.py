"""Utrecht and Ermelo loaded by their recipes from the real files, once per test session.

They load into a database of their own (migrated from empty, no Amsterdam demo), so the
other tests keep the demo as they know it.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from flask import Flask
from sqlalchemy import func, select, text

from placemaker.accounts.home import credit_lines
from placemaker.areas.models import Area, AreaIndicator, CohesionScore, DataSource
from placemaker.demo import data_dir
from placemaker.extensions import db
from placemaker.imports.common import ImportFailed
from placemaker.imports.recipes import load_recipe
from placemaker.places.models import Place
from tests.conftest import RECIPES
from tests.conftest import load_town as _load


@pytest.fixture()
def towns_ctx(towns: Flask) -> Iterator[Flask]:
    with towns.app_context():
        yield towns
        db.session.rollback()
        db.session.remove()


def _indicator(code: str, area_code: str) -> float:
    return float(
        db.session.scalar(
            select(AreaIndicator.value)
            .join(Area)
            .where(Area.code == area_code, AreaIndicator.indicator_code == code)
        )
    )


def test_utrecht_buurten_hold_the_cbs_buurt_population(towns_ctx):
    buurten = db.session.scalars(select(Area).where(Area.code.like("BU0344%"))).all()
    assert len(buurten) == 111
    total = db.session.scalar(
        select(func.sum(AreaIndicator.value))
        .join(Area)
        .where(Area.code.like("BU0344%"), AreaIndicator.indicator_code == "population")
    )
    assert total == 367715
    assert _indicator("population", "GM0344") == 367947
    # Pijlsweerd-Zuid: 275 of 4,715 residents are 65 or older, stored as percent
    assert _indicator("share_65plus", "BU03440211") == pytest.approx(100 * 275 / 4715, abs=1e-4)
    # names come whole from CBS, not cut at 20 characters
    assert (
        db.session.scalar(select(Area.name).where(Area.code == "BU03440211")) == "Pijlsweerd-Zuid"
    )
    wijk = db.session.scalar(select(Area).where(Area.code == "BU03440211")).parent
    assert wijk.parent.code == "GM0344" and wijk.parent.level_code == "gemeente"


def test_leefbaarometer_social_cohesion_per_buurt(towns_ctx):
    scores = db.session.scalars(
        select(CohesionScore).join(Area).where(Area.code.like("BU0344%"))
    ).all()
    assert len(scores) == 106  # 110 Utrecht rows in 2020, 4 without a soc value
    score = scores[0]
    assert (score.year, score.scale_min, score.scale_max, score.reference) == (2020, -0.5, 0.5, 0)
    assert score.higher_is_better and score.reference_label == "Dutch average"
    assert any(s.score != round(s.score, 2) for s in scores)  # kept to four places


def test_ermelo_population_from_the_grid_and_real_bgt_places(towns_ctx):
    total = db.session.scalar(
        select(func.sum(AreaIndicator.value))
        .join(Area)
        .where(Area.code.like("BU0233%"), AreaIndicator.indicator_code == "population")
    )
    # every square CBS assigns to an Ermelo buurt; the 7 suppressed ones are not in it yet
    assert total == 25935
    kinds = dict(
        db.session.execute(
            select(Place.kind_code, func.count())
            .where(Place.source == "BGT straatmeubilair")
            .group_by(Place.kind_code)
        ).all()
    )
    assert kinds == {"bench": 351, "picnic_table": 39, "play_equipment": 398}


def test_second_runs_change_nothing(towns_ctx):
    before = db.session.execute(text("SELECT name, version FROM data_version")).all()
    for name in ("utrecht", "ermelo"):
        for report in _load(name):
            assert (report.created, report.updated) == (0, 0), report.summary_lines()
    db.session.commit()
    assert db.session.execute(text("SELECT name, version FROM data_version")).all() == before


def test_sources_are_recorded_for_the_credits(towns_ctx):
    assert db.session.scalar(select(func.count()).select_from(DataSource)) == 8
    lines = credit_lines(["GM0233"])
    assert "Vierkantstatistieken 100 m 2021: CBS (CC BY 4.0)" in lines
    assert not any("Amsterdam" in line for line in credit_lines(["GM0344"]) + lines)
    # Places credit the source they were imported from (place.source is the recipe's key).
    bgt = db.session.scalar(
        select(DataSource)
        .where(DataSource.gemeente == "GM0233")
        .where(DataSource.place_source.is_not(None))
    )
    assert bgt is not None and bgt.place_source == "BGT straatmeubilair"


def test_a_broken_recipe_is_refused_before_anything_is_written(towns_ctx, tmp_path):
    recipe = tmp_path / "broken.toml"
    recipe.write_text((RECIPES / "utrecht.toml").read_text().replace('"a_hh"', '"a_hhh"'))
    with pytest.raises(ImportFailed, match="column 'a_hhh' not in cbs_kwb2023_utrecht.xlsx"):
        load_recipe(recipe, data_dir())


def test_cohesion_deficit_follows_the_declared_meaning():
    from placemaker.gaps.need import score_on_ten

    # the reference (average) is no deficit whatever the scale
    assert score_on_ten(0, -0.5, 0.5, reference=0) == pytest.approx(7)
    assert score_on_ten(100, 0, 200, reference=100) == pytest.approx(7)
    # halfway from average to the worst end: half the deficit (1 + 6 / 2 on the 1-10 scale)
    assert score_on_ten(-0.25, -0.5, 0.5, reference=0) == pytest.approx(4)
    assert score_on_ten(150, 0, 200, reference=100, higher_is_better=False) == pytest.approx(4)
    # BBGA 1-10 without a reference stays as it is
    assert score_on_ten(4.8, 1, 10) == pytest.approx(4.8)


def test_the_demo_is_the_amsterdam_recipe(app_ctx):
    stadsdeel = db.session.scalar(select(Area).where(Area.code == "F"))
    assert (stadsdeel.parent.code, stadsdeel.parent.level_code) == ("GM0363", "gemeente")
    assert any("BBGA" in line for line in credit_lines(["GM0363"]))
    reports = load_recipe(RECIPES / "amsterdam.toml", data_dir())
    assert all(r.ok and (r.created, r.updated) == (0, 0) for r in reports), [
        r.summary_lines() for r in reports
    ]


def test_ermelo_demand_comes_from_the_grid(towns):
    from placemaker.areas.population import demand_sources
    from placemaker.gaps.model import build_model
    from placemaker.gaps.params import GapParams

    with towns.test_request_context():
        model = build_model(GapParams(area="GM0233"))
        # 25,690 residents in known squares + 7 suppressed squares at 2.5 each
        assert float(model.grid.population.sum()) == pytest.approx(25690 + 7 * 2.5)
        assert np.count_nonzero(model.grid.population) == 904
        sources = {s["gemeente"]: s for s in demand_sources()}
        db.session.remove()
    assert sources["GM0233"]["demand_source"] == "grid" and not sources["GM0233"]["warning"]
    assert sources["GM0344"]["demand_source"] == "area"
    assert "may include water" in sources["GM0344"]["warning"]


@pytest.mark.parametrize("gemeente", ["GM0233", "GM0344"])
def test_suggestions_reach_residents_with_more_need_than_the_uncovered_mean(towns, gemeente):
    from placemaker.gaps.model import load_model
    from placemaker.gaps.params import GapParams
    from placemaker.gaps.results import suggestions

    with towns.test_request_context():
        params = GapParams(area=gemeente, p=5)
        result = suggestions(params)
        model = load_model(params)
        db.session.remove()
    uncovered = ~model.covered
    mean_need = model.grid.weight[uncovered].sum() / model.grid.population[uncovered].sum()
    assert len(result["features"]) == 5
    for site in result["features"]:
        reached = site["properties"]["new_residents_reached"]
        assert reached > 0
        assert site["properties"]["area"]["ancestors"][0]["code"] == gemeente
    assert result["new_weighted_need_reached"] / result["new_residents_reached"] >= mean_need


def test_ogc_metadata_credits_the_imported_sources(towns, client):
    ours = towns.test_client().get("/ogc").get_json()["attribution"]
    assert "Gemeente Utrecht" in ours and "Leefbaarometer" in ours
    assert "Amsterdam" not in ours
    collection = towns.test_client().get("/ogc/collections/places").get_json()
    assert "Kadaster" in collection["attribution"]
    assert "Gemeente Amsterdam" in client.get("/ogc").get_json()["attribution"]


SITES_ON_EXCLUDED_SQL = """
    SELECT count(*) FROM gap_layer_feature f JOIN gap_layer l ON l.id = f.layer_id
    WHERE l.role = 'exclude'
      AND ST_Covers(f.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), ST_SRID(f.geom)))
"""


@pytest.mark.parametrize("gemeente", ["GM0233", "GM0344"])
def test_no_suggested_site_lies_on_water_or_a_warning_says_it_may(towns, gemeente):
    from placemaker.areas.population import demand_warnings
    from placemaker.gaps.params import GapParams
    from placemaker.gaps.results import suggestions

    with towns.test_request_context():
        result = suggestions(GapParams(area=gemeente, p=5))
        on_water = [
            site["id"]
            for site in result["features"]
            if db.session.scalar(
                text(SITES_ON_EXCLUDED_SQL),
                dict(zip(("lon", "lat"), site["geometry"]["coordinates"], strict=True)),
            )
        ]
        water_layers = db.session.scalar(
            text(
                "SELECT count(*) FROM gap_layer_feature f JOIN gap_layer l ON l.id = f.layer_id "
                "JOIN area g ON g.code = :g WHERE l.role = 'exclude' "
                "AND ST_Intersects(f.geom, g.geom)"
            ),
            {"g": gemeente},
        )
        everywhere = demand_warnings()
        db.session.remove()
    assert on_water == []
    if gemeente == "GM0233":  # Ermelo: the Veluwemeer comes as a CBS water buurt
        assert water_layers >= 1
        assert result["demand_warnings"] == []
    else:  # Utrecht ships no water geometry: the analysis says so plainly
        assert water_layers == 0
        [warning] = result["demand_warnings"]
        assert warning["gemeente"] == "GM0344" and "may include water" in warning["warning"]
    assert [w["gemeente"] for w in everywhere] == ["GM0344"]


def test_the_default_coverage_level_has_data_in_the_chosen_municipality(towns):
    from placemaker.areas.population import levels_with_data
    from placemaker.gaps.pages import default_level

    with towns.test_request_context():
        assert levels_with_data(("gebied", "wijk", "buurt"), "GM0344") == ["wijk", "buurt"]
        assert levels_with_data(("gebied", "buurt"), "BU02330001") == ["buurt"]
        assert default_level("GM0233") == "wijk"
        page = towns.test_client().get("/planners?area=GM0344").get_data(as_text=True)
        db.session.remove()
    assert 'value="gebied"' not in page and 'value="buurt"' in page


def test_the_planners_page_warns_only_for_the_municipality_it_shows(towns):
    client = towns.test_client()
    utrecht = client.get("/planners?area=GM0344").get_data(as_text=True)
    ermelo = client.get("/planners?area=GM0233").get_data(as_text=True)
    warning = 'class="gaps-warning"'
    assert warning in utrecht and "Utrecht:" in utrecht.split(warning, 1)[1][:200]
    assert warning not in ermelo  # Ermelo's residents come from the grid: nothing to warn of
