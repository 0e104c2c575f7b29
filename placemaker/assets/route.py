"""A walking round along stale places: nearest neighbour, then 2-opt, on RD New metres.

Straight-line distances in EPSG:28992 (Rijksdriehoeksstelsel) stand in for walking
distances; the round is a heuristic (nearest-neighbour construction improved by 2-opt until
no swap of two legs shortens it), good within a few per cent for the tens of places a round
holds, not a proven optimum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Point = tuple[float, float]


def _d(a: Point, b: Point) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def length(points: Sequence[Point], order: Sequence[int]) -> float:
    """The length of an open path visiting ``points`` in ``order``."""
    return sum(_d(points[order[i]], points[order[i + 1]]) for i in range(len(order) - 1))


def nearest_neighbour(points: Sequence[Point], start: int = 0) -> list[int]:
    if not points:
        return []
    left = set(range(len(points))) - {start}
    order = [start]
    while left:
        here = points[order[-1]]
        nxt = min(left, key=lambda i: (_d(here, points[i]), i))
        order.append(nxt)
        left.remove(nxt)
    return order


def two_opt(points: Sequence[Point], order: list[int], max_rounds: int = 50) -> list[int]:
    """Reverse stretches of the path while that makes it shorter (open path, fixed start)."""
    order = list(order)
    n = len(order)
    for _ in range(max_rounds):
        improved = False
        for i in range(1, n - 1):
            for j in range(i + 1, n):
                a, b = points[order[i - 1]], points[order[i]]
                c = points[order[j]]
                d = points[order[j + 1]] if j + 1 < n else None
                before = _d(a, b) + (_d(c, d) if d is not None else 0.0)
                after = _d(a, c) + (_d(b, d) if d is not None else 0.0)
                if after < before - 1e-9:
                    order[i : j + 1] = reversed(order[i : j + 1])
                    improved = True
        if not improved:
            break
    return order


def walking_round(points: Sequence[Point]) -> list[int]:
    """An order to visit every point, starting from the most westerly one."""
    if len(points) < 2:
        return list(range(len(points)))
    start = min(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    return two_opt(points, nearest_neighbour(points, start))
