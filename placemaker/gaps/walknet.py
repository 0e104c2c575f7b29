"""The walking network in PostGIS: imported from OSM, read back for network catchments."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, select, text

from placemaker.extensions import db
from placemaker.gaps.models import WalkEdge, WalkNode
from placemaker.gaps.network import WalkNetwork, read_walk_network
from placemaker.geo import RD_SRID

# Nodes within this distance of the demand area are read (a walk may leave it and return).
MARGIN_M = 1000.0


@dataclass(frozen=True)
class NetworkImport:
    nodes: int
    edges: int
    ways: int
    skipped: dict[str, int]


def import_network(path: Path | str) -> NetworkImport:
    """Replace the stored network with the walkable ways of an OSM extract (not committed)."""
    network = read_walk_network(path)
    db.session.execute(delete(WalkEdge))
    db.session.execute(delete(WalkNode))
    ids = network.node_ids
    if ids is None:  # read_walk_network always names the OSM nodes
        raise ValueError("the network read has no node ids")
    if len(ids):
        db.session.execute(
            text(
                "INSERT INTO walk_node (id, geom) SELECT i, ST_SetSRID(ST_MakePoint(x, y), :srid) "
                "FROM unnest(CAST(:ids AS bigint[]), CAST(:xs AS float8[]), CAST(:ys AS float8[]))"
                " AS t(i, x, y) ON CONFLICT (id) DO NOTHING"
            ),
            {
                "ids": ids.tolist(),
                "srid": RD_SRID,
                "xs": network.node_xy[:, 0].tolist(),
                "ys": network.node_xy[:, 1].tolist(),
            },
        )
    if len(network.edge_from):
        db.session.execute(
            text(
                "INSERT INTO walk_edge (source, target, length_m) SELECT s, t, l FROM "
                "unnest(CAST(:s AS bigint[]), CAST(:t AS bigint[]), CAST(:l AS float8[]))"
                " AS e(s, t, l)"
            ),
            {
                "s": ids[network.edge_from].tolist(),
                "t": ids[network.edge_to].tolist(),
                "l": network.edge_length.tolist(),
            },
        )
    return NetworkImport(len(ids), len(network.edge_from), network.ways, network.skipped)


def has_network() -> bool:
    return (
        db.session.scalar(select(func.count()).select_from(select(WalkEdge.id).limit(1).subquery()))
        or 0
    ) > 0


def load_network(cells_xy: np.ndarray) -> WalkNetwork | None:
    """The stored network around ``cells_xy`` (RD New), or None when none is stored there."""
    if not len(cells_xy):
        return None
    (x0, y0), (x1, y1) = cells_xy.min(0) - MARGIN_M, cells_xy.max(0) + MARGIN_M
    rows = db.session.execute(
        select(WalkNode.id, func.ST_X(WalkNode.geom), func.ST_Y(WalkNode.geom)).where(
            WalkNode.geom.intersects(func.ST_MakeEnvelope(x0, y0, x1, y1, RD_SRID))
        )
    ).all()
    if not rows:
        return None
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    xy = np.array([(r[1], r[2]) for r in rows], dtype=float)
    order = np.argsort(ids)
    ids, xy = ids[order], xy[order]
    edges = db.session.execute(
        text(
            "SELECT source, target FROM walk_edge WHERE source = ANY(:ids) AND target = ANY(:ids)"
        ),
        {"ids": ids.tolist()},
    ).all()
    if not edges:
        return None
    pairs = np.array(edges, dtype=np.int64)
    return WalkNetwork(
        xy, np.searchsorted(ids, pairs[:, 0]), np.searchsorted(ids, pairs[:, 1]), ids
    )
