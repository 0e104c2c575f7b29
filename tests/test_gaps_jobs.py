"""Big questions as background jobs (RQ on the test Redis), and warming after writes."""

from __future__ import annotations

import redis
from sqlalchemy import select

from placemaker import cache
from placemaker.extensions import db
from placemaker.gaps import jobs, prepared
from placemaker.gaps.model import data_version
from placemaker.gaps.params import GapParams
from placemaker.places.models import Place

# Questions beyond the public analysis's limits (p up to 25): asked as a planner.
PLANNER = "planner@demo.placemaker.nl"


def test_big_question_runs_as_a_job_and_lands_in_the_cache(app, client, login):
    login(PLANNER)
    url = "/api/gaps/suggestions?p=60&level=gebied"
    first = client.get(url)
    assert first.status_code == 202
    body = first.get_json()
    assert body["status"] == "queued" and body["progress"] == 0
    assert first.headers["Location"] == body["url"]
    assert body["result_url"] == url
    # asking again while it waits joins the same job
    assert client.get(url).get_json()["id"] == body["id"]
    with app.app_context():
        jobs.run_worker(burst=True)
    status = client.get(body["url"]).get_json()
    assert status["status"] == "finished" and status["progress"] == 1.0
    done = client.get(url)
    assert done.status_code == 200
    answer = done.get_json()
    assert len(answer["features"]) == 60
    assert 0 <= answer["certificate"]["gap"] < 0.01
    assert client.get("/api/gaps/jobs/gaps-suggestions-nope").status_code == 404
    assert client.get("/api/gaps/jobs/other").status_code == 404


def test_small_questions_stay_in_the_request(client, login):
    login(PLANNER)
    assert client.get("/api/gaps/suggestions?p=200&area=F86").status_code == 200
    bad = client.get("/api/gaps/suggestions?p=3&exact=maybe")
    assert bad.status_code == 400 and "exact" in bad.get_json()["error"]["message"]


def test_exact_mode_is_a_job_that_proves_the_optimum(app, client):
    url = "/api/gaps/suggestions?p=3&area=DX09&exact=true"
    assert client.get(url).status_code == 202
    with app.app_context():
        jobs.run_worker(burst=True)
    answer = client.get(url).get_json()
    assert answer["certificate"]["proven_best"]
    assert answer["params"]["exact"] is True


def test_a_write_warms_the_next_version(app, app_ctx):
    client = redis.Redis.from_url(app.config["REDIS_URL"])
    client.delete("placemaker:gaps:warm-pending")
    jobs.queue().empty()
    before = data_version()
    place = db.session.scalars(select(Place).order_by(Place.id)).first()
    name = place.name
    place.name = name + " (tijdelijk)"
    db.session.commit()  # a write: the app enqueues one warm job
    place.name = name
    db.session.commit()  # the pending job covers this one too
    after = data_version()
    assert after != before
    assert len(jobs.queue()) == 1
    jobs.run_worker(burst=True)
    # the default analysis's model, reduced problem and bound are there for the new version
    key = prepared.problem_key(GapParams())
    assert cache.peek("gaps:prepared", key, version=after) is not None
    assert cache.peek("gaps:bound", f"{key}|10", version=after) is not None
