"""Which grid cells a meeting place serves.

A cell is covered by a place when the walking distance is within the place's walking
radius. Walking distance is estimated as straight-line distance x a detour factor
(default 1.3, a common ratio of street-network to crow-fly distance in Dutch urban
areas), so the straight-line radius is ``walking_radius / detour``. The estimate lives
behind :class:`DistanceModel` so a street-network model can replace it later.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from placemaker.gaps.grid import DemandGrid

__all__ = [
    "DEFAULT_DETOUR",
    "DISTANCE_TOLERANCE_M",
    "AreaCoverage",
    "DistanceModel",
    "PointGain",
    "StraightLineDistance",
    "coverage_by_area",
    "coverage_matrix",
    "covered_by_group",
    "covered_mask",
    "evaluate_point",
]

DEFAULT_DETOUR = 1.3

# Distances are computed in RD New (EPSG:28992) metres. A cell counts as covered when its
# distance exceeds the radius by at most DISTANCE_TOLERANCE_M (1 cm), plus a relative
# 1e-9 for float rounding (e.g. 520 / 1.3). One centimetre is far below anything a walking
# distance can mean, and above what reprojection does to a point: a place stored as
# longitude/latitude (7 decimals in GeoJSON, about 1 cm; PostGIS keeps doubles) lands within
# a few millimetres of its RD position, so an exact 100 m grid keeps its pairs exactly 400 m
# apart. A micrometre tolerance dropped those pairs and under-reported existing coverage.
DISTANCE_TOLERANCE_M = 0.01
_REL_EPS = 1e-9
_ABS_EPS = DISTANCE_TOLERANCE_M
# Above this many distinct radii, one query at the largest radius plus a filter is faster.
_MAX_RADIUS_GROUPS = 16


class DistanceModel(Protocol):
    """Strategy deciding which cells lie within walking distance of which sites."""

    def within(
        self, sites_xy: np.ndarray, walking_radius: np.ndarray, cells_xy: np.ndarray
    ) -> sparse.csr_matrix:
        """Boolean ``sites x cells`` CSR matrix: True where the cell is reachable."""
        ...


@dataclass(frozen=True)
class StraightLineDistance:
    """Straight-line distance x ``detour`` must be <= the walking radius."""

    detour: float = DEFAULT_DETOUR

    def __post_init__(self) -> None:
        if not self.detour >= 1.0:
            raise ValueError("detour factor must be >= 1")

    def within(
        self,
        sites_xy: np.ndarray,
        walking_radius: np.ndarray,
        cells_xy: np.ndarray,
        tree: cKDTree | None = None,
    ) -> sparse.csr_matrix:
        """KD-tree radius query with one radius per site (scipy broadcasts ``r``)."""
        sites_xy = np.asarray(sites_xy, dtype=float).reshape(-1, 2)
        cells_xy = np.asarray(cells_xy, dtype=float).reshape(-1, 2)
        n_sites, n_cells = len(sites_xy), len(cells_xy)
        radius = np.broadcast_to(np.asarray(walking_radius, dtype=float), (n_sites,))
        if np.any(~np.isfinite(radius)) or np.any(radius < 0):
            raise ValueError("walking radius must be finite and >= 0")
        if n_sites == 0 or n_cells == 0:
            return sparse.csr_matrix((n_sites, n_cells), dtype=bool)
        r = radius / self.detour
        r = r * (1 + _REL_EPS) + _ABS_EPS
        tree = tree if tree is not None else cKDTree(cells_xy)
        # Query once per distinct radius (kinds share radii), or once at the largest
        # radius and filter when radii are all different.
        groups = np.unique(r)
        if len(groups) > _MAX_RADIUS_GROUPS:
            groups = groups[-1:]
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        for radius_value in groups:
            members = (
                np.flatnonzero(r <= radius_value)
                if len(groups) == 1
                else (np.flatnonzero(r == radius_value))
            )
            pairs = cKDTree(sites_xy[members]).sparse_distance_matrix(
                tree, float(radius_value), output_type="ndarray"
            )
            site = members[pairs["i"]]
            keep = pairs["v"] <= r[site]
            rows.append(site[keep])
            cols.append(pairs["j"][keep])
        row = np.concatenate(rows)
        col = np.concatenate(cols)
        matrix = sparse.csr_matrix(
            (np.ones(len(row), dtype=bool), (row, col)), shape=(n_sites, n_cells)
        )
        matrix.sort_indices()
        return matrix


def coverage_matrix(
    sites_xy: np.ndarray,
    walking_radius: float | np.ndarray,
    cells_xy: np.ndarray,
    model: DistanceModel | None = None,
) -> sparse.csr_matrix:
    """Sparse boolean ``sites x cells`` matrix of which site covers which cell.

    :param walking_radius: one radius for all sites, or one per site (kinds differ:
        a bench serves ~150 m, a community centre ~800 m).
    :param model: distance strategy; default :class:`StraightLineDistance` (detour 1.3).
    """
    model = model or StraightLineDistance()
    sites_xy = np.asarray(sites_xy, dtype=float).reshape(-1, 2)
    radius = np.broadcast_to(np.asarray(walking_radius, dtype=float), (len(sites_xy),))
    return model.within(sites_xy, radius, cells_xy)


def covered_mask(coverage: sparse.spmatrix) -> np.ndarray:
    """Boolean mask over cells: covered by at least one site of ``coverage``."""
    coverage = sparse.csr_matrix(coverage)
    mask = np.zeros(coverage.shape[1], dtype=bool)
    mask[coverage.indices[coverage.data != 0]] = True
    return mask


def covered_by_group(
    coverage: sparse.spmatrix, groups: Sequence[str] | np.ndarray
) -> dict[str, np.ndarray]:
    """Covered mask per site group (e.g. place kind): ``{group: mask over cells}``."""
    coverage = sparse.csr_matrix(coverage)
    labels = np.asarray(groups, dtype=object)
    if len(labels) != coverage.shape[0]:
        raise ValueError("need one group label per site")
    result: dict[str, np.ndarray] = {}
    for label in dict.fromkeys(labels.tolist()):
        rows = np.flatnonzero(labels == label)
        result[label] = covered_mask(coverage[rows])
    return result


@dataclass(frozen=True)
class AreaCoverage:
    """Per-area (or per-group) totals; shares are NaN where the total is zero."""

    keys: tuple[Hashable, ...]
    population: np.ndarray
    covered_population: np.ndarray
    weight: np.ndarray
    covered_weight: np.ndarray

    @property
    def population_share(self) -> np.ndarray:
        return _share(self.covered_population, self.population)

    @property
    def weight_share(self) -> np.ndarray:
        return _share(self.covered_weight, self.weight)

    def as_records(self) -> list[dict[str, object]]:
        """One dict per key, convenient for JSON."""
        ps, ws = self.population_share, self.weight_share
        return [
            {
                "key": key,
                "population": float(self.population[i]),
                "covered_population": float(self.covered_population[i]),
                "weight": float(self.weight[i]),
                "covered_weight": float(self.covered_weight[i]),
                "population_share": None if np.isnan(ps[i]) else float(ps[i]),
                "weight_share": None if np.isnan(ws[i]) else float(ws[i]),
            }
            for i, key in enumerate(self.keys)
        ]


def _share(part: np.ndarray, total: np.ndarray) -> np.ndarray:
    out = np.full(total.shape, np.nan)
    np.divide(part, total, out=out, where=total > 0)
    return out


def coverage_by_area(
    grid: DemandGrid,
    covered: np.ndarray,
    area_groups: Sequence[Hashable] | np.ndarray | None = None,
) -> AreaCoverage:
    """Share of residents and of weighted need covered, per area or per area group.

    :param covered: boolean mask over the grid's cells (see :func:`covered_mask`).
    :param area_groups: optional label per area (in ``grid.area_keys`` order), e.g. the
        assessed ladder rung; totals are then summed per label instead of per area.
    """
    covered = np.asarray(covered, dtype=bool)
    if covered.shape != (len(grid),):
        raise ValueError("covered mask must have one entry per grid cell")
    n_areas = len(grid.area_keys)
    keys: tuple[Hashable, ...] = grid.area_keys
    index = grid.area
    if area_groups is not None:
        labels = list(area_groups)
        if len(labels) != n_areas:
            raise ValueError("need one group label per area")
        keys = tuple(dict.fromkeys(labels))
        position = {k: i for i, k in enumerate(keys)}
        area_to_group = np.asarray([position[k] for k in labels], dtype=np.int64)
        index = area_to_group[grid.area] if len(grid.area) else grid.area
        n_areas = len(keys)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(index, weights=values, minlength=n_areas).astype(float)

    return AreaCoverage(
        keys=keys,
        population=total(grid.population),
        covered_population=total(grid.population * covered),
        weight=total(grid.weight),
        covered_weight=total(grid.weight * covered),
    )


@dataclass(frozen=True)
class PointGain:
    """What one extra place at a point would add."""

    weight: float
    population: float
    cells: np.ndarray


def evaluate_point(
    x: float,
    y: float,
    walking_radius: float,
    cells_xy: np.ndarray,
    weight: np.ndarray,
    population: np.ndarray,
    covered: np.ndarray | None = None,
    model: DistanceModel | None = None,
) -> PointGain:
    """Newly covered weighted need and residents for one place at ``(x, y)``.

    Cells already in ``covered`` (by existing places or earlier picks) count zero.
    """
    row = coverage_matrix(np.array([[x, y]]), walking_radius, cells_xy, model)
    cells = row.indices
    if covered is not None:
        cells = cells[~np.asarray(covered, dtype=bool)[cells]]
    return PointGain(
        weight=float(np.asarray(weight)[cells].sum()),
        population=float(np.asarray(population)[cells].sum()),
        cells=cells,
    )
