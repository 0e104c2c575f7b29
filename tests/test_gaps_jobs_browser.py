"""A big question on the planners' map: submitted, shown in progress, answered by a worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests import test_map_browser as map_browser
from tests.browser import PLANNER, log_in
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL

foreign = map_browser.foreign
pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent


def start_worker() -> subprocess.Popen:
    """A real worker process, as script/server starts it, on the live server's database."""
    url = make_url(TEST_DATABASE_URL)
    live = url.set(database=f"{url.database}_live").render_as_string(hide_password=False)
    env = {
        **os.environ,
        "DATABASE_URL": live,
        "FLASK_SQLALCHEMY_DATABASE_URI": live,
        "REDIS_URL": TEST_REDIS_URL,
        "FLASK_REDIS_URL": TEST_REDIS_URL,
    }
    flask = Path(sys.executable).parent / "flask"
    return subprocess.Popen(
        [str(flask), "--app", "placemaker", "gaps", "worker", "--burst"], cwd=ROOT, env=env
    )


def test_big_question_submit_progress_result(page, live_server, foreign):
    log_in(page, live_server, PLANNER)  # p=60: planners only
    page.goto(f"{live_server}/planners?p=60&level=gebied")
    job = page.locator("#gaps-job")
    job.wait_for(state="visible")
    # no worker yet: the page says the question waits for one, and keeps asking
    assert job.get_attribute("data-job-status") == "queued"
    assert "wacht op een rekenproces" in job.inner_text()
    assert page.locator(".folium-map").get_attribute("data-gaps-state") == "computing"

    worker = start_worker()
    try:
        page.wait_for_selector(".folium-map[data-gaps-state=ready]", timeout=240_000)
        assert worker.wait(timeout=240) == 0
    finally:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=20)
    assert job.is_hidden()
    assert page.locator("#gaps-suggestions > li").count() == 60
    certificate = page.locator("#gaps-certificate")
    assert "van het best mogelijke" in certificate.inner_text()
    assert float(certificate.get_attribute("data-gap")) < 0.01
