"""Shared caches in Redis, keyed by the state of the data they were computed from.

Triggers stamp every table that cached results depend on with a number from a sequence
(migration 0004), in the writing transaction: a reader never sees new data under an old
stamp, and a stamp never names two states (sequences do not roll back). Redis being down
costs speed, never correctness: values are then computed on every request.
"""

from __future__ import annotations

import gzip
import hashlib
import time
from collections.abc import Callable, Iterable
from typing import cast

import redis
from flask import Response, current_app, request
from sqlalchemy import BigInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from placemaker.extensions import Model, db

DEFAULT_SECONDS = 3600
# How long a worker waits for another that is computing the same value.
LOCK_SECONDS = 30
# After Redis failed, skip it for this long instead of trying (and waiting) on every request.
RETRY_SECONDS = 5.0


class DataVersion(Model):
    """The stamp of one table; written only by the bump_data_version trigger."""

    __tablename__ = "data_version"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, server_default="0")

    # The tables whose statement-level trigger stamps them (migrations 0004, 0005, 0007, 0010
    # and 0015). Autogenerate does not see triggers; tests/test_migrations.py holds the database
    # to this.
    STAMPED_TABLES = (
        "area",
        "area_indicator",
        "area_rung_assessment",
        "cohesion_score",
        "gap_layer",
        "gap_layer_feature",
        "place",
        "place_kind",
        "population_cell",
        "proposal",
        "walk_edge",
        "walk_node",
        "ward_conversation",
    )


def data_version(tables: Iterable[str] | None = None) -> str:
    """The database and the stamps of ``tables`` (all stamped tables when None).

    The database name keeps apart two databases that share one Redis (a copy, the tests).
    """
    names = sorted(tables) if tables is not None else None
    where = "WHERE name = ANY(:names)" if names is not None else ""
    row = db.session.execute(
        text(
            "SELECT current_database(), coalesce(string_agg(name || '=' || version, ','"
            f" ORDER BY name), '') FROM data_version {where}"
        ),
        {"names": names} if names is not None else {},
    ).one()
    return f"{row[0]}:{row[1]}"


def client() -> redis.Redis:
    """One connection pool per process; what it holds lives in Redis, shared by all."""
    found = current_app.extensions.get("placemaker_redis")
    if found is None:
        found = redis.Redis.from_url(
            current_app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=1
        )
        current_app.extensions["placemaker_redis"] = found
    return found


def _cache_key(namespace: str, key: str, version: str) -> str:
    digest = hashlib.sha1(f"{version}|{key}".encode(), usedforsecurity=False).hexdigest()
    return f"placemaker:{namespace}:{digest}"


def peek(namespace: str, key: str, *, version: str) -> bytes | None:
    """What :func:`cached` holds for this key and version, without computing anything."""
    if not _available():
        return None
    return _get(client(), _cache_key(namespace, key, version))


def _available() -> bool:
    return time.monotonic() >= current_app.extensions.get("placemaker_redis_down_until", 0.0)


def _failed(namespace: str) -> None:
    if _available():  # one log line per outage window, not one per request
        current_app.logger.warning(
            "Redis unavailable; %s computed without caching for %ss", namespace, RETRY_SECONDS
        )
    current_app.extensions["placemaker_redis_down_until"] = time.monotonic() + RETRY_SECONDS


def cached(
    namespace: str,
    key: str,
    compute: Callable[[], bytes],
    *,
    version: str,
    seconds: int = DEFAULT_SECONDS,
) -> bytes:
    """``compute()``'s bytes, from Redis when this version has them.

    On a miss one worker computes while the others asking for the same value wait for its
    answer (a Redis lock), instead of all repeating the same work on the same cores.
    """
    cache_key = _cache_key(namespace, key, version)
    if not _available():
        return compute()
    redis_client = client()
    try:
        hit = cast("bytes | None", redis_client.get(cache_key))
    except redis.RedisError:
        _failed(namespace)
        return compute()
    if hit is not None:
        return hit
    lock = redis_client.lock(
        f"{cache_key}:lock", timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS
    )
    try:
        locked = lock.acquire()
    except redis.RedisError:
        locked = False  # Redis down: compute without waiting
    try:
        hit = _get(redis_client, cache_key)  # whoever held the lock may have stored it
        if hit is not None:
            return hit
        value = compute()
        try:
            redis_client.set(cache_key, value, ex=seconds)
        except redis.RedisError:
            _failed(namespace)
        return value
    finally:
        if locked:
            try:
                lock.release()
            except redis.RedisError:
                pass  # expired or Redis gone; the lock times out by itself


def _get(redis_client: redis.Redis, cache_key: str) -> bytes | None:
    try:
        return cast("bytes | None", redis_client.get(cache_key))
    except redis.RedisError:
        return None


def gzip_bytes(body: bytes) -> bytes:
    # mtime=0: the same body always compresses to the same bytes
    return gzip.compress(body, compresslevel=5, mtime=0)


def gzip_response(packed: bytes, mimetype: str) -> Response:
    """A response from a gzip-compressed body: as is when the client takes gzip."""
    if request.accept_encodings.quality("gzip") > 0:
        response = Response(packed, mimetype=mimetype)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(gzip.decompress(packed), mimetype=mimetype)
    response.vary.add("Accept-Encoding")
    return response
