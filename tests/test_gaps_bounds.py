"""Certified answers: upper bounds, gaps, work-bounded (load-independent) search."""

from __future__ import annotations

import multiprocessing
import os

import numpy as np
import pytest

from placemaker.gaps.bounds import certify, lagrangian_bound, lp_bound, solve_certified
from placemaker.gaps.coverage import StraightLineDistance, coverage_matrix, covered_mask
from placemaker.gaps.exact import solve_exact
from placemaker.gaps.solver import MCLPProblem, evaluate_sites, solve_mclp


def random_instance(
    seed: int, n_cells: int = 150, n_cand: int = 40, side: float = 2000
) -> MCLPProblem:
    rng = np.random.default_rng(seed)
    cells = rng.uniform(0, side, (n_cells, 2))
    sites = rng.uniform(0, side, (n_cand, 2))
    cover = coverage_matrix(sites, 400, cells, StraightLineDistance(1.0))
    existing = coverage_matrix(rng.uniform(0, side, (5, 2)), 400, cells, StraightLineDistance(1.0))
    weight = rng.lognormal(1, 1, n_cells)
    return MCLPProblem.from_coverage(cover, weight, covered=covered_mask(existing))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("p", [2, 5])
def test_bounds_lie_above_the_optimum(seed, p):
    prob = random_instance(seed)
    optimum = solve_exact(prob, p, time_limit=30)
    assert optimum.optimal
    lp = lp_bound(prob, p)
    assert lp >= optimum.objective - 1e-6
    # the Lagrangian dual's optimum is the LP value: any multipliers give at least that
    assert lagrangian_bound(prob, p, iterations=300) >= lp - 1e-6 * lp
    result, cert = solve_certified(prob, p, seed=seed)
    assert cert.upper_bound >= optimum.objective - 1e-6
    assert cert.value == pytest.approx(evaluate_sites(prob, result.selected)[0])
    assert 0 <= cert.gap <= (cert.upper_bound - cert.value) / cert.upper_bound + 1e-12


def test_certificate_figures():
    assert certify(99.7, 100.0, "lp").gap == pytest.approx(0.003)
    assert not certify(99.7, 100.0, "lp").proven_best
    assert certify(100.0, 100.0, "lp").proven_best
    assert certify(0.0, 0.0, "lp").gap == 0.0
    # a bound below the value (float noise) never gives a negative gap
    assert certify(100.0 + 1e-9, 100.0, "lp").as_json()["gap"] == 0.0
    assert certify(99.7, 100.0, "lp").as_json()["gap_percent"] == 0.3


def test_search_stops_once_the_gap_is_closed():
    prob = random_instance(3)
    optimum = solve_exact(prob, 3, time_limit=30).objective
    result = solve_mclp(prob, 3, max_rounds=10_000, bound=optimum)
    assert result.stopped == "gap closed"
    assert result.iterations < 10_000
    assert result.covered_weight == pytest.approx(optimum)
    # without a bound the same search runs its whole budget
    assert solve_mclp(prob, 3, max_rounds=40).iterations == 40


def test_exact_mode_proves_the_optimum():
    prob = random_instance(7, n_cells=300, n_cand=80)
    result, cert = solve_certified(prob, 6, exact=True, max_rounds=0)
    optimum = solve_exact(prob, 6, time_limit=30)
    assert cert.proven_best
    assert result.covered_weight == pytest.approx(optimum.objective, rel=1e-6)


def test_time_limit_is_a_reported_safety_net():
    prob = random_instance(4, n_cells=400, n_cand=120)
    result = solve_mclp(prob, 8, max_rounds=50, time_limit=0.0)
    assert result.time_limit_hit and result.stopped == "time limit"
    assert not solve_mclp(prob, 8, max_rounds=5).time_limit_hit


def _busy(stop) -> None:
    x = 0
    while not stop.is_set():
        x = (x * 31 + 7) % 1_000_003


def test_same_answer_under_cpu_load():
    """The same question gives identical sites and figures while other processes load
    every core: the search is bounded by work, not by the clock."""
    prob = random_instance(21, n_cells=4000, n_cand=800, side=5000)
    # certified: a dozen rounds of local search before the gap closes; uncertified: the
    # whole budget of rounds
    quiet, quiet_cert = solve_certified(prob, 25, seed=0, max_rounds=120)
    quiet_plain = solve_mclp(prob, 25, seed=0, max_rounds=60)
    assert quiet.iterations > 0 and quiet_plain.iterations == 60
    stop = multiprocessing.Event()
    workers = [
        multiprocessing.Process(target=_busy, args=(stop,))
        for _ in range(2 * (os.cpu_count() or 1))
    ]
    for w in workers:
        w.start()
    try:
        loaded, loaded_cert = solve_certified(prob, 25, seed=0, max_rounds=120)
        loaded_plain = solve_mclp(prob, 25, seed=0, max_rounds=60)
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert loaded.selected == quiet.selected
    assert loaded.gains == quiet.gains
    assert loaded.covered_weight == quiet.covered_weight
    assert loaded.iterations == quiet.iterations
    assert loaded_cert == quiet_cert
    assert not loaded.time_limit_hit
    assert (loaded_plain.selected, loaded_plain.gains) == (quiet_plain.selected, quiet_plain.gains)
