"""Words users see: no internal names ("ils", "Bron: proposal"), "Gapwaarde" explained."""

from __future__ import annotations

import re

import pytest

from placemaker.places.service import Actor, create_place
from tests.browser import logged_in_page, new_context
from tests.factories import _session_for
from tests.test_proposals_browser import propose_by_clicking, withdraw

READY = ".folium-map[data-gaps-state=ready]"
INTERNAL = re.compile(r"\b(ils|greedy|milp|greedy\+swap)\b")


@pytest.fixture()
def context(browser, live_server):
    context = new_context(browser, live_server)
    yield context
    context.close()


def computed(page) -> None:
    """Wait for the analysis; once more if the server's analysis slots were all busy (503)."""
    for _ in range(3):
        page.wait_for_selector(".folium-map[data-gaps-state]:not([data-gaps-state=computing])")
        if page.locator(READY).count():
            return
        page.click("#gaps-compute")
    page.wait_for_selector(READY)


@pytest.mark.browser
def test_planners_read_how_sites_were_found_in_words(context, live_server, artifacts):
    page = context.new_page()
    for lang, expected in (("nl", "Methode: "), ("en", "Method: ")):
        page.goto(f"{live_server}/planners?lang={lang}")
        computed(page)
        method = page.locator("#gaps-method").inner_text()
        assert method.startswith(expected), method
        assert not INTERNAL.search(method), method
    page.screenshot(path=str(artifacts / "planners-method-en.png"))


@pytest.mark.browser
def test_moderators_read_what_the_gap_value_means(context, live_server, artifacts):
    resident = context.new_page()
    track_url = propose_by_clicking(resident, live_server, 4.8488, 52.3612, "Een bank op het plein")
    page = logged_in_page(context, live_server)
    page.goto(f"{live_server}/moderatie")
    help_text = page.locator("#gap-value-help").inner_text()
    assert help_text.startswith("Witte-vlekwaarde: hoeveel bewoners die nu geen ontmoetingsplek")
    header = page.get_by_role("columnheader", name="Witte-vlekwaarde")
    assert header.get_attribute("aria-describedby") == "gap-value-help"
    assert "Gapwaarde" not in page.content()
    link = page.locator("a[href^='/moderatie/']").evaluate_all(
        "els => els.map(a => a.getAttribute('href')).filter(h => /\\/moderatie\\/\\d+$/.test(h))"
    )
    page.goto(live_server + link[0])
    facts = page.locator("dl.facts").inner_text()
    assert "Witte-vlekwaarde" in facts and "volgens de witte-vlekkenanalyse" in facts
    assert "Gapwaarde" not in page.content()
    page.screenshot(path=str(artifacts / "moderate-gap-value.png"))
    withdraw(resident, track_url)


@pytest.mark.parametrize(
    ("source", "nl", "en"),
    [
        ("proposal", "een voorstel van een bewoner", "a resident's proposal"),
        ("form", "ingevoerd door een gebiedsbeheerder", "entered by an area manager"),
        ("BGT 2024", "BGT 2024", "BGT 2024"),  # an import no recipe credits: its own words
        (  # the demo's community facilities: credited to the source they came from
            "maatschappelijke_voorzieningen",
            '<a href="https://maps.amsterdam.nl/">Maatschappelijke voorzieningen</a>,'
            " Gemeente Amsterdam (CC BY 4.0)",
            '<a href="https://maps.amsterdam.nl/">Maatschappelijke voorzieningen</a>,'
            " Gemeente Amsterdam (CC BY 4.0)",
        ),
    ],
)
def test_a_place_names_its_source_in_words(app, client, source, nl, en):
    with _session_for(app) as done:
        place = done(
            create_place(
                {"name": "Bankje", "kind_code": "bench", "lon": 4.8421, "lat": 52.3655},
                Actor("test"),
                source=source,
            )
        )
    html = client.get(f"/places/{place.id}").get_data(as_text=True)
    assert f"<dt>Bron</dt><dd>{nl}</dd>" in html.replace("&#39;", "'")
    html = client.get(f"/places/{place.id}?lang=en").get_data(as_text=True)
    assert f"<dt>Source</dt><dd>{en}</dd>" in html.replace("&#39;", "'")
