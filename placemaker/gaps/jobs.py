"""Background work for the gap analysis on RQ, on the Redis the app already uses.

Two kinds of job, run by ``flask gaps worker`` (any number, on any machine that reaches
the same PostgreSQL and Redis):

- *warm*: after every write that commits, the model, the prepared problem and the LP bound
  of the default analysis are built for the new data version (:func:`prepared.warm`), so
  the next planner gets a fast answer;
- *suggestions*: big questions (many sites, exact mode) run as a job; the API answers 202
  with the job's URL, the job reports progress in its meta data, and the result lands in
  the same cache as any other answer.

A worker runs jobs in its own process (rq's ``SimpleWorker``: no fork, so database
connections are never shared between processes) inside the Flask app's context.
"""

from __future__ import annotations

import hashlib
from typing import Any

import redis
from flask import current_app, has_app_context
from rq import Queue, SimpleWorker, get_current_job
from rq.job import Job, JobStatus
from sqlalchemy import event
from sqlalchemy.orm import Session

from placemaker import cache
from placemaker.extensions import db
from placemaker.gaps import prepared, results
from placemaker.gaps.model import forget_data_version, load_model
from placemaker.gaps.params import GapParams

QUEUE = "placemaker-gaps"
# A queued job nobody picks up within this time is dropped; results stay for a day.
JOB_TTL = 3600
RESULT_TTL = 24 * 3600
# Sites x demand cells above which a suggestion is a job, as is every exact-mode question
# (benchmarks/README.md: on the whole Amsterdam demo, ~16,000 cells, p = 50 takes about a
# second of search on 2 shared cores, the MILP minutes; up to p = 50 it stays in the request).
JOB_MIN_WORK = 40 * 20_000
_WARM_PENDING = "placemaker:gaps:warm-pending"


def queue() -> Queue:
    return Queue(QUEUE, connection=cache.client(), default_timeout=1800)


def is_big(params: GapParams, cells: int) -> bool:
    """Whether this question, on ``cells`` demand cells, runs as a job, not in the request."""
    return params.exact or params.p * cells >= JOB_MIN_WORK


# ------------------------------------------------------------------------------ warming


def init_app(app) -> None:
    """Enqueue a warm job after every commit that wrote something (GAPS_WARM_ON_WRITE)."""
    app.config.setdefault("GAPS_WARM_ON_WRITE", True)
    if not event.contains(Session, "after_flush", _note_write):
        event.listen(Session, "after_flush", _note_write)
        event.listen(Session, "after_commit", _after_commit)


def _note_write(session: Session, _flush_context) -> None:
    if session.new or session.dirty or session.deleted:
        session.info["gaps_wrote"] = True
        if has_app_context():
            forget_data_version()  # triggers stamped a new version in this transaction


def _after_commit(session: Session) -> None:
    if not session.info.pop("gaps_wrote", False):
        return
    if has_app_context():
        forget_data_version()
    try:
        if not current_app.config.get("GAPS_WARM_ON_WRITE"):
            return
        client = cache.client()
        # one pending warm job is enough: it builds whatever version is current when it runs
        if client.set(_WARM_PENDING, "1", nx=True, ex=JOB_TTL):
            queue().enqueue(warm_job, ttl=JOB_TTL, result_ttl=600)
    except (RuntimeError, redis.RedisError):
        pass  # outside an app, or Redis down: the next question builds what it needs


def warm_job() -> dict[str, Any]:
    cache.client().delete(_WARM_PENDING)
    # a fresh context per job: nothing read for an earlier job (data version, area tree)
    with current_app.app_context():
        try:
            return warm_all()
        finally:
            db.session.remove()


def warm_all(params: GapParams | None = None) -> dict[str, Any]:
    """Everything a first question needs besides the search: model, prepared problem and
    bound, and the area tables of coverage and of suggestion explanations."""
    params = params or GapParams()
    info = prepared.warm(params)
    model = load_model(params)
    results.area_table(model, params)
    results.leaf_table(model, params)
    return info


# ------------------------------------------------------------------------------ big questions


def submit_suggestions(params: GapParams) -> Job:
    """Queue a suggestions job for ``params``; the same question shares one job."""
    job_id = f"gaps-suggestions-{params.key()}-{_version_tag()}"
    q = queue()
    found = q.fetch_job(job_id)
    if found is not None and found.get_status(refresh=True) not in (
        JobStatus.FAILED,
        JobStatus.STOPPED,
        JobStatus.CANCELED,
    ):
        return found
    return q.enqueue(
        suggestions_job,
        params.as_json(),
        job_id=job_id,
        ttl=JOB_TTL,
        result_ttl=RESULT_TTL,
        failure_ttl=RESULT_TTL,
        meta={"progress": 0.0, "stage": "queued"},
    )


def _version_tag() -> str:
    return hashlib.sha1(cache.data_version().encode(), usedforsecurity=False).hexdigest()[:16]


def suggestions_job(params_json: dict[str, Any]) -> dict[str, Any]:
    params = GapParams.from_json(params_json)
    with current_app.app_context():
        return _suggestions_job(params)


def _suggestions_job(params: GapParams) -> dict[str, Any]:
    try:
        _progress(0.1, "model")
        model = load_model(params)
        _progress(0.3, "candidates")
        problem = prepared.load_prepared(params, model)
        _progress(0.5, "bound")
        prepared.upper_bound(problem, params.p)
        _progress(0.6, "search")
        answer = results.suggestions(params)
        _progress(1.0, "done")
        return {"certificate": answer["certificate"], "data_version": answer["data_version"]}
    finally:
        db.session.remove()


def _progress(share: float, stage: str) -> None:
    job = get_current_job()
    if job is not None:
        job.meta.update(progress=share, stage=stage)
        job.save_meta()


def job_status(job_id: str) -> dict[str, Any] | None:
    """What a client polling a job needs: state, progress, and the error if it failed."""
    if not job_id.startswith("gaps-suggestions-"):
        return None
    job = queue().fetch_job(job_id)
    if job is None:
        return None
    status = job.get_status(refresh=True)
    out = {
        "id": job.id,
        "status": str(getattr(status, "value", status)),
        "progress": float(job.meta.get("progress", 0.0)),
        "stage": job.meta.get("stage"),
        "params": job.args[0] if job.args else None,
    }
    if status == JobStatus.FAILED:
        out["error"] = "the analysis failed; see the worker's log"
    return out


def run_worker(burst: bool = False) -> bool:
    """Work on the queue in this process (inside the app context) until stopped."""
    worker = SimpleWorker([queue()], connection=cache.client())
    return worker.work(burst=burst, with_scheduler=False)
