"""Walking-network catchments: distances along footways and streets instead of a detour factor.

:func:`read_walk_network` reads an OpenStreetMap extract (``.osm.pbf`` or ``.osm``, via
pyosmium) and keeps the ways a pedestrian may use; :class:`NetworkDistance` is a
:class:`~placemaker.gaps.coverage.DistanceModel`: sites and cells are snapped to their
nearest network node, and one Dijkstra per site (scipy.sparse.csgraph, stopped at the
radius) gives the walking distance to every node it reaches::

    walk(site, cell) = snap(site) + path(node(site), node(cell)) + snap(cell)

Every edge is a straight segment in RD New, so by the triangle inequality no walk is
shorter than the straight line. A cell or site farther than ``max_snap`` from the network
lies where the network has no data; there the straight-line model with its detour factor
stays, and :attr:`NetworkDistance.fallback_cells` counts the cells that used it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from placemaker.gaps.coverage import (
    DEFAULT_DETOUR,
    DISTANCE_TOLERANCE_M,
    StraightLineDistance,
)
from placemaker.gaps.layers import to_rd

__all__ = ["WALKABLE", "NetworkDistance", "WalkNetwork", "read_walk_network"]

#: highway values a pedestrian may use (unless tagged foot=no); cycleways and bridleways
#: only with foot=yes/designated/permissive. Motorways and trunk roads never.
WALKABLE = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "living_street",
        "residential",
        "service",
        "steps",
        "track",
        "unclassified",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "corridor",
        "road",
    }
)
_NEVER = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "construction",
        "proposed",
        "raceway",
        "bus_guideway",
    }
)
_FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
_FOOT_FORBIDDEN = frozenset({"no", "private", "use_sidepath"})
# Sites per Dijkstra batch: distances come back dense (sites x nodes), so keep it small.
_BATCH = 64


def is_walkable(tags) -> bool:
    """Whether a way with these OSM tags is open to pedestrians."""
    highway = tags.get("highway")
    if highway is None or highway in _NEVER:
        return False
    foot = tags.get("foot")
    if foot in _FOOT_ALLOWED:
        return True
    if foot in _FOOT_FORBIDDEN or tags.get("access") in ("no", "private"):
        return False
    return highway in WALKABLE


@dataclass
class WalkNetwork:
    """Nodes in RD New metres and undirected edges with their lengths."""

    node_xy: np.ndarray
    edge_from: np.ndarray
    edge_to: np.ndarray
    node_ids: np.ndarray | None = None  # OpenStreetMap ids, when read from OSM
    ways: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def edge_length(self) -> np.ndarray:
        return np.hypot(*(self.node_xy[self.edge_from] - self.node_xy[self.edge_to]).T)

    def graph(self) -> sparse.csr_matrix:
        n = len(self.node_xy)
        length = self.edge_length
        return sparse.csr_matrix(
            (
                np.concatenate([length, length]),
                (
                    np.concatenate([self.edge_from, self.edge_to]),
                    np.concatenate([self.edge_to, self.edge_from]),
                ),
            ),
            shape=(n, n),
        )


def read_walk_network(path: Path | str) -> WalkNetwork:
    """The walkable ways of an OSM extract; other ways are counted in ``skipped`` by kind."""
    import osmium  # heavy C extension, needed only when a network is read

    index: dict[int, int] = {}
    lonlat: list[tuple[float, float]] = []
    edges: list[tuple[int, int]] = []
    skipped: dict[str, int] = {}
    ways = 0
    for obj in osmium.FileProcessor(str(path)).with_locations():
        if not isinstance(obj, osmium.osm.Way):
            continue
        tags = obj.tags
        if "highway" not in tags:
            continue
        if not is_walkable(tags):
            kind = tags.get("highway") or "?"
            skipped[kind] = skipped.get(kind, 0) + 1
            continue
        ways += 1
        previous = None
        for ref in obj.nodes:
            if not ref.location.valid():
                previous = None
                continue
            node = index.get(ref.ref)
            if node is None:
                node = index[ref.ref] = len(lonlat)
                lonlat.append((ref.location.lon, ref.location.lat))
            if previous is not None and previous != node:
                edges.append((previous, node))
            previous = node
    xy = to_rd(np.array(lonlat, dtype=float).reshape(-1, 2)) if lonlat else np.zeros((0, 2))
    pairs = np.array(edges, dtype=np.int64).reshape(-1, 2)
    ids = np.fromiter(index.keys(), dtype=np.int64, count=len(index))
    return WalkNetwork(xy, pairs[:, 0], pairs[:, 1], ids, ways, skipped)


@dataclass
class NetworkDistance:
    """Walking distance along ``network``; straight line x ``detour`` where it has no data."""

    network: WalkNetwork
    max_snap: float = 150.0
    detour: float = DEFAULT_DETOUR
    fallback_cells: int = 0

    def __post_init__(self) -> None:
        self._graph = self.network.graph()
        self._tree = cKDTree(self.network.node_xy) if len(self.network.node_xy) else None

    def _snap(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._tree is None or not len(xy):
            return np.full(len(xy), np.inf), np.zeros(len(xy), dtype=np.int64)
        distance, node = self._tree.query(xy)
        return distance, node

    def distances(
        self, sites_xy: np.ndarray, cells_xy: np.ndarray, limit: float
    ) -> sparse.csr_matrix:
        """Walking distances up to ``limit`` along the network (sites x cells, sparse;
        pairs off the network or beyond the limit are absent)."""
        sites_xy = np.asarray(sites_xy, dtype=float).reshape(-1, 2)
        cells_xy = np.asarray(cells_xy, dtype=float).reshape(-1, 2)
        site_snap, site_node = self._snap(sites_xy)
        cell_snap, cell_node = self._snap(cells_xy)
        on_cells = np.flatnonzero(cell_snap <= self.max_snap)
        rows, cols, vals = [], [], []
        usable = np.flatnonzero(site_snap <= self.max_snap)
        for start in range(0, len(usable), _BATCH):
            batch = usable[start : start + _BATCH]
            reach = dijkstra(self._graph, indices=site_node[batch], limit=limit)
            total = (
                reach[:, cell_node[on_cells]] + site_snap[batch, None] + cell_snap[None, on_cells]
            )
            r, c = np.nonzero(total <= limit)
            rows.append(batch[r])
            cols.append(on_cells[c])
            vals.append(total[r, c])
        if not rows:
            return sparse.csr_matrix((len(sites_xy), len(cells_xy)))
        return sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(len(sites_xy), len(cells_xy)),
        )

    def within(
        self, sites_xy: np.ndarray, walking_radius: np.ndarray, cells_xy: np.ndarray
    ) -> sparse.csr_matrix:
        """Covered pairs: on the network within the radius (+1 cm), else the detour model
        for cells the network does not reach at all."""
        sites_xy = np.asarray(sites_xy, dtype=float).reshape(-1, 2)
        cells_xy = np.asarray(cells_xy, dtype=float).reshape(-1, 2)
        radius = np.broadcast_to(np.asarray(walking_radius, dtype=float), (len(sites_xy),))
        if not len(sites_xy) or not len(cells_xy):
            return sparse.csr_matrix((len(sites_xy), len(cells_xy)), dtype=bool)
        limit = float(radius.max()) + DISTANCE_TOLERANCE_M
        walk = self.distances(sites_xy, cells_xy, limit).tocoo()
        keep = walk.data <= radius[walk.row] + DISTANCE_TOLERANCE_M
        matrix = sparse.csr_matrix(
            (np.ones(int(keep.sum()), dtype=bool), (walk.row[keep], walk.col[keep])),
            shape=(len(sites_xy), len(cells_xy)),
        )
        # off the network (cells or sites with no way within max_snap): the detour model
        cell_snap, _ = self._snap(cells_xy)
        site_snap, _ = self._snap(sites_xy)
        off_cells = cell_snap > self.max_snap
        off_sites = site_snap > self.max_snap
        self.fallback_cells = int(off_cells.sum())
        if off_cells.any() or off_sites.any():
            straight = StraightLineDistance(self.detour).within(sites_xy, radius, cells_xy).tocoo()
            use = off_cells[straight.col] | off_sites[straight.row]
            fallback = sparse.csr_matrix(
                (np.ones(int(use.sum()), dtype=bool), (straight.row[use], straight.col[use])),
                shape=matrix.shape,
            )
            matrix = (matrix + fallback).astype(bool).tocsr()
        matrix.sort_indices()
        return matrix
