"""One error format: JSON under /api/, a page elsewhere; and /healthz."""

from __future__ import annotations

from tests.conftest import make_test_app


def test_api_404_shape(client):
    response = client.get("/api/does-not-exist")
    assert response.status_code == 404
    assert response.get_json() == {
        "error": {
            "code": "not_found",
            "message": "The requested URL was not found on the server. If you entered the URL "
            "manually please check your spelling and try again.",
        }
    }


def test_api_405_keeps_allow_header(client):
    response = client.post("/api/places")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_html_404_is_a_page(client):
    response = client.get("/does-not-exist")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<h1>404</h1>" in response.get_data(as_text=True)


def test_healthz(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["database"]["postgis"].startswith("3.")


def test_healthz_503_when_database_is_down():
    app = make_test_app("postgresql+psycopg://postgres@localhost:1/nowhere")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"]["ok"] is False
