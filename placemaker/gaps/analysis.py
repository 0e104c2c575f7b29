"""Gap analysis core: demand grid, need, coverage and site selection (no Flask).

The service layer reads areas, places and candidates from PostGIS (projected to
EPSG:28992 metres) and calls these functions; tests and benchmarks call them directly.
A typical run::

    grid = build_demand_grid(areas, cell_size=100, exclude=parks_and_water)
    existing = coverage_matrix(places_xy, place_walking_radius, grid.xy)
    covered = covered_mask(existing)
    per_area = coverage_by_area(grid, covered)
    problem = MCLPProblem.from_coverage(
        coverage_matrix(candidates_xy, 400, grid.xy), grid.weight, grid.population, covered
    )
    result = solve_mclp(problem, p=10, seed=0)

The need formula and the reasoning behind its default weights are in
:mod:`placemaker.gaps.need`.
"""

from __future__ import annotations

from placemaker.gaps.coverage import (
    DEFAULT_DETOUR,
    AreaCoverage,
    DistanceModel,
    PointGain,
    StraightLineDistance,
    coverage_by_area,
    coverage_matrix,
    covered_by_group,
    covered_mask,
    evaluate_point,
)
from placemaker.gaps.exact import ExactResult, lp_upper_bound, solve_exact
from placemaker.gaps.grid import Area, DemandGrid, build_demand_grid
from placemaker.gaps.need import NeedWeights, need_score
from placemaker.gaps.solver import (
    MCLPProblem,
    MCLPResult,
    evaluate_sites,
    greedy,
    greedy_swap,
    solve_mclp,
)

__all__ = [
    "DEFAULT_DETOUR",
    "Area",
    "AreaCoverage",
    "DemandGrid",
    "DistanceModel",
    "ExactResult",
    "MCLPProblem",
    "MCLPResult",
    "NeedWeights",
    "PointGain",
    "StraightLineDistance",
    "build_demand_grid",
    "coverage_by_area",
    "coverage_matrix",
    "covered_by_group",
    "covered_mask",
    "evaluate_point",
    "evaluate_sites",
    "greedy",
    "greedy_swap",
    "lp_upper_bound",
    "need_score",
    "solve_exact",
    "solve_mclp",
]
