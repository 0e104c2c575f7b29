"""Network versus straight-line catchments on a synthetic city-size street grid.

A square grid of streets (one node every ``--block`` metres, some streets missing so that
walks detour), demand cells every 100 m and candidate sites on populated cells; times the
coverage matrix with :class:`NetworkDistance` (snap + one Dijkstra per batch of sites,
stopped at the radius) against :class:`StraightLineDistance` (KD-tree pair query).

    .venv/bin/python benchmarks/bench_network.py                 # 10 x 10 km, 5,000 sites
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from placemaker.gaps.coverage import StraightLineDistance, coverage_matrix  # noqa: E402
from placemaker.gaps.network import NetworkDistance, WalkNetwork  # noqa: E402


def street_grid(size: float, block: float, missing: float, rng) -> WalkNetwork:
    n = int(size // block) + 1
    ix, iy = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    xy = np.column_stack([ix.ravel() * block, iy.ravel() * block]).astype(float)
    node = np.arange(n * n).reshape(n, n)
    pairs = np.concatenate(
        [
            np.column_stack([node[:-1, :].ravel(), node[1:, :].ravel()]),
            np.column_stack([node[:, :-1].ravel(), node[:, 1:].ravel()]),
        ]
    )
    pairs = pairs[rng.random(len(pairs)) >= missing]
    return WalkNetwork(xy, pairs[:, 0], pairs[:, 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=10_000)
    parser.add_argument("--block", type=float, default=50)
    parser.add_argument("--sites", type=int, default=5_000)
    parser.add_argument("--radius", type=float, default=400)
    args = parser.parse_args()
    rng = np.random.default_rng(12)
    network = street_grid(args.size, args.block, 0.15, rng)
    g = np.arange(50, args.size, 100.0)
    cells = np.array([(x, y) for x in g for y in g])
    sites = cells[rng.choice(len(cells), args.sites, replace=False)]
    t0 = time.perf_counter()
    straight = coverage_matrix(sites, args.radius, cells, StraightLineDistance(1.3))
    t1 = time.perf_counter()
    model = NetworkDistance(network, max_snap=100)
    t2 = time.perf_counter()
    walked = coverage_matrix(sites, args.radius, cells, model)
    t3 = time.perf_counter()
    print(
        f"street grid {args.size / 1000:.0f} x {args.size / 1000:.0f} km: "
        f"{len(network.node_xy):,} nodes, {len(network.edge_from):,} segments; "
        f"{len(cells):,} cells, {len(sites):,} sites, radius {args.radius:.0f} m"
    )
    print(
        f"| catchments | build | cells per site |\n|---|---|---|\n"
        f"| straight line x 1.3 (KD-tree) | {t1 - t0:.2f} s | {straight.nnz / len(sites):.1f} |\n"
        f"| walking network (graph {t2 - t1:.2f} s + Dijkstra) | {t3 - t2:.2f} s | "
        f"{walked.nnz / len(sites):.1f} |"
    )


if __name__ == "__main__":
    main()
