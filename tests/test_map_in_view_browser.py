"""The main map's list of what is in view, at desktop and phone sizes: the places the map
shows in its bounds, as links and text, kept in step with panning, zooming and the filters,
with only the count announced."""

from __future__ import annotations

import pytest

from tests.test_axe_browser import serious_violations

pytestmark = pytest.mark.browser

LIMIT = 50
DEFAULT_STATUSES = "active,temporarily_closed"
# A name somebody typed, with markup in it, on a quiet street in Slotervaart.
HOSTILE = '<b>Bankje</b> <img src=x onerror="window.pwned=1">'
HOSTILE_AT = (4.84212, 52.36552)
STREET = (52.36550, 4.84210, 16)  # lat, lon, zoom


@pytest.fixture()
def hostile_place(live_place) -> int:
    """A place with markup in its name, in the live server's database, removed afterwards."""
    return live_place(HOSTILE, *HOSTILE_AT, kind_code="buurtkamer")


def settled(page) -> None:
    """Wait until the list and its status speak of the map's current bounds."""
    page.wait_for_function(
        """() => {
            const s = document.getElementById('in-view');
            const m = window.placemakerMap && window.placemakerMap.map;
            return m && s.dataset.state === 'ready'
                && s.dataset.view === m.getBounds().toBBoxString();
        }"""
    )


def expected(page, live_server, kinds: str | None = None) -> dict[int, list]:
    """What the API the page uses holds for the map's current bounds and filters."""
    west, south, east, north = page.evaluate(
        """() => { const b = window.placemakerMap.map.getBounds();
                   return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"""
    )
    params = {"bbox": f"{west},{south},{east},{north}", "status": DEFAULT_STATUSES}
    if kinds:
        params["kind"] = kinds
    body = page.request.get(f"{live_server}/api/places/markers", params=params).json()
    assert body["number_matched"] == body["number_returned"]
    # [id, lon, lat, kind, status, name]
    return {p[0]: p for p in body["places"] if west <= p[1] <= east and south <= p[2] <= north}


def listed(page) -> list[dict]:
    return page.locator("#in-view-list li").evaluate_all(
        """items => items.map(li => ({
            id: Number(li.dataset.id),
            name: li.querySelector('a').textContent,
            href: li.querySelector('a').getAttribute('href'),
            meta: li.querySelector('.inview-meta').textContent,
        }))"""
    )


def status(page) -> str:
    return page.inner_text("#in-view-status").strip()


def said(n: int) -> str:
    return f"{n} plek in beeld" if n == 1 else f"{n} plekken in beeld"


def test_the_list_says_what_the_map_shows_and_follows_it(
    sized, live_server, artifacts, hostile_place
):
    size, context = sized
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/")
    page.wait_for_selector(".folium-map[data-places-state=ready]")
    settled(page)

    # The list is outside the map: no Tab stop added inside it.
    assert page.evaluate("!!document.querySelector('.leaflet-container #in-view')") is False
    assert page.locator("#in-view h2").inner_text() == "In beeld"
    assert page.get_attribute("#in-view-status", "role") == "status"
    details = page.locator("#in-view-details")
    # Folded on a phone (the filters stay near), open beside the map on a desktop.
    assert details.evaluate("d => d.open") is (size == "desktop")
    if size == "phone":
        assert not page.locator("#in-view-list").is_visible()
        page.click("#in-view-details summary")
        assert page.locator("#in-view-list").is_visible()

    # The whole city: more than the list holds; it says so and shows the first ones by name.
    whole = expected(page, live_server)
    assert len(whole) > LIMIT
    rest = "plekken in beeld — zoom in voor de rest"
    assert status(page) == f"Eerste {LIMIT} van {len(whole)} {rest}"
    first = listed(page)
    assert len(first) == LIMIT
    assert {item["id"] for item in first} <= set(whole)
    # By name as the page's language sorts them: the first 50 of all in view.
    by_name = page.evaluate(
        """names => names.sort(new Intl.Collator('nl-NL', {numeric: true, sensitivity: 'base'})
                     .compare)""",
        [p[5] for p in whole.values()],
    )
    assert [item["name"] for item in first] == by_name[:LIMIT]

    # Street level: exactly the places inside the bounds, each a link to its page.
    page.evaluate(
        "([lat, lon, z]) => window.placemakerMap.map.setView([lat, lon], z, {animate: false})",
        list(STREET),
    )
    settled(page)
    street = expected(page, live_server)
    assert 0 < len(street) <= LIMIT
    assert hostile_place in street
    items = listed(page)
    assert {item["id"] for item in items} == set(street)
    assert status(page) == said(len(street))
    by_id = {item["id"]: item for item in items}
    for place_id, place in street.items():
        assert by_id[place_id]["name"] == place[5]
        assert by_id[place_id]["href"] == f"/places/{place_id}"
    # A name with markup in it is text.
    assert by_id[hostile_place]["name"] == HOSTILE
    assert by_id[hostile_place]["meta"] == "Buurtkamer"
    assert page.locator("#in-view img").count() == 0
    assert page.evaluate("window.pwned") is None

    # Zoom out by keyboard: more places, the list and the count follow.
    page.focus(".leaflet-container")
    page.keyboard.press("-")
    page.wait_for_function(f"window.placemakerMap.map.getZoom() === {STREET[2] - 1}")
    settled(page)
    wider = expected(page, live_server)
    assert len(wider) > len(street)
    items = listed(page)
    assert len(items) == min(len(wider), LIMIT)
    assert {item["id"] for item in items} <= set(wider)
    if len(wider) <= LIMIT:
        assert {item["id"] for item in items} == set(wider)
        assert status(page) == said(len(wider))
    else:
        assert status(page).startswith(f"Eerste {LIMIT} van {len(wider)} ")

    # A filter: only neighbourhood rooms, and the list says which kind each is.
    page.evaluate(
        "([lat, lon, z]) => window.placemakerMap.map.setView([lat, lon], z, {animate: false})",
        list(STREET),
    )
    settled(page)
    for box in page.locator('#map-filters input[name="kind"]').all():
        if box.get_attribute("value") != "buurtkamer":
            box.uncheck()
    page.wait_for_function("window.placemakerMap.state.kinds.join() === 'buurtkamer'")
    settled(page)
    rooms = expected(page, live_server, kinds="buurtkamer")
    assert 0 < len(rooms) < len(street)
    items = listed(page)
    assert {item["id"] for item in items} == set(rooms)
    assert all(item["meta"].startswith("Buurtkamer") for item in items)
    assert status(page) == said(len(rooms))

    # One in view: the singular.
    page.evaluate(
        "([lon, lat]) => window.placemakerMap.map.setView([lat, lon], 19, {animate: false})",
        list(HOSTILE_AT),
    )
    settled(page)
    assert list(expected(page, live_server, kinds="buurtkamer")) == [hostile_place]
    assert [item["id"] for item in listed(page)] == [hostile_place]
    assert status(page) == "1 plek in beeld"

    # Three quick moves: the status is changed once, for where the map came to rest.
    page.evaluate(
        """() => {
            window.saidInView = [];
            new MutationObserver(() => window.saidInView.push(
                document.getElementById('in-view-status').textContent
            )).observe(document.getElementById('in-view-status'),
                       {childList: true, characterData: true, subtree: true});
            const m = window.placemakerMap.map;
            m.setZoom(15, {animate: false});
            m.setZoom(14, {animate: false});
            m.setZoom(13, {animate: false});
        }"""
    )
    page.wait_for_function("window.placemakerMap.map.getZoom() === 13")
    settled(page)
    final = status(page)
    assert final != said(len(rooms))
    assert page.evaluate("window.saidInView") == [final]

    # Back to the street with every kind, for the pictures and axe.
    for box in page.locator('#map-filters input[name="kind"]').all():
        box.check()
    page.evaluate(
        "([lat, lon, z]) => window.placemakerMap.map.setView([lat, lon], z, {animate: false})",
        [STREET[0], STREET[1], STREET[2] - 1],
    )
    page.wait_for_function("window.placemakerMap.state.kinds === null")
    settled(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator("#in-view-list li").first.is_visible()
    page.screenshot(path=str(artifacts / f"inview-{size}.png"), full_page=size == "phone")
    assert serious_violations(page) == []
    assert errors == []
