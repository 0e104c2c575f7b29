"""Walking-network catchments on a real OpenStreetMap extract (Amsterdam-Oost sample)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from placemaker.demo import data_dir
from placemaker.gaps.coverage import StraightLineDistance, coverage_matrix
from placemaker.gaps.network import NetworkDistance, is_walkable, read_walk_network

# Read where the rest of the shared data is read ($PLACEMAKER_DATA_DIR or ../shared/data).
SAMPLE = data_dir() / "amsterdam" / "osm_oost_sample.osm.pbf"


@pytest.fixture(scope="module")
def network():
    if not SAMPLE.exists():
        pytest.fail(f"{SAMPLE} is missing (the shared data folder)")
    return read_walk_network(SAMPLE)


def test_walkable_ways_only():
    assert is_walkable({"highway": "footway"}) and is_walkable({"highway": "residential"})
    assert is_walkable({"highway": "cycleway", "foot": "designated"})
    assert not is_walkable({"highway": "cycleway"})
    assert not is_walkable({"highway": "trunk"}) and not is_walkable({"highway": "motorway"})
    assert not is_walkable({"highway": "footway", "access": "private"})
    assert not is_walkable({"building": "yes"})


def test_reads_the_walking_network(network):
    assert network.ways > 20 and len(network.node_xy) > 100
    assert network.skipped.get("trunk", 0) > 0  # the trunk road is left out, and counted
    x, y = network.node_xy.mean(0)
    assert 120_000 < x < 130_000 and 480_000 < y < 490_000  # RD New, Amsterdam
    assert np.all(network.edge_length > 0)


def _points(network, n, seed):
    rng = np.random.default_rng(seed)
    low, high = network.node_xy.min(0), network.node_xy.max(0)
    return rng.uniform(low, high, (n, 2))


def test_no_walk_is_shorter_than_the_straight_line(network):
    sites, cells = _points(network, 40, 1), _points(network, 400, 2)
    walk = NetworkDistance(network, max_snap=1e6).distances(sites, cells, 2000).tocoo()
    assert walk.nnz > 1000
    straight = np.hypot(*(sites[walk.row] - cells[walk.col]).T)
    assert np.all(walk.data >= straight - 1e-6)
    assert np.mean(walk.data / np.maximum(straight, 1)) > 1.05  # streets do detour


def test_cells_the_network_cannot_reach_in_time_are_not_covered(network):
    sites, cells = _points(network, 40, 3), _points(network, 600, 4)
    model = NetworkDistance(network, max_snap=1e6)
    covered = model.within(sites, 400.0, cells).toarray()
    crow = coverage_matrix(sites, 400.0, cells, StraightLineDistance(1.0)).toarray()
    walk = model.distances(sites, cells, 5000).toarray()
    # covered exactly when the walk is within the radius, never beyond the straight line
    assert not np.any(covered & ~crow)
    near_but_far = crow & ~covered
    assert near_but_far.sum() > 0, "some cells within 400 m as the crow flies take longer"
    assert np.all((walk[near_but_far] == 0) | (walk[near_but_far] > 400))
    assert model.fallback_cells == 0


def test_where_the_network_has_no_data_the_detour_model_stays(network):
    far = network.node_xy.max(0) + 5000  # well outside the extract
    sites = np.array([far, far + [100, 0]])
    cells = np.array([far + [0, 200], far + [0, 320]])
    model = NetworkDistance(network, max_snap=150)
    covered = model.within(sites, 400.0, cells).toarray()
    expected = StraightLineDistance(1.3).within(sites, np.full(2, 400.0), cells).toarray()
    assert np.array_equal(covered, expected) and model.fallback_cells == 2


def test_import_network_and_network_catchments(app, runner):
    """flask import-network loads the sample; the analysis then walks the network where it
    lies and says so, and keeps the detour model elsewhere."""
    result = runner.invoke(args=["import-network", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "walking network:" in result.output and "trunk" in result.output
    client = app.test_client()
    try:
        straight = client.get("/api/gaps/coverage").get_json()
        walked = client.get("/api/gaps/coverage?catchment=network").get_json()
        assert straight["catchment"] == {
            "model": "straight-line",
            "cells_by_detour_model": straight["cells"],
        }
        assert walked["catchment"]["model"] == "network"
        # the extract covers a few streets of Oost: most of the city keeps the detour model
        assert 0 < walked["catchment"]["cells_by_detour_model"] < walked["cells"]
        assert walked["total"]["covered_population"] != straight["total"]["covered_population"]
        sites = client.get("/api/gaps/suggestions?p=3&catchment=network").get_json()
        assert sites["catchment"]["model"] == "network" and len(sites["features"]) == 3
        bad = client.get("/api/gaps/coverage?catchment=bus")
        assert bad.status_code == 400
    finally:
        with app.app_context():
            from placemaker.extensions import db
            from placemaker.gaps.models import WalkEdge, WalkNode

            db.session.query(WalkEdge).delete()
            db.session.query(WalkNode).delete()
            db.session.commit()
    bad_file = runner.invoke(args=["import-network", str(Path(__file__))])
    assert bad_file.exit_code != 0
