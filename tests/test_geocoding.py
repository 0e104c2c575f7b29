"""Address search: the local BAG index, PDOK's Locatieserver and the fallback between them."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from pyogrio.raw import write
from sqlalchemy import func, select

from placemaker.extensions import db
from placemaker.geocoding import local
from placemaker.geocoding.models import Address
from placemaker.geocoding.service import Geocoder, Locatieserver, from_config
from placemaker.imports.addresses import import_addresses_file
from placemaker.imports.common import ImportFailed


def labels(results):
    return [r.label for r in results]


def test_the_demo_loads_every_bag_address(app_ctx):
    # 1,836 verblijfsobjecten, 67 ligplaatsen and one standplaats in the sample.
    assert db.session.scalar(select(func.count()).select_from(Address)) == 1904
    kinds = dict(
        db.session.execute(select(Address.kind, func.count()).group_by(Address.kind)).all()
    )
    assert kinds == {"verblijfsobject": 1836, "ligplaats": 67, "standplaats": 1}


def test_reimport_updates_instead_of_duplicating(app_ctx, data_dir):
    report = import_addresses_file(data_dir / "bag_adressen_sample.gpkg")
    assert (report.created, report.updated, report.unchanged, len(report.skipped)) == (
        0,
        0,
        1904,
        0,
    )


@pytest.mark.parametrize(
    "typed, first",
    [
        ("Barentszplein", "Barentszplein, Amsterdam"),
        ("barentsz", "Barentszplein, Amsterdam"),
        ("Barentszplein 1", "Barentszplein 1, 1013 NJ Amsterdam"),
        ("Zandhoek 7", "Zandhoek 7, 1013 KT Amsterdam"),
        ("1013 NJ", "1013 NJ Amsterdam"),
        ("1013nj 1", "Barentszplein 1, 1013 NJ Amsterdam"),
    ],
)
def test_type_ahead_for_streets_numbers_and_postcodes(app_ctx, typed, first):
    found = Geocoder().search(typed)
    assert found and found[0].label == first, labels(found)


def test_a_four_digit_postcode_lists_its_six_character_postcodes(app_ctx):
    found = Geocoder().search("1013")
    assert found and all(f.type == "postcode" and f.label.startswith("1013 ") for f in found)
    assert len(found) > 1


def test_a_number_is_a_prefix_while_typing(app_ctx):
    found = local.addresses("Zandhoek 1", 20)
    numbers = [f.label.split(",")[0] for f in found]
    # The exact number first (Zandhoek has 1A, no plain 1), then 10, 11, …
    assert numbers[0] == "Zandhoek 1A"
    assert all(n.startswith("Zandhoek 1") for n in numbers)
    assert any(n[len("Zandhoek ") :].isdigit() and len(n) > len("Zandhoek 1") for n in numbers)


def test_places_areas_and_coordinates_still_found(app_ctx):
    assert "Postjesweg 340 (OBA Postjesweg)" in labels(Geocoder().search("Postjesweg 340"))
    assert "Slotervaart (gebied)" in labels(Geocoder().search("Slotervaart"))
    assert Geocoder().search("52.364284, 4.835058")[0].as_dict() == {
        "label": "52.364284, 4.835058",
        "type": "coordinates",
        "lon": 4.835058,
        "lat": 52.364284,
        "source": "local",
    }
    assert Geocoder().search("%") == []
    assert Geocoder().search("Nergensstraat 12345") == []


def test_reverse_gives_the_nearest_address_within_reach(app_ctx):
    point = db.session.execute(
        select(func.ST_X(Address.geom), func.ST_Y(Address.geom)).where(
            Address.street == "Zandhoek", Address.number == 7
        )
    ).first()
    found = Geocoder().reverse(point[0] + 0.00005, point[1])
    assert found is not None and found.label.startswith("Zandhoek ")
    # The middle of the Vondelpark is far from every address in the sample.
    assert Geocoder().reverse(4.8680, 52.3580) is None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_locatieserver_falls_back_to_the_local_index(app_ctx, caplog):
    geocoder = from_config(
        {"GEOCODER_URL": f"http://127.0.0.1:{_closed_port()}/v3_1", "GEOCODER_TIMEOUT": 1}
    )
    assert isinstance(geocoder.primary, Locatieserver)
    found = geocoder.search("Barentszplein 1")
    assert found[0].label == "Barentszplein 1, 1013 NJ Amsterdam"
    assert found[0].source == "local"
    assert geocoder.reverse(4.8868, 52.3867) is not None
    assert "geocoder pdok unavailable" in caplog.text


class _Locatieserver(BaseHTTPRequestHandler):
    """Answers as PDOK's Locatieserver v3.1 does (its JSON layout), from a local port."""

    seen: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).seen.append(self.path)
        docs = [
            {
                "type": "adres",
                "weergavenaam": "Comeniusstraat 10, 1065BH Amsterdam",
                "centroide_ll": "POINT(4.83427 52.36212)",
                "afstand": 12.5,
            }
        ]
        body = json.dumps({"response": {"numFound": 1, "start": 0, "docs": docs}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def locatieserver():
    server = HTTPServer(("127.0.0.1", 0), _Locatieserver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/bzk/locatieserver/search/v3_1"
    server.shutdown()
    server.server_close()


def test_locatieserver_answers_when_configured(app_ctx, locatieserver):
    geocoder = from_config({"GEOCODER_URL": locatieserver})
    found = geocoder.search("Comeniusstraat 10")
    assert found[0].as_dict() == {
        "label": "Comeniusstraat 10, 1065BH Amsterdam",
        "type": "address",
        "lon": 4.83427,
        "lat": 52.36212,
        "source": "pdok",
    }
    assert geocoder.reverse(4.8343, 52.3621).label.startswith("Comeniusstraat 10")
    assert _Locatieserver.seen[0].startswith("/bzk/locatieserver/search/v3_1/free?q=")


def test_geocode_endpoints(client):
    body = client.get("/api/geocode?q=Barentszplein 1").get_json()
    assert body["results"][0]["label"] == "Barentszplein 1, 1013 NJ Amsterdam"
    near = client.get("/api/geocode/reverse?lon=4.8868&lat=52.3867").get_json()
    assert near["result"]["type"] == "address"
    bad = client.get("/api/geocode/reverse?lon=x&lat=52")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"]


def test_import_skips_and_counts_rows_it_cannot_use(app_ctx, tmp_path: Path):
    import numpy as np
    import shapely

    path = tmp_path / "bag.gpkg"
    points = shapely.to_wkb(np.array([shapely.Point(121000, 489000)] * 3))
    fields = [
        "nummer_id",
        "straatnaam",
        "huisnummer",
        "huisletter",
        "toevoeging",
        "postcode",
        "woonplaats",
    ]
    columns = [
        np.array(["X1", "X2", ""], dtype=object),
        np.array(["Proefstraat", None, "Proefstraat"], dtype=object),
        np.array([3, 4, 5]),
        np.array([None, None, None], dtype=object),
        np.array([None, None, None], dtype=object),
        np.array(["1013 AB", "1013AB", "1013AB"], dtype=object),
        np.array(["Amsterdam"] * 3, dtype=object),
    ]
    write(
        path,
        points,
        columns,
        fields,
        layer="verblijfsobjecten",
        driver="GPKG",
        geometry_type="Point",
        crs="EPSG:28992",
    )
    report = import_addresses_file(path)
    assert report.created == 1
    assert sorted(r for _ref, r in report.skipped) == ["no nummer_id", "no street name"]
    assert local.addresses("Proefstraat 3", 5)[0].label == "Proefstraat 3, 1013 AB Amsterdam"
    with pytest.raises(ImportFailed, match="none of the layers"):
        write(
            tmp_path / "other.gpkg",
            points,
            columns,
            fields,
            layer="panden",
            driver="GPKG",
            geometry_type="Point",
            crs="EPSG:28992",
        )
        import_addresses_file(tmp_path / "other.gpkg")


def test_import_addresses_command(runner, data_dir):
    result = runner.invoke(args=["import-addresses", str(data_dir / "bag_adressen_sample.gpkg")])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 1904 unchanged" in result.output
