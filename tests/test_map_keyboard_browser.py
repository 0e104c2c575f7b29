"""The main map by keyboard and screen reader: ward outlines out of the Tab order, clusters
named by what they hold, a legend that folds away on a phone."""

from __future__ import annotations

import re

import pytest

from tests.browser import new_context

pytestmark = pytest.mark.browser


@pytest.fixture()
def context(browser, live_server):
    def make(width: int, height: int):
        ctx = new_context(browser, live_server, viewport={"width": width, "height": height})
        made.append(ctx)
        return ctx

    made: list = []
    yield make
    for ctx in made:
        ctx.close()


def test_tab_passes_the_buurt_outlines_and_clusters_say_what_they_hold(
    context, live_server, artifacts
):
    page = context(1280, 900).new_page()
    page.goto(f"{live_server}/?level=buurt&layers=places,cohesion")
    page.wait_for_selector(".leaflet-container[data-areas-state=ready]")
    page.wait_for_selector(".marker-cluster")
    outlines = page.locator("path.leaflet-interactive").count()
    assert outlines > 100
    assert page.locator("path.leaflet-interactive:not([tabindex='-1'])").count() == 0
    page.locator(".leaflet-control-zoom-in").focus()
    focused = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.tagName.toLowerCase()"))
    assert "path" not in focused
    labels = page.locator(".marker-cluster").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label'))"
    )
    first = labels[0]
    # "23 plekken: 12 × Bankje, 11 × Buurtkamer": the parts add up to the whole.
    match = re.fullmatch(r"(\d+) plek(?:ken)?: (.+)", first)
    assert match, first
    parts = [int(re.match(r"(\d+) × \S", p).group(1)) for p in match.group(2).split(", ")]
    assert sum(parts) == int(match.group(1))
    shown = page.locator(".marker-cluster").first.inner_text().strip()
    assert shown == match.group(1)
    legend = page.locator(".pm-legend-toggle")
    assert legend.get_attribute("aria-expanded") == "true"
    assert page.locator(".pm-legend-body").is_visible()
    # Inherited scores: dashed outline, said so in the legend and the tooltip.
    inherited = page.locator("path.pm-area-inherited")
    assert inherited.count() > 0
    assert inherited.first.get_attribute("stroke-dasharray") == "6 4"
    assert page.locator("path.pm-area-own").first.get_attribute("stroke-dasharray") is None
    legend_text = page.locator(".pm-legend").inner_text()
    assert "gestreepte rand: score van het grotere gebied" in legend_text
    fills = set(
        page.locator("path.pm-area-own, path.pm-area-inherited").evaluate_all(
            "els => els.map(e => e.getAttribute('fill'))"
        )
    )
    assert fills <= {"#2d004b", "#7b1f7a", "#c2185b", "#b34d00", "#5f7300", "#bdbdbd"}
    assert len(fills) >= 3
    inherited.first.dispatch_event("mouseover")
    assert "overgenomen van" in page.locator(".leaflet-tooltip").inner_text()
    page.screenshot(path=str(artifacts / "map-buurt-keyboard.png"))


def test_legend_is_folded_on_a_phone_and_opens_with_its_button(context, live_server, artifacts):
    page = context(390, 844).new_page()
    page.goto(f"{live_server}/?layers=places,cohesion&lang=en")
    page.wait_for_selector(".leaflet-container[data-areas-state=ready]")
    toggle = page.get_by_role("button", name="Legend")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator(".pm-legend-body").is_visible()
    page.screenshot(path=str(artifacts / "map-phone-legend-folded.png"))
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert "Social cohesion" in page.locator(".pm-legend-body").inner_text()
    label = page.locator(".marker-cluster").first.get_attribute("aria-label")
    assert re.fullmatch(r"\d+ meeting places?: .+", label or ""), label
    page.screenshot(path=str(artifacts / "map-phone-legend-open.png"))
