"""Certified, reproducible answers on the synthetic instances of bench_gaps.py.

For every instance and p: coverage matrices and reduction (the "matrix build"), the LP
bound, the certified search (rounds, why it stopped, the proven gap), end to end; then
the same question again while busy processes load every core, to show identical sites.

    .venv/bin/python benchmarks/bench_certified.py                  # small city city-hard
    .venv/bin/python benchmarks/bench_certified.py --instances country
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_gaps import CROW_FLY, SPECS, make_instance  # noqa: E402

from placemaker.gaps.bounds import lagrangian_bound, lp_bound, solve_certified  # noqa: E402
from placemaker.gaps.coverage import coverage_matrix, covered_mask  # noqa: E402
from placemaker.gaps.solver import MCLPProblem  # noqa: E402


def _busy(stop) -> None:
    x = 0
    while not stop.is_set():
        x = (x * 31 + 7) % 1_000_003


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--instances", nargs="+", default=["small", "city", "city-hard"], choices=list(SPECS)
    )
    parser.add_argument("--p", nargs="+", type=int, default=[10, 50])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    rows = []
    for name in args.instances:
        inst = make_instance(SPECS[name])
        t0 = time.perf_counter()
        covered = covered_mask(
            coverage_matrix(inst.places_xy, inst.radius, inst.cells_xy, CROW_FLY)
        )
        cover = coverage_matrix(inst.candidates_xy, inst.radius, inst.cells_xy, CROW_FLY)
        problem = MCLPProblem.from_coverage(cover, inst.weight, inst.population, covered)
        build = time.perf_counter() - t0
        for p in args.p:
            t1 = time.perf_counter()
            bound = lp_bound(problem, p, time_limit=600)
            t_lp = time.perf_counter() - t1
            t2 = time.perf_counter()
            lag = lagrangian_bound(problem, p, iterations=300)
            t_lag = time.perf_counter() - t2
            t3 = time.perf_counter()
            quiet, cert = solve_certified(
                problem, p, max_rounds=args.rounds, max_stale=150, bound=bound
            )
            t_solve = time.perf_counter() - t3
            stop = multiprocessing.Event()
            busy = [
                multiprocessing.Process(target=_busy, args=(stop,))
                for _ in range(2 * (os.cpu_count() or 1))
            ]
            for b in busy:
                b.start()
            try:
                t4 = time.perf_counter()
                loaded, loaded_cert = solve_certified(
                    problem, p, max_rounds=args.rounds, max_stale=150, bound=bound
                )
                t_loaded = time.perf_counter() - t4
            finally:
                stop.set()
                for b in busy:
                    b.join()
            same = (
                loaded.selected == quiet.selected
                and loaded.gains == quiet.gains
                and loaded_cert == cert
            )
            rows.append(
                (
                    name,
                    p,
                    build,
                    t_lp,
                    (lag / bound - 1) * 100,
                    t_lag,
                    t_solve,
                    quiet.iterations,
                    quiet.stopped,
                    cert.gap * 100,
                    same,
                    t_loaded,
                    build + t_lp + t_solve,
                )
            )
            print(rows[-1], flush=True)
    print(
        "\n| instance | p | matrix build + reduce | LP bound | Lagrangian (300 steps) "
        "| search | rounds, stopped | certified gap | end to end | same answer under load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (
        name,
        p,
        build,
        t_lp,
        lag_pct,
        t_lag,
        t_solve,
        rounds,
        stopped,
        gap,
        same,
        t_loaded,
        total,
    ) in rows:
        print(
            f"| {name} | {p} | {build:.2f} s | {t_lp:.2f} s | {lag_pct:+.2f} % vs LP, "
            f"{t_lag:.2f} s | {t_solve:.2f} s | {rounds}, {stopped} | "
            f"{'proven best' if gap <= 1e-7 else f'{gap:.2f} %'} | {total:.2f} s | "
            f"{'yes' if same else 'NO'} ({t_loaded:.2f} s loaded) |"
        )


if __name__ == "__main__":
    main()
