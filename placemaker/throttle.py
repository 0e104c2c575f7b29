"""Bounded expensive work: at most N cold analyses at once over all workers (Redis).

A cold analysis takes a core for up to seconds. Without a bound, a handful of anonymous
requests with random weights (each one a cache miss) take every core, and the registry
(/api/places) and /healthz wait behind them. A slot is a member of a Redis sorted set scored
by its start time; slots of a killed worker expire after ``SLOT_SECONDS``. Redis down: each
process bounds itself with a local semaphore instead.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from flask import current_app, g

from placemaker import cache
from placemaker.errors import PlacemakerError

SLOT_SECONDS = 120
_local: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_local_guard = threading.Lock()


class Busy(PlacemakerError):
    """Too much of this work runs already: try again shortly (503 with Retry-After)."""

    status = 503
    code = "busy"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


@contextmanager
def slot(name: str, limit: int, *, wait: float = 0.0) -> Iterator[None]:
    """Hold one of ``limit`` slots called ``name`` while the block runs.

    :param wait: seconds to wait for a free slot before giving up.
    :raises Busy: no slot became free in time.
    """
    held = g.setdefault("throttle_slots", set())
    if name in held:  # nested work of the same request (a result computing its model)
        yield
        return
    held.add(name)
    try:
        with _slot(name, limit, wait):
            yield
    finally:
        held.discard(name)


@contextmanager
def _slot(name: str, limit: int, wait: float) -> Iterator[None]:
    key = f"placemaker:slots:{name}"
    member = secrets.token_hex(8)
    deadline = time.monotonic() + wait
    try:
        client = cache.client()
        while not _take(client, key, member, limit):
            if time.monotonic() >= deadline:
                raise Busy(_busy_message(), retry_after=_retry_after())
            time.sleep(0.1)
    except redis.RedisError:
        with _local_slot(name, limit, wait):
            yield
        return
    try:
        yield
    finally:
        try:
            client.zrem(key, member)
        except redis.RedisError:
            pass  # Redis went away: the slot expires by itself


def _take(client: redis.Redis, key: str, member: str, limit: int) -> bool:
    now = time.time()
    pipe = client.pipeline(transaction=True)
    pipe.zremrangebyscore(key, "-inf", now - SLOT_SECONDS)
    pipe.zadd(key, {member: now})
    pipe.zcard(key)
    pipe.expire(key, SLOT_SECONDS)
    taken = pipe.execute()[2]
    if taken <= limit:
        return True
    client.zrem(key, member)
    return False


@contextmanager
def _local_slot(name: str, limit: int, wait: float) -> Iterator[None]:
    with _local_guard:
        semaphore = _local.setdefault((name, limit), threading.BoundedSemaphore(limit))
    acquired = semaphore.acquire(timeout=wait) if wait > 0 else semaphore.acquire(blocking=False)
    if not acquired:
        raise Busy(_busy_message(), retry_after=_retry_after())
    try:
        yield
    finally:
        semaphore.release()


def _retry_after() -> int:
    return int(current_app.config.get("GAPS_RETRY_AFTER", 5))


def _busy_message() -> str:
    return (
        "Many analyses are running right now; this one was not started. Try again in a few seconds."
    )
