"""Readers and mappings on small real-shaped files: units, repeated keys, multi-code rows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, text

from placemaker.areas.models import Area, AreaIndicator
from placemaker.extensions import db
from placemaker.imports.common import ImportFailed
from placemaker.imports.indicators import (
    CohesionColumns,
    RowKeys,
    import_cohesion_file,
    import_indicators_file,
)
from placemaker.imports.mapping import Missing, ValueSpec, parse_number
from placemaker.imports.readers import read_table


def test_numbers_as_text_decimal_commas_and_missing_markers():
    assert parse_number("5,2") == Decimal("5.2")
    assert parse_number("1.234,5") == Decimal("1234.5")
    assert parse_number(" 367947 ") == 367947
    assert parse_number(12.5) == Decimal("12.5")
    for marker in (".", "-99997", "", "x", None, "NA"):
        with pytest.raises(Missing):
            parse_number(marker)
    with pytest.raises(ValueError):
        parse_number("veel")


def test_csv_with_bom_semicolons_and_derived_share(app_ctx, tmp_path):
    path = tmp_path / "kwb.csv"
    path.write_bytes("\ufeffcode;a_inw;a_65_oo\nF86a;1000;62\nF86b;.;.\n".encode())
    table = read_table(path)
    assert table.columns == ["code", "a_inw", "a_65_oo"]
    report = import_indicators_file(
        path,
        RowKeys("code", year=2030),
        [ValueSpec("share_65plus", "a_65_oo / a_inw", "fraction")],
        source="t",
    )
    assert report.ok, report.summary_lines()
    value = db.session.scalar(
        select(AreaIndicator.value)
        .join(Area)
        .where(Area.code == "F86a", AreaIndicator.source == "t")
    )
    assert value == Decimal("6.2")  # stored as percent
    assert any("no value (missing marker)" in reason for _, reason in report.notes)


def test_fractions_given_as_percent_are_refused(app_ctx, tmp_path):
    path = tmp_path / "shares.csv"
    path.write_text("code,p65\nF86a,0.062\nF86b,0.1\n")
    report = import_indicators_file(
        path, RowKeys("code", year=2030), {"p65": "share_65plus"}, source="t"
    )
    assert not report.ok
    assert report.errors[0][0] == "line 2"
    assert "every value is at most 1 (e.g. 0.062)" in report.errors[0][1]
    path.write_text("code,p65\nF86a,62\n")
    report = import_indicators_file(
        path, RowKeys("code", year=2030), [ValueSpec("share_65plus", "p65", "fraction")], source="t"
    )
    assert not report.ok and "62 is not a fraction" in report.errors[0][1]


@pytest.mark.parametrize("kind", ["indicators", "cohesion"])
def test_every_importer_refuses_a_repeated_key_unless_told(app_ctx, tmp_path, kind):
    path = tmp_path / "twice.csv"
    path.write_text("code,value\nF86a,3\nF86a,4\n")

    def run(policy):
        keys = RowKeys("code", year=2030, on_duplicate=policy)
        if kind == "indicators":
            return import_indicators_file(path, keys, {"value": "population"}, source="t")
        return import_cohesion_file(path, keys, CohesionColumns(score="value"), source="t")

    refused = run("error")
    assert not refused.ok
    assert "given 2 times (line 2, line 3); set on_duplicate" in refused.errors[0][1]
    summed = run("sum")
    assert summed.ok and summed.created == 1


def test_multi_code_rows_refused_with_line_or_split_by_weight(app_ctx, tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text("code,inw\nF86a;F86b,1000\n")
    refused = import_indicators_file(
        path, RowKeys("code", year=2030, split=";"), {"inw": "population"}, source="t"
    )
    assert refused.errors[0][0] == "line 2" and "names several areas" in refused.errors[0][1]
    report = import_indicators_file(
        path,
        RowKeys("code", year=2030, split=";", split_by="land_area"),
        {"inw": "population"},
        source="t",
    )
    assert report.ok and report.created == 2
    total = db.session.scalar(
        select(db.func.sum(AreaIndicator.value)).where(AreaIndicator.source == "t")
    )
    assert total == 1000


def test_cohesion_reimport_changes_nothing(app_ctx, tmp_path):
    path = tmp_path / "coh.csv"
    path.write_text("code,soc\nF86a,0.123456\nF86b,-0.05\n")
    columns = CohesionColumns(
        score="soc",
        scale_min=Decimal(-1),
        scale_max=Decimal(1),
        reference=Decimal(0),
        reference_label="national average",
    )
    first = import_cohesion_file(path, RowKeys("code", year=2030), columns, source="lbm")
    assert first.ok and first.created == 2
    version = db.session.scalar(
        text("SELECT version FROM data_version WHERE name = 'cohesion_score'")
    )
    again = import_cohesion_file(path, RowKeys("code", year=2030), columns, source="lbm")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert (
        db.session.scalar(text("SELECT version FROM data_version WHERE name = 'cohesion_score'"))
        == version
    )


def test_file_without_crs_and_metre_coordinates_is_refused(tmp_path):
    path = tmp_path / "rd.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature",'
        '"properties":{"id":1},"geometry":{"type":"Point",'
        '"coordinates":[121000,487000]}}]}'
    )
    with pytest.raises(ImportFailed, match='set crs = "EPSG:28992"'):
        read_table(path)
    table = read_table(path, crs="EPSG:28992")
    x, y = table.geometries[0].x, table.geometries[0].y
    assert 4.8 < x < 5.0 and 52.3 < y < 52.4
