"""Abuse limits and bad input: each answered with a clear message, nothing lost or leaked."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest

from placemaker.extensions import db
from placemaker.places.models import Place
from placemaker.proposals import common, tracking
from tests.factories import client_for, csrf_token
from tests.test_degraded import keep_limiter  # noqa: F401  (fixture)
from tests.test_pages import edit_form
from tests.test_proposals import MANAGER, QUIET, unescaped
from tests.test_proposals_web import _version, propose, token_of

FORMULA = '=HYPERLINK("http://evil.example","klik") hier graag een bankje in de schaduw'


def test_proposals_csv_is_formula_escaped(app):
    resident = app.test_client()
    assert propose(resident, reason=FORMULA).status_code == 303
    response = resident.get("/exports/proposals.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    reasons = [r.get("reason") for r in rows if (r.get("reason") or "").endswith("schaduw")]
    assert reasons == ["'" + FORMULA]


def test_refused_proposals_do_not_count_and_the_429_page_keeps_the_text(app, monkeypatch):
    monkeypatch.setitem(app.config, "PROPOSAL_RATE_LIMIT", "2 per minute")
    resident = app.test_client()
    for _ in range(3):  # refused forms: nothing received, nothing counted
        assert propose(resident, lat="91").status_code == 400
    assert propose(resident).status_code == 303
    assert propose(resident, lon=str(QUIET[0] + 0.001)).status_code == 303
    reason = "Een derde plek: hier staat nog niets, maar er wonen veel mensen in de buurt."
    refused = propose(resident, lon=str(QUIET[0] + 0.002), reason=reason)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "U hebt in korte tijd veel voorstellen verstuurd." in html
    assert reason in html and 'name="submission_key"' in html


@pytest.mark.usefixtures("keep_limiter")
def test_proxy_fix_is_configured_through_the_environment():
    from tests.conftest import TEST_DATABASE_URL, make_test_app

    seen = []
    for hops in (0, 1):
        proxied = make_test_app(TEST_DATABASE_URL, PROXY_FIX_FOR=hops)
        proxied.add_url_rule(
            "/_whoami", "whoami", lambda: seen.append(__import__("flask").request.remote_addr) or ""
        )
        proxied.test_client().get(
            "/_whoami",
            headers={"X-Forwarded-For": "203.0.113.7"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
        )
    assert seen == ["10.0.0.1", "203.0.113.7"]


# --- an expired CSRF token loses nothing ----------------------------------------------------


class _FormReader(HTMLParser):
    """The fields and action of the "send again" form, as a browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.action, self.fields, self._textarea = None, {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if (
            tag == "form"
            and attrs.get("method") == "post"
            and "stacked-form" in (attrs.get("class") or "")
        ):
            self.action = attrs["action"]
        elif tag == "input" and attrs.get("name") and self.action:
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea" and self.action:
            self._textarea = attrs["name"]
            self.fields[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def resend_form(response) -> tuple[str, dict[str, str]]:
    reader = _FormReader()
    reader.feed(response.get_data(as_text=True))
    return reader.action, reader.fields


STALE = "IjEyMyI.stale.token"
CSRF_NL = "Het formulier stond te lang open of kwam van elders."


def _proposal(app, resident):
    token = token_of(propose(resident))
    with app.app_context():
        return token, tracking.find_by_token(token).id


def test_expired_token_on_a_place_edit_keeps_the_text_and_sends_again(app, make_place):
    place = make_place(name="Bankje bij de vijver", lon=4.8421, lat=52.3655)
    manager = client_for(app, MANAGER)
    form = edit_form(manager, place.id)
    typed = {
        **form,
        "csrf_token": STALE,
        "name": "Bankje aan de vijver",
        "description": "Een lange beschrijving die ik een uur lang heb zitten typen.",
    }
    refused = manager.post(f"/places/{place.id}/edit", data=typed)
    html = unescaped(refused.get_data(as_text=True))
    assert refused.status_code == 400 and CSRF_NL in html
    assert "Een lange beschrijving die ik een uur lang heb zitten typen." in html
    action, fields = resend_form(refused)
    assert action == f"/places/{place.id}/edit" and fields["csrf_token"] != STALE
    sent = manager.post(action, data=fields)
    assert sent.status_code == 303, sent.get_data(as_text=True)[:400]
    with app.app_context():
        assert db.session.get(Place, place.id).name == "Bankje aan de vijver"


def test_expired_token_on_a_rejection_and_a_reply_keeps_the_text(app):
    resident = app.test_client()
    token, proposal_id = _proposal(app, resident)
    manager = client_for(app, MANAGER)
    page = manager.get(f"/moderatie/{proposal_id}")
    reason = "Mijn uitgebreide uitleg waarom het hier echt niet kan, met details."
    refused = manager.post(
        f"/moderatie/{proposal_id}/ask",
        data={"csrf_token": STALE, "version": _version(page), "reason": reason},
    )
    assert refused.status_code == 400
    html = unescaped(refused.get_data(as_text=True))
    assert CSRF_NL in html and reason in html and "Bad Request" not in html
    action, fields = resend_form(refused)
    assert manager.post(action, data=fields).status_code == 303

    tracking = resident.get(f"/voorstellen/volg/{token}")
    answer = "Aan de kant van de speeltuin, bij de grote boom."
    refused = resident.post(
        f"/voorstellen/volg/{token}/antwoord",
        data={"csrf_token": STALE, "version": _version(tracking), "text": answer},
    )
    assert refused.status_code == 400
    assert CSRF_NL in unescaped(refused.get_data(as_text=True))
    action, fields = resend_form(refused)
    assert fields["text"] == answer
    assert resident.post(action, data=fields).status_code == 303
    assert answer in unescaped(resident.get(f"/voorstellen/volg/{token}").get_data(as_text=True))


def test_expired_token_on_login_keeps_the_address_never_the_password(app):
    client = app.test_client()
    refused = client.post(
        "/login?next=/moderatie&lang=en",
        data={"csrf_token": STALE, "email": MANAGER, "password": "placemaker-demo"},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "The form was open too long or came from elsewhere." in html
    assert MANAGER in html and "placemaker-demo" not in html
    action, fields = resend_form(refused)
    assert action == "/login?next=/moderatie&lang=en" and fields["password"] == ""
    fields["password"] = "placemaker-demo"
    sent = client.post(action, data=fields)
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/moderatie")


def test_error_pages_link_home(client):
    html = client.get("/does-not-exist").get_data(as_text=True)
    assert '<a href="/">Naar de startpagina</a>' in html and "healthz" not in html


def test_login_next_with_cr_lf_or_backslash_goes_home(app):
    for target in ("/moderatie%0d%0aSet-Cookie:%20x=1", "/\\\\evil.example", "/%0a"):
        client = app.test_client()
        page = client.get("/login")
        response = client.post(
            f"/login?next={target}",
            data={"email": MANAGER, "password": "placemaker-demo", "csrf_token": csrf_token(page)},
        )
        assert response.status_code == 303
        assert "evil" not in response.headers["Location"]
        assert "\r" not in response.headers["Location"] and "Set-Cookie" not in str(
            response.headers.getlist("Set-Cookie")
        )


@pytest.mark.parametrize("week", ["0001-W01", "9999-W52", "1999-W52", "3001-W10", "2026-W99"])
def test_digest_week_edge_values_are_400(app, week):
    manager = client_for(app, MANAGER)
    response = manager.get(f"/moderatie/overzicht?week={week}")
    assert response.status_code == 400
    assert "Schrijf de week als" in response.get_data(as_text=True)


# --- sessions and logins ----------------------------------------------------------------------


def test_logging_out_ends_every_session_also_a_copied_cookie(app):
    manager = client_for(app, MANAGER)
    thief = app.test_client()
    cookie = manager.get_cookie("session")
    thief.set_cookie("session", cookie.value)
    assert thief.get("/moderatie").status_code == 200
    page = manager.get("/moderatie")
    assert manager.post("/logout", data={"csrf_token": csrf_token(page)}).status_code == 303
    refused = thief.get("/moderatie")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    assert client_for(app, MANAGER).get("/moderatie").status_code == 200  # logging in works


def test_unknown_addresses_cost_a_password_check_too(app):
    from placemaker.accounts import service as accounts

    with app.test_request_context():
        accounts._dummy_hash.cache_clear()
        assert accounts.authenticate("nobody@example.org", "guess") is None
        assert accounts._dummy_hash.cache_info().misses == 1


def test_failed_logins_are_limited_per_account_from_any_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_RATE_LIMIT", "3 per hour")
    for octet in range(1, 4):
        client = app.test_client()
        page = client.get("/login")
        wrong = client.post(
            "/login",
            data={"email": MANAGER, "password": "wrong-guess", "csrf_token": csrf_token(page)},
            environ_base={"REMOTE_ADDR": f"198.51.100.{octet}"},
        )
        assert wrong.status_code == 400
    client = app.test_client()
    page = client.get("/login")
    refused = client.post(
        "/login",
        data={"email": MANAGER, "password": "placemaker-demo", "csrf_token": csrf_token(page)},
        environ_base={"REMOTE_ADDR": "198.51.100.9"},
    )
    assert refused.status_code == 429
    other = client_for(app, "admin@demo.placemaker.nl")  # other accounts are not affected
    assert other.get("/moderatie").status_code == 200


def test_public_history_names_staff_never_their_e_mail(app):
    from placemaker.proposals.models import Proposal

    resident = app.test_client()
    token, proposal_id = _proposal(app, resident)
    manager = client_for(app, MANAGER)
    page = manager.get(f"/moderatie/{proposal_id}")
    approved = manager.post(
        f"/moderatie/{proposal_id}/approve",
        data={
            "csrf_token": csrf_token(page),
            "version": _version(page),
            "name": "Bankje bij het plein",
            "kind": "bench",
            "reason": "Komt er!",
        },
    )
    assert approved.status_code == 303
    with app.app_context():
        place_id = db.session.get(Proposal, proposal_id).place_id
    anonymous = app.test_client()
    for url in (
        f"/api/places/{place_id}",
        f"/places/{place_id}",
        f"/voorstellen/{proposal_id}",
        f"/voorstellen/volg/{token}",
    ):
        body = anonymous.get(url).get_data(as_text=True)
        assert "@demo.placemaker.nl" not in body, url
    assert "Fatima El Amrani (proposal" in anonymous.get(f"/places/{place_id}").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Bankje\x00", "Tekst mag geen NUL-tekens bevatten."),
        ("\u200b\u200c\u200d\ufeff", "a place needs a name"),
    ],
)
def test_nul_or_invisible_names_reshow_the_form(app, name, message):
    from sqlalchemy import func, select

    manager = client_for(app, MANAGER)
    page = manager.get("/places/new")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Place))
    response = manager.post(
        "/places/new",
        data={
            "csrf_token": csrf_token(page),
            "name": name,
            "kind_code": "bench",
            "description": "Mijn beschrijving",
            "lon": "4.8421",
            "lat": "52.3655",
        },
    )
    html = unescaped(response.get_data(as_text=True))
    assert response.status_code == 400 and message in html
    assert "Mijn beschrijving" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Place)) == before


def test_a_small_png_with_many_pixels_is_refused_before_decoding(app_ctx):
    from PIL import Image

    from placemaker.errors import InvalidInput
    from placemaker.proposals.photos import clean_photo

    out = io.BytesIO()
    Image.new("1", (5000, 4000)).save(out, "PNG")  # 20 MP in a few kilobytes
    assert len(out.getvalue()) < 200_000
    with pytest.raises(InvalidInput, match="te veel pixels"):
        clean_photo(out.getvalue(), 5 * 1024 * 1024)


def test_sending_the_new_place_form_three_times_adds_one_place(app):
    import re

    from sqlalchemy import func, select

    manager = client_for(app, MANAGER)
    page = manager.get("/places/new?lon=4.8421&lat=52.3655")
    key = re.search(
        r'name="submission_key" type="hidden" value="([^"]+)"|'
        r'id="submission_key" name="submission_key" type="hidden" value="([^"]+)"',
        page.get_data(as_text=True),
    )
    data = {
        "csrf_token": csrf_token(page),
        "name": "Buurtkamer Drie Keer",
        "kind_code": "buurtkamer",
        "lon": "4.8421",
        "lat": "52.3655",
        "submission_key": key.group(1) or key.group(2),
    }
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Place))
    answers = [manager.post("/places/new", data=dict(data)) for _ in range(3)]
    assert [a.status_code for a in answers] == [303, 303, 303]
    assert len({a.headers["Location"] for a in answers}) == 1
    assert "Deze plek was al toegevoegd" in manager.get(answers[2].headers["Location"]).get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Place)) == before + 1


# --- support inflation ------------------------------------------------------------------------


def test_clearing_cookies_does_not_inflate_supports_and_moderators_see_bursts(app, monkeypatch):
    monkeypatch.setitem(app.config, "SUPPORT_PER_NETWORK", 3)
    token, proposal_id = _proposal(app, app.test_client())

    def support_from(address: str):
        client = app.test_client()  # a fresh browser: no support cookie
        page = client.get(f"/voorstellen/{proposal_id}", environ_base={"REMOTE_ADDR": address})
        return client.post(
            f"/voorstellen/{proposal_id}/steun",
            data={"csrf_token": csrf_token(page)},
            environ_base={"REMOTE_ADDR": address},
        ), client

    for last in range(1, 6):  # five "people" behind one /24, cookies cleared each time
        response, client = support_from(f"203.0.113.{last}")
        assert response.status_code == 303
    refused = unescaped(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Dit voorstel kreeg al veel steun vanaf uw netwerk" in refused
    assert support_from("198.51.100.7")[0].status_code == 303  # another network counts
    with app.app_context():
        assert common.support_counts([proposal_id])[proposal_id] == 4
    moderation_page = client_for(app, MANAGER).get(f"/moderatie/{proposal_id}")
    assert "3 vanaf één netwerk" in moderation_page.get_data(as_text=True)


# --- importers name the feature instead of a traceback ----------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"type": "FeatureCollection", "features": ["x"]}',
            "feature #1: a feature must be a JSON object",
        ),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "b1", '
            '"properties": {"pop": NaN}, "geometry": null}]}',
            "NaN is not a number GeoJSON allows",
        ),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "b2", '
            '"properties": {"name": "a\\u0000b"}, "geometry": null}]}',
            "feature b2: .properties.name contains a NUL character",
        ),
        (
            '{"type": "FeatureCollection", "features": [' + "[" * 5000 + "]" * 5000 + "]}",
            "nested deeper than",
        ),
    ],
)
def test_importers_name_the_feature_instead_of_a_traceback(tmp_path, text, message):
    from placemaker.imports.common import ImportFailed, read_geojson

    path = tmp_path / "in.geojson"
    path.write_text(text)
    with pytest.raises(ImportFailed, match=message.replace(".", r"\.").replace("(", r"\(")):
        read_geojson(path)
