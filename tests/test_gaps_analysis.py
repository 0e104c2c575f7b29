"""Unit tests of the Flask-free gap-analysis core (no database)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import sparse
from shapely.geometry import MultiPolygon, Polygon, box

from placemaker.gaps.analysis import (
    MCLPProblem,
    NeedWeights,
    StraightLineDistance,
    build_demand_grid,
    coverage_by_area,
    coverage_matrix,
    covered_by_group,
    covered_mask,
    evaluate_point,
    evaluate_sites,
    greedy,
    greedy_swap,
    lp_upper_bound,
    need_score,
    solve_exact,
    solve_mclp,
)
from placemaker.gaps.coverage import DISTANCE_TOLERANCE_M


def problem(sets: list[list[int]], weight: list[float], covered: list[bool] | None = None):
    """Problem from candidate -> cell lists."""
    n_cells = len(weight)
    rows = [i for i, s in enumerate(sets) for _ in s]
    cols = [c for s in sets for c in s]
    cover = sparse.csr_matrix(
        (np.ones(len(rows), dtype=bool), (rows, cols)), shape=(len(sets), n_cells)
    )
    return MCLPProblem.from_coverage(cover, np.asarray(weight, float), covered=covered)


SOLVERS = [greedy, greedy_swap, solve_mclp]


# --------------------------------------------------------------------------- demand grid


def test_grid_spreads_population_over_cell_centres():
    grid = build_demand_grid([("a", box(0, 0, 300, 200), 600, 2.0)], cell_size=100)
    assert len(grid) == 6
    assert np.allclose(grid.population, 100)
    assert np.allclose(grid.weight, 200)
    assert sorted(set(grid.x)) == [50, 150, 250]


def test_grid_conserves_population():
    rng = np.random.default_rng(7)
    areas = []
    for n in range(40):
        x, y = rng.uniform(0, 5000, 2)
        w, h = rng.uniform(5, 900, 2)
        areas.append((n, box(x, y, x + w, y + h), float(rng.integers(0, 2000)), 1.0))
    parks = [box(1000, 1000, 3000, 3000)]
    grid = build_demand_grid(areas, cell_size=100, exclude=parks)
    assert grid.population.sum() == pytest.approx(sum(a[2] for a in areas))
    assert set(np.unique(grid.area)) == set(range(40))


def test_grid_small_and_degenerate_areas():
    areas = [
        ("tiny", box(10, 10, 20, 20), 30, 1.0),  # holds no cell centre
        ("flat", Polygon([(0, 0), (100, 100), (200, 200)]), 12, 1.0),  # zero area
        ("empty", Polygon(), 50, 1.0),  # nothing to place
        ("ok", box(1000, 0, 1200, 100), 10, 1.0),
    ]
    grid = build_demand_grid(areas, cell_size=100)
    assert grid.skipped == ("empty",)
    assert grid.area_keys == ("tiny", "flat", "ok")
    per_area = np.bincount(grid.area, weights=grid.population)
    assert per_area.tolist() == [30, 12, 10]
    tiny = grid.area == 0
    assert tiny.sum() == 1 and 10 <= grid.x[tiny][0] <= 20


def test_grid_exclusion_keeps_people_when_whole_area_is_park():
    areas = [("half", box(0, 0, 400, 100), 400, 1.0), ("park", box(0, 500, 200, 600), 20, 1.0)]
    exclude = [box(0, 0, 200, 100), box(-10, 490, 300, 700)]
    grid = build_demand_grid(areas, exclude=exclude)
    half = grid.area == 0
    assert sorted(grid.x[half]) == [250, 350]
    assert np.allclose(grid.population[half], 200)
    assert (grid.area == 1).sum() == 2  # fully excluded area keeps its cells


def test_grid_multipolygon_and_validation():
    mp = MultiPolygon([box(0, 0, 100, 100), box(500, 500, 600, 600)])
    grid = build_demand_grid([("m", mp, 10, 1.0)])
    assert len(grid) == 2
    with pytest.raises(ValueError):
        build_demand_grid([("bad", box(0, 0, 1, 1), -1, 1.0)])
    with pytest.raises(ValueError):
        build_demand_grid([], cell_size=0)


def test_grid_builds_city_size_quickly():
    import time

    # 22 x 22 = 484 areas of ~1 km x 0.5 km -> ~24k cells, like Amsterdam's buurten
    areas = [
        ((i, j), box(i * 1000, j * 500, (i + 1) * 1000, (j + 1) * 500), 1000.0, 1.0)
        for i, j in itertools.product(range(22), range(22))
    ]
    started = time.perf_counter()
    grid = build_demand_grid(areas, exclude=[box(3000, 3000, 6000, 6000)])
    assert time.perf_counter() - started < 1.0
    assert 20_000 < len(grid) < 25_000


# --------------------------------------------------------------------------- need


def test_need_missing_indicators_are_neutral():
    assert need_score() == 1.0
    assert need_score(cohesion_score=float("nan"), lonely_share=None) == 1.0
    assert need_score(ladder_assessed=5) == 1.0  # wanted rung missing


def test_need_is_monotone():
    scores = need_score(cohesion_score=np.linspace(1, 10, 19))
    assert np.all(np.diff(scores) <= 0)
    for field in ("min_income_share", "lonely_share", "age_65plus_share"):
        values = need_score(**{field: np.linspace(0, 1, 21)})
        assert np.all(np.diff(values) >= 0) and values[-1] > values[0]
    ladder = need_score(ladder_assessed=np.arange(1, 7), ladder_wanted=3)
    assert np.all(ladder[:3] == 1.0)  # at or below the wanted rung: no deficit
    assert np.all(np.diff(ladder[2:]) > 0)


def test_need_combines_and_respects_floor():
    w = NeedWeights()
    assert need_score(cohesion_score=1) == pytest.approx(1 + w.cohesion)
    # the same deficit measured twice is not counted twice
    assert need_score(cohesion_score=1, ladder_assessed=6, ladder_wanted=1) == pytest.approx(2)
    low = need_score(min_income_share=0, lonely_share=0, age_65plus_share=0)
    assert low == pytest.approx(max(w.floor, 1 - w.min_income - w.lonely - w.age_65plus))
    custom = NeedWeights(min_income=0, lonely=0, age_65plus=0, floor=0.5, cohesion=0)
    assert need_score(lonely_share=1, weights=custom) == 1.0
    with pytest.raises(ValueError):
        NeedWeights(lonely=-1)


# --------------------------------------------------------------------------- coverage


@pytest.mark.parametrize(
    ("detour", "walking", "distance", "covered"),
    [
        (1.0, 400, 400.0, True),
        (1.3, 520, 400.0, True),  # 520 / 1.3 is 400 up to float rounding
        (1.0, 400, 400.009, True),  # within the 1 cm tolerance (reprojection noise)
        (1.0, 400, 400.02, False),
        (1.3, 400, 400.0, False),
    ],
)
def test_cell_on_the_radius(detour, walking, distance, covered):
    cells = np.array([[distance, 0.0], [0.0, 0.0]])
    m = coverage_matrix(np.array([[0.0, 0.0]]), walking, cells, StraightLineDistance(detour))
    assert covered_mask(m).tolist() == [covered, True]


def test_coverage_per_place_radius_matches_brute_force():
    rng = np.random.default_rng(3)
    cells = rng.uniform(0, 3000, (2000, 2))
    sites = rng.uniform(0, 3000, (60, 2))
    radii = rng.choice([150.0, 400.0, 800.0], 60)
    m = coverage_matrix(sites, radii, cells).toarray()
    dist = np.linalg.norm(sites[:, None] - cells[None], axis=2)
    # straight-line distance within radius / detour, up to the documented 1 cm
    assert np.array_equal(m, dist <= radii[:, None] / 1.3 + DISTANCE_TOLERANCE_M)


def test_coverage_by_area_and_groups():
    grid = build_demand_grid(
        [("a", box(0, 0, 200, 100), 20, 1.0), ("b", box(1000, 0, 1100, 100), 5, 3.0)]
    )
    places = np.array([[50.0, 50.0], [1050.0, 50.0]])
    m = coverage_matrix(places, 10, grid.xy, StraightLineDistance(1.0))
    per_kind = covered_by_group(m, ["bench", "centre"])
    assert per_kind["bench"].sum() == 1 and per_kind["centre"].sum() == 1
    result = coverage_by_area(grid, covered_mask(m))
    assert result.population_share.tolist() == [0.5, 1.0]
    assert result.weight.tolist() == [20, 15]
    grouped = coverage_by_area(grid, covered_mask(m), area_groups=[4, 4])
    assert grouped.keys == (4,) and grouped.population_share[0] == pytest.approx(15 / 25)
    assert grouped.as_records()[0]["covered_population"] == 15


def test_evaluate_point_ignores_covered_cells():
    cells = np.array([[0.0, 0.0], [100.0, 0.0], [1000.0, 0.0]])
    gain = evaluate_point(
        0,
        0,
        150,
        cells,
        np.array([1.0, 2.0, 4.0]),
        np.array([10.0, 20.0, 40.0]),
        covered=np.array([True, False, False]),
        model=StraightLineDistance(1.0),
    )
    assert (gain.weight, gain.population) == (2.0, 20.0)


# --------------------------------------------------------------------------- solver


@pytest.mark.parametrize("solve", SOLVERS)
def test_ties_pick_the_lowest_index(solve):
    prob = problem([[0], [1], [2, 3]], [2.0, 2.0, 1.0, 1.0])
    assert solve(prob, 1).selected == (0,)
    assert solve(prob, 2).selected == (0, 1)


def test_swaps_repair_a_greedy_trap():
    # C grabs the middle; A + B together is better
    prob = problem([[0, 1], [2, 3], [1, 2]], [1.0, 1.1, 1.1, 1.0])
    assert greedy(prob, 2).covered_weight == pytest.approx(3.2)
    for solve in (greedy_swap, solve_mclp):
        result = solve(prob, 2)
        assert set(result.selected) == {0, 1}
        assert result.covered_weight == pytest.approx(4.2)


@pytest.mark.parametrize("solve", SOLVERS)
def test_zero_demand(solve):
    result = solve(problem([[0], [1]], [0.0, 0.0]), 2)
    assert result.selected == () and result.covered_weight == 0
    assert "0 of the requested 2" in result.note


@pytest.mark.parametrize("solve", SOLVERS)
def test_p_larger_than_candidates(solve):
    result = solve(problem([[0], [1], [1], [2]], [1.0, 2.0, 3.0]), 10)
    assert sorted(result.selected) == [0, 1, 3]  # 2 duplicates 1 and adds nothing
    assert result.covered_weight == 6.0
    assert "only 3 of the requested 10" in result.note


@pytest.mark.parametrize("solve", SOLVERS)
def test_no_candidates_and_empty_coverage(solve):
    none = MCLPProblem.from_coverage(sparse.csr_matrix((0, 3), dtype=bool), np.ones(3))
    assert solve(none, 3).selected == ()
    empty = problem([[], []], [1.0, 1.0])
    assert solve(empty, 1).selected == ()
    assert solve(problem([[0]], [1.0]), 0).selected == ()


@pytest.mark.parametrize("solve", SOLVERS)
def test_existing_places_cover_everything(solve):
    result = solve(problem([[0], [0, 1]], [1.0, 1.0], covered=[True, True]), 2)
    assert result.selected == () and result.covered_weight == 0


def test_existing_coverage_counts_zero():
    # cell 0 is served already, so candidate 1 (cells 1, 2) beats candidate 0 (cells 0, 1)
    prob = problem([[0, 1], [1, 2]], [5.0, 1.0, 1.0], covered=[True, False, False])
    result = solve_mclp(prob, 1)
    assert result.selected == (1,) and result.covered_weight == 2.0


def test_explanations():
    prob = problem([[0, 1], [1, 2], [3], [3]], [4.0, 1.0, 3.0, 2.0])
    result = solve_mclp(prob, 2)
    assert result.selected == (0, 1)
    assert result.gains == (5.0, 3.0)
    assert sum(result.gains) == result.covered_weight == 8.0
    assert result.exclusive == (4.0, 3.0)
    # replacing site 0: candidate 2 (the lowest index of the duplicate pair) adds 2
    assert result.alternatives == (2, 2)
    assert result.alternative_gains == (2.0, 2.0)


def test_weights_and_population_are_reported_separately():
    cover = sparse.csr_matrix(np.array([[1, 1, 0], [0, 0, 1]], dtype=bool))
    prob = MCLPProblem.from_coverage(cover, np.array([2.0, 2.0, 3.0]), np.array([1.0, 1.0, 9.0]))
    result = solve_mclp(prob, 1)
    assert result.selected == (0,)
    assert (result.covered_weight, result.covered_population) == (4.0, 2.0)
    assert result.population_gains == (2.0,)


def random_instance(seed: int, n_cells: int = 150, n_cand: int = 40) -> MCLPProblem:
    rng = np.random.default_rng(seed)
    cells = rng.uniform(0, 2000, (n_cells, 2))
    sites = rng.uniform(0, 2000, (n_cand, 2))
    cover = coverage_matrix(sites, 400, cells, StraightLineDistance(1.0))
    existing = coverage_matrix(rng.uniform(0, 2000, (5, 2)), 400, cells, StraightLineDistance(1.0))
    weight = rng.lognormal(1, 1, n_cells)
    return MCLPProblem.from_coverage(cover, weight, covered=covered_mask(existing))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("p", [3, 6])
def test_heuristic_matches_milp_optimum(seed, p):
    prob = random_instance(seed)
    exact = solve_exact(prob, p, time_limit=30)
    assert exact.optimal
    heuristic = solve_mclp(prob, p, seed=seed, max_rounds=100)
    assert heuristic.covered_weight == pytest.approx(exact.objective, rel=1e-9)
    assert evaluate_sites(prob, heuristic.selected)[0] == pytest.approx(heuristic.covered_weight)
    assert lp_upper_bound(prob, p).bound >= exact.objective - 1e-6


def test_solver_is_deterministic_for_a_seed():
    prob = random_instance(11, n_cells=400, n_cand=120)
    a = solve_mclp(prob, 8, seed=5, max_rounds=50)
    b = solve_mclp(prob, 8, seed=5, max_rounds=50)
    assert a.selected == b.selected and a.gains == b.gains


def test_exact_handles_p_beyond_candidates_and_start():
    prob = problem([[0], [1], [1, 2]], [1.0, 2.0, 3.0])
    exact = solve_exact(prob, 10, start=[0])
    assert exact.optimal and exact.objective == 6.0 and set(exact.selected) >= {0, 2}
    assert lp_upper_bound(prob, 10).bound == pytest.approx(6.0)


def test_invalid_inputs():
    with pytest.raises(ValueError):
        problem([[0]], [-1.0])
    with pytest.raises(ValueError):
        solve_mclp(problem([[0]], [1.0]), -1)
    with pytest.raises(ValueError):
        MCLPProblem.from_coverage(sparse.csr_matrix((1, 2), dtype=bool), np.ones(3))
