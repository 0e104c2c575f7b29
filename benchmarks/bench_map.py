"""The map with 10,000 places: page weight, /api/places latency, and time to markers.

Builds its own database (``BENCH_DATABASE_URL``, default ``placemaker_bench_map``) with the
Amsterdam demo plus synthetic places up to 10,000 in all, serves the app with gunicorn on
127.0.0.1, and measures with real HTTP requests and Debian's headless Chromium.

    .venv/bin/python benchmarks/bench_map.py [--requests 200] [--keep]

Targets: map page under 300 KB before tiles, p95 under 50 ms for /api/places?bbox=, markers
drawn within 1.5 s.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import time
from urllib.parse import urlsplit

from common import demo_app, free_port, serve  # noqa: E402  (benchmarks/common.py)
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://localhost:6379/11")

TOTAL = 10_000
SEED = 20_240_601
# Amsterdam's land, roughly: synthetic places fall inside the demo's areas.
CITY_BBOX = (4.73, 52.28, 5.07, 52.43)
# One street in Overtoomse Veld (about 250 m by 150 m) and the whole city.
BBOXES = {
    "city": "4.73,52.28,5.07,52.43",
    "street": "4.8400,52.3645,4.8437,52.3659",
}
TARGETS = {"page_kb": 300, "api_p95_ms": 50, "markers_s": 1.5}
KINDS = (
    "bench",
    "vegetable_garden",
    "thrift_coffee",
    "community_centre",
    "buurtkamer",
    "library",
    "playground_building",
    "youth_centre",
    "city_farm",
    "school_garden",
    "park",
    "sports_field",
    "other_meeting_place",
)
STATUSES = ("active",) * 8 + ("temporarily_closed",) + ("gone",)


def build_database(url: str, recipes: tuple[str, ...] = ()) -> None:
    """Fresh database: migrations, the demo (and other towns), synthetic places in the areas."""
    from placemaker.extensions import db
    from placemaker.places.models import Place

    with demo_app(url, REDIS_URL, recipes).app_context():
        have = db.session.scalar(select(func.count()).select_from(Place)) or 0
        rng = random.Random(SEED)
        rows = []
        # Points are drawn in the bbox and kept only where an area covers them (no water).
        while len(rows) < TOTAL - have:
            batch = [
                (rng.uniform(CITY_BBOX[0], CITY_BBOX[2]), rng.uniform(CITY_BBOX[1], CITY_BBOX[3]))
                for _ in range(4000)
            ]
            inside = db.session.execute(
                text(
                    "SELECT p.lon, p.lat FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS "
                    "float8[]))"
                    " AS p(lon, lat) WHERE EXISTS (SELECT 1 FROM area a WHERE a.level_code = "
                    "'buurt'"
                    " AND ST_Covers(a.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)))"
                ),
                {"lons": [b[0] for b in batch], "lats": [b[1] for b in batch]},
            ).all()
            for lon, lat in inside:
                if len(rows) >= TOTAL - have:
                    break
                n = len(rows) + 1
                rows.append(
                    {
                        "name": f"Ontmoetingsplek {n}",
                        "kind": rng.choice(KINDS),
                        "status": rng.choice(STATUSES),
                        "lon": lon,
                        "lat": lat,
                        "sid": f"bench-{n}",
                    }
                )
        db.session.execute(
            text(
                "INSERT INTO place (kind_code, name, geom, status, source, source_id, version,"
                " created_at, updated_at) VALUES (:kind, :name,"
                " ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), CAST(:status AS place_status),"
                " 'benchmark', :sid, 1, now(), now())"
            ),
            rows,
        )
        db.session.commit()
        db.session.execute(text("ANALYZE place"))
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(Place))
        print(f"database {make_url(url).database}: {total} places")
        db.engine.dispose()


_RUN = random.Random().randrange(1, 10_000)  # a fresh offset per run: older runs' cache misses


def jitter(path: str, i: int) -> str:
    return path.replace("bbox=4.73,", f"bbox={4.73 - (_RUN * 100 + i) * 1e-7:.7f},")


def timed_get(conn: http.client.HTTPConnection, path: str) -> tuple[float, int, bytes]:
    start = time.perf_counter()
    conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}: {body[:200]!r}")
    return elapsed, len(body), body


def latency(port: int, path: str, n: int, *, cold: bool = False) -> dict[str, float]:
    """Sequential requests over one keep-alive connection, accepting gzip as browsers do.

    ``cold`` moves the bbox by a hair on every request, so no answer comes from a cache.
    """
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(10):  # warm up: connections, plans, caches
        timed_get(conn, jitter(path, i + n) if cold else path)
    times, size = [], 0
    for i in range(n):
        elapsed, size, _ = timed_get(conn, jitter(path, i) if cold else path)
        times.append(elapsed * 1000)
    conn.close()
    times.sort()
    return {
        "median": statistics.median(times),
        "p95": times[int(0.95 * (len(times) - 1))],
        "bytes": size,
    }


def counters(host: str, sizes: dict[str, int]):
    """Request handlers that count bytes by kind and abort requests to other hosts."""

    def route(r):
        if urlsplit(r.request.url).netloc != host:
            sizes["foreign"] += 1
            r.abort()  # tiles: not counted, not fetched
        else:
            r.continue_()

    def finished(request):
        if urlsplit(request.url).netloc != host:
            return
        # Bytes on the wire: compressed where the server compressed.
        body = request.sizes()["responseBodySize"]
        sizes["data" if "/api/" in request.url else "page"] += body

    return route, finished


def browser_measure(base: str, runs: int) -> dict[str, float]:
    """Bytes the map page loads before tiles, and the time until markers are on screen."""
    from playwright.sync_api import sync_playwright

    host = urlsplit(base).netloc
    ready = (
        "() => { const m = document.querySelector('.folium-map');"
        " return m && m.dataset.placesState === 'ready'"
        " && document.querySelectorAll('.leaflet-marker-icon').length > 0; }"
    )
    result: dict[str, list[float]] = {
        "page_bytes": [],
        "data_bytes": [],
        "city_s": [],
        "street_s": [],
        "foreign": [],
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            headless=True,
            args=["--no-sandbox", "--disable-gpu"],
        )
        for _run in range(runs):
            for view, query in (("city", ""), ("street", "?lat=52.36520&lon=4.84185&z=18")):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                sizes = {"page": 0, "data": 0, "foreign": 0}
                route, finished = counters(host, sizes)
                page.route("**/*", route)
                page.on("requestfinished", finished)
                page.goto(base + "/" + query)
                page.wait_for_function(ready, polling="raf", timeout=30_000)
                drawn = page.evaluate("performance.now()") / 1000
                page.wait_for_load_state("networkidle")
                result[f"{view}_s"].append(drawn)
                if view == "city":
                    result["page_bytes"].append(sizes["page"])
                    result["data_bytes"].append(sizes["data"])
                result["foreign"].append(sizes["foreign"])
                context.close()
        browser.close()
    return {key: statistics.median(values) for key, values in result.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per API figure")
    parser.add_argument("--runs", type=int, default=5, help="browser runs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="reuse the benchmark database")
    parser.add_argument(
        "--towns",
        action="store_true",
        help="load Utrecht and Ermelo by their recipes next to Amsterdam",
    )
    args = parser.parse_args()
    url = os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@localhost:5432/placemaker_bench_map"
    )
    if not args.keep:
        build_database(url, ("utrecht", "ermelo") if args.towns else ())
    port = free_port()
    server = serve(url, port, args.workers, REDIS_URL)
    try:
        base = f"http://127.0.0.1:{port}"
        rows = []
        for name, bbox in BBOXES.items():
            markers = f"/api/places/markers?bbox={bbox}&status=active,temporarily_closed"
            rows.append(
                (
                    name,
                    "/api/places?bbox= (GeoJSON, 100 a page)",
                    latency(port, f"/api/places?bbox={bbox}", args.requests),
                )
            )
            rows.append(
                (
                    name,
                    "/api/places/markers?bbox= (map, cached)",
                    latency(port, markers, args.requests),
                )
            )
            if name == "city":
                rows.append(
                    (
                        name,
                        "/api/places/markers?bbox= (map, uncached)",
                        latency(port, markers, max(20, args.requests // 5), cold=True),
                    )
                )
        page = browser_measure(base, args.runs)
    finally:
        server.terminate()
        server.wait(timeout=10)

    print(
        f"\n10,000 places, gunicorn {args.workers} workers x 2 threads, "
        f"{args.requests} sequential requests per row (after 10 to warm up)\n"
    )
    print(f"{'bbox':<7} {'endpoint':<44} {'median ms':>9} {'p95 ms':>8} {'bytes sent':>10}")
    for name, label, figures in rows:
        print(
            f"{name:<7} {label:<44} {figures['median']:>9.1f} {figures['p95']:>8.1f} "
            f"{figures['bytes']:>10,}"
        )
    print(
        f"\nmap page before tiles: {page['page_bytes'] / 1024:.0f} KB "
        f"(target < {TARGETS['page_kb']} KB); place data fetched: "
        f"{page['data_bytes'] / 1024:.0f} KB (compressed where served so)"
    )
    print(
        f"markers drawn, city view: {page['city_s']:.2f} s; street view: "
        f"{page['street_s']:.2f} s (median of {args.runs}; target < {TARGETS['markers_s']} s)"
    )
    print(f"requests to other hosts (tiles, aborted): {page['foreign']:.0f}")
    worst = max(f["p95"] for _, label, f in rows if "uncached" not in label)
    ok = (
        page["page_bytes"] / 1024 < TARGETS["page_kb"]
        and worst < TARGETS["api_p95_ms"]
        and max(page["city_s"], page["street_s"]) < TARGETS["markers_s"]
    )
    print("\nall targets met" if ok else "\nsome targets missed")


if __name__ == "__main__":
    main()
