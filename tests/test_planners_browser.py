"""The planners' map in a real headless Chromium, against the live server and the demo data."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urlsplit

import pytest
import shapely
from pyogrio.raw import read

from tests import test_map_browser as map_browser
from tests.browser import PLANNER, log_in, new_context

# Requests to any host but ours (tiles allowed, answered empty): as on the map.
foreign = map_browser.foreign

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)>"
MAP = ".folium-map"
READY = ".folium-map[data-gaps-state=ready]"


def state(page) -> str:
    return page.locator(MAP).get_attribute("data-gaps-state") or ""


def recompute(page) -> None:
    page.click("#gaps-compute")
    page.wait_for_selector(".folium-map:not([data-gaps-state=computing])")


def test_the_page_computes_shows_progress_and_explains(page, live_server, foreign, artifacts):
    # Hold the suggestions back until the progress has been seen.
    held = []

    def hold(route) -> None:
        held.append(route)

    suggestions = re.compile(r".*/api/gaps/suggestions\?.*")
    page.route(suggestions, hold)
    page.goto(f"{live_server}/planners")
    progress = page.locator("#gaps-progress")
    progress.wait_for(state="visible")
    page.wait_for_selector("[data-stage=cells][data-state=done]")
    page.wait_for_selector("[data-stage=coverage][data-state=done]")
    assert state(page) == "computing"
    assert page.locator("#gaps-status").inner_text() == "Bezig met berekenen: voorgestelde plekken…"
    assert page.locator("[data-stage=suggestions]").get_attribute("data-state") == "running"
    assert page.locator("#gaps-progress-bar").get_attribute("value") == "2"
    assert len(held) == 1
    page.unroute(suggestions, hold)
    held[0].continue_()

    page.wait_for_selector(READY)
    assert progress.is_hidden()
    assert page.locator("#gaps-status").inner_text() == "Klaar: 10 plekken voorgesteld."
    items = page.locator("#gaps-suggestions > li")
    assert items.count() == 10
    assert page.locator(".gap-marker").count() == 10
    assert [page.locator(".gap-marker").nth(i).inner_text() for i in range(10)] == [
        str(i) for i in range(1, 11)
    ]
    first = items.first.inner_text()
    assert "Bereikt" in first and "bewoners zonder ontmoetingsplek" in first
    assert "Dichtstbijzijnde ontmoetingsplekken" in first and "Sociale samenhang" in first
    # Need cells and coverage are drawn, each with a legend.
    assert int(page.locator(MAP).get_attribute("data-cells-count")) > 1000
    legend = page.locator(".gaps-legend").inner_text()
    assert "Behoefte zonder plek, per cel van 100 m" in legend
    assert "Bewoners met een ontmoetingsplek binnen bereik · Wijk" in legend
    assert "Bron: bewoners" in legend and "BBGA" in legend
    assert page.locator(".leaflet-overlay-pane path").count() > 50  # wijken as SVG paths

    page.screenshot(path=str(artifacts / "planners.png"))

    # The popup of a marker shows the same explanation as the list.
    page.locator(".gap-marker[title^='Plek 1 ']").click()
    popup = page.locator(".leaflet-popup-content .gap-popup")
    popup.wait_for()
    text = popup.inner_text()
    assert text.startswith("Plek 1")
    assert "Bereikt" in text and "De op één na beste locatie" in text
    reach = page.locator("#gaps-suggestions > li").first.locator(".gap-reach").inner_text()
    assert reach in text
    page.screenshot(path=str(artifacts / "planners-popup.png"))
    assert foreign == []


def test_changing_p_changes_the_list_and_the_permalink(page, live_server, foreign, artifacts):
    asked: list[str] = []
    page.on("request", lambda r: asked.append(urlsplit(r.url).path))
    page.goto(f"{live_server}/planners")
    page.wait_for_selector(READY)
    page.fill("#gaps-p", "3")
    recompute(page)
    assert state(page) == "ready"
    assert page.locator("#gaps-suggestions > li").count() == 3
    assert page.locator(".gap-marker").count() == 3
    assert "p=3" in page.url
    # Need and coverage do not depend on p: only the suggestions were asked again.
    assert asked.count("/api/gaps/suggestions") == 2
    assert asked.count("/api/gaps/cells") == 1 and asked.count("/api/gaps/coverage") == 1
    after_click = page.locator(MAP).get_attribute("data-suggestions-ms")
    # The permalink brings the same analysis back.
    page.goto(page.url)
    page.wait_for_selector(READY)
    (artifacts / "planners-timing.txt").write_text(
        "ms from computing until the suggestions are drawn, in Chromium against the test "
        f"server: p changed to 3 with Bereken {after_click}; the same on opening its "
        f"permalink {page.locator(MAP).get_attribute('data-suggestions-ms')}\n"
    )
    assert page.input_value("#gaps-p") == "3"
    assert page.locator("#gaps-suggestions > li").count() == 3
    # Keyboard: a list item's button opens its marker's popup.
    page.locator("#gaps-suggestions .gap-show").nth(1).focus()
    page.keyboard.press("Enter")
    page.locator(".leaflet-popup-content .gap-popup").wait_for()
    assert page.locator(".leaflet-popup-content .gap-popup h2").inner_text().startswith("Plek 2")
    assert foreign == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("p=500", "p must lie between 1 and 200"),
        ("w_lonely=11", "w_lonely must lie between 0 and 10"),
    ],
)
def test_a_bad_parameter_shows_the_api_message(page, live_server, foreign, query, message):
    page.goto(f"{live_server}/planners?{query}")
    page.wait_for_selector(".folium-map[data-gaps-state=error]")
    error = page.locator("#gaps-error")
    assert error.is_visible()
    assert error.inner_text() == f"De analyse kon niet worden berekend. {message}"
    assert page.locator("#gaps-progress").is_hidden()
    assert page.locator("#gaps-results").is_hidden()
    assert foreign == []


def test_clicking_the_map_evaluates_the_point(page, live_server, foreign):
    page.goto(f"{live_server}/planners?area=DX09&p=2&lang=en")
    page.wait_for_selector(READY)
    box = page.locator(MAP).bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.55)
    page.wait_for_selector(".folium-map[data-evaluated='1']")
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert popup.startswith("A new meeting place here")
    assert re.search(r"Within [\d,]+ m it would reach [\d,.]+ residents", popup)
    assert "Within" in page.locator("#gaps-evaluation-text").inner_text()
    assert foreign == []


def test_a_planner_saves_and_compares_two_scenarios(page, live_server, foreign):
    alerts: list[str] = []
    page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    page.goto(f"{live_server}/planners?area=DX09&p=1")
    page.wait_for_selector(READY)
    assert page.locator("#gaps-save").count() == 0  # not logged in

    log_in(page, live_server, PLANNER)
    page.goto(f"{live_server}/planners?area=DX09&p=1&level=buurt")
    page.wait_for_selector(READY)
    page.fill("#gaps-scenario-name", "Eén plek")
    page.click("#gaps-save button")
    page.wait_for_selector("#gaps-save-status:has-text('bewaard')")
    page.fill("#gaps-p", "4")
    recompute(page)
    page.fill("#gaps-scenario-name", HOSTILE)
    page.click("#gaps-save button")
    page.wait_for_selector("#gaps-save-status:has-text('bewaard')")
    assert HOSTILE in page.locator("#gaps-save-status").inner_text()
    # the list reloads after the status says "saved": wait for it, as a person would
    page.locator("#gaps-scenario-list", has_text=HOSTILE).wait_for()
    assert HOSTILE in page.locator("#gaps-scenario-list").inner_text()

    page.click("#gaps-compare button[type=submit]")
    page.wait_for_selector(".folium-map[data-comparison=ready]")
    comparison = page.locator("#gaps-comparison").inner_text()
    assert f"Eén plek (A) vergeleken met {HOSTILE} (B)" in comparison
    assert page.locator("#gaps-comparison tbody tr").count() >= 1
    legend = page.locator(".gaps-legend").inner_text()
    assert "Verandering in aandeel bewoners binnen bereik" in legend
    # The printable table of the same comparison.
    page.click("#gaps-comparison a")
    page.wait_for_selector("table.gaps-compare-table")
    assert HOSTILE in page.locator("h2").first.inner_text()
    assert page.locator("table.gaps-compare-table tbody tr.gain").count() >= 1
    assert alerts == []
    assert foreign == []


def test_a_planner_uploads_candidate_sites(page, live_server, foreign, tmp_path):
    import json

    sites = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": f"kavel {i}"},
                # in Osdorp, where many residents have no meeting place within reach
                "geometry": {"type": "Point", "coordinates": [4.7979 + i / 500, 52.3519]},
            }
            for i in range(3)
        ],
    }
    good = tmp_path / "kavels.geojson"
    good.write_text(json.dumps(sites))
    bad = tmp_path / "kapot.geojson"
    bad.write_text("{niet json")

    log_in(page, live_server, PLANNER)
    page.goto(f"{live_server}/planners?area=DX07&p=1")
    page.wait_for_selector(READY)
    page.set_input_files("#gaps-layer-file", str(bad))
    page.fill("#gaps-layer-name", "Kapot")
    page.click("#gaps-upload button")
    page.wait_for_selector("#gaps-upload-status.error")
    assert "Dit bestand is geen GeoJSON." in page.locator("#gaps-upload-status").inner_text()

    page.set_input_files("#gaps-layer-file", str(good))
    page.fill("#gaps-layer-name", "Kavels Osdorp")
    page.click("#gaps-upload button")
    page.wait_for_selector("#gaps-upload-status:has-text('opgeslagen met 3 objecten')")
    option = page.locator("#gaps-candidates option", has_text="Kavels Osdorp")
    page.select_option("#gaps-candidates", option.get_attribute("value"))
    recompute(page)
    assert page.locator("#gaps-suggestions > li").count() == 1
    assert "kavel" in page.locator("#gaps-suggestions").inner_text()
    assert foreign == []


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_downloads_carry_what_the_map_shows(size, browser, live_server, tmp_path, artifacts):
    context = new_context(browser, live_server, size, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server}/planners?p=2&area=DX09")
    page.wait_for_selector(READY)
    page.fill("#gaps-p", "3")
    recompute(page)
    on_screen = page.locator("#gaps-suggestions > li").all_inner_texts()
    assert len(on_screen) == 3
    exports = page.locator("#gaps-exports")
    exports.scroll_into_view_if_needed()
    assert exports.is_visible()
    page.screenshot(path=str(artifacts / f"planners-exports-{size}.png"))

    # The CSV the planner downloads holds the three sites on screen, in the same order.
    with page.expect_download() as download:
        exports.locator("[data-export=csv]").click()
    csv_path = tmp_path / download.value.suggested_filename
    download.value.save_as(csv_path)
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert [int(r["rank"]) for r in rows] == [1, 2, 3]
    for row, shown in zip(rows, on_screen, strict=True):
        assert row["area_name"] in shown
        assert json.loads(row["parameters"])["p"] == 3

    # The GeoPackage opens in GIS software with the same sites at the same spots.
    with page.expect_download() as download:
        exports.locator("[data-export=gpkg]").click()
    gpkg_path = tmp_path / "suggestions.gpkg"
    download.value.save_as(gpkg_path)
    meta, _fids, geometry, columns = read(gpkg_path)
    assert list(columns[list(meta["fields"]).index("rank")]) == [1, 2, 3]
    for row, point in zip(rows, shapely.from_wkb(geometry), strict=True):
        assert (point.x, point.y) == pytest.approx((float(row["lon"]), float(row["lat"])), abs=1e-5)

    # The printable report lists them too.
    exports.locator("[data-export=report]").click()
    page.wait_for_selector("table.gaps-report-table")
    report = page.locator("table.gaps-report-table tbody tr").all_inner_texts()
    assert len(report) == 3
    assert all(row["area_name"] in line for row, line in zip(rows, report, strict=True))
    page.screenshot(path=str(artifacts / f"planners-report-{size}.png"), full_page=True)
    context.close()
