"""The reduced covering problem of an analysis, prepared when the data changes.

Candidate sites, their catchments and the reduced problem (see
:class:`~placemaker.gaps.solver.MCLPProblem`) depend on the data and on the parameters that
shape demand and candidates, not on ``p``; the LP bound depends on ``p`` too. Both are kept
in Redis under the data version, like the model, so a planner's question only runs the
search and writes the explanation. :func:`warm` builds them for the default analysis; a
job runs it after every write (:mod:`placemaker.gaps.jobs`), so the first planner after a
change does not wait for it.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from placemaker import cache
from placemaker.extensions import db
from placemaker.gaps.analysis import MCLPProblem, coverage_matrix
from placemaker.gaps.bounds import lp_bound
from placemaker.gaps.candidates import candidate_sites
from placemaker.gaps.model import GapModel, data_version, distance_model, load_model
from placemaker.gaps.params import DEFAULT_RADIUS_M, GapParams
from placemaker.places.models import PlaceKind

# Prepared problems and bounds stay as long as their data version may be asked for; a
# new version gets new keys, so nothing stale is ever served.
KEEP_SECONDS = 7 * 24 * 3600


@dataclass
class Prepared:
    """Candidates in metres, how to name each, which cells each reaches, the reduced problem."""

    key: str
    radius: float
    candidate_xy: np.ndarray
    candidate_refs: list[Any]
    cover: sparse.csr_matrix
    problem: MCLPProblem

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        p = self.problem
        np.savez(
            buffer,
            radius=self.radius,
            candidate_xy=self.candidate_xy,
            refs=np.array(json.dumps(self.candidate_refs)),
            shape=np.array(self.cover.shape),
            indptr=self.cover.indptr,
            indices=self.cover.indices,
            red_shape=np.array(p.matrix.shape),
            red_indptr=p.matrix.indptr,
            red_indices=p.matrix.indices,
            red_weight=p.red_weight,
            candidates=p.candidates,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, key: str, data: bytes, model: GapModel) -> Prepared:
        z = np.load(io.BytesIO(data), allow_pickle=False)
        cover = sparse.csr_matrix(
            (np.ones(len(z["indices"]), dtype=bool), z["indices"], z["indptr"]),
            shape=tuple(z["shape"]),
        )
        matrix = sparse.csr_matrix(
            (np.ones(len(z["red_indices"])), z["red_indices"], z["red_indptr"]),
            shape=tuple(z["red_shape"]),
        )
        problem = MCLPProblem(
            cover=cover,
            weight=model.grid.weight,
            population=model.grid.population,
            covered=model.covered,
            matrix=matrix,
            matrix_t=sparse.csr_matrix(matrix.T),
            red_weight=z["red_weight"],
            candidates=z["candidates"],
        )
        return cls(
            key, float(z["radius"]), z["candidate_xy"], json.loads(str(z["refs"])), cover, problem
        )


def new_site_radius(params: GapParams) -> float:
    if params.radius_m:
        return params.radius_m
    if params.kind:
        return float(db.session.get_one(PlaceKind, params.kind).walking_distance_m)
    return float(DEFAULT_RADIUS_M)


def problem_key(params: GapParams) -> str:
    """What the candidates and the reduced problem depend on (not ``p``, not the level)."""
    value = {
        "model": params.model_key(),
        "candidates": params.candidates,
        "radius": params.radius_m,
    }
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:24]


def load_prepared(params: GapParams, model: GapModel | None = None) -> Prepared:
    """The prepared problem of this data version, built now if no job has built it yet."""
    model = model if model is not None else load_model(params)
    key = problem_key(params)
    data = cache.cached(
        "gaps:prepared",
        key,
        lambda: build_prepared(params, model).to_bytes(),
        version=data_version(),
        seconds=KEEP_SECONDS,
    )
    return Prepared.from_bytes(key, data, model)


def build_prepared(params: GapParams, model: GapModel) -> Prepared:
    candidate_xy, candidate_refs = candidate_sites(params, model)
    radius = new_site_radius(params)
    distance, _ = distance_model(params, model.grid.xy)
    cover = coverage_matrix(candidate_xy, radius, model.grid.xy, distance)
    problem = MCLPProblem.from_coverage(
        cover, model.grid.weight, model.grid.population, model.covered
    )
    return Prepared(
        problem_key(params), radius, candidate_xy, candidate_refs, problem.cover, problem
    )


def upper_bound(prepared: Prepared, p: int) -> float:
    """The LP bound for ``p`` sites on this prepared problem, computed once per version."""
    data = cache.cached(
        "gaps:bound",
        f"{prepared.key}|{p}",
        lambda: repr(lp_bound(prepared.problem, p)).encode(),
        version=data_version(),
        seconds=KEEP_SECONDS,
    )
    return float(data)


def warm(params: GapParams | None = None) -> dict[str, Any]:
    """Build the model, the prepared problem and the bound for ``params`` (default analysis)."""
    params = params or GapParams()
    model = load_model(params)
    prepared = load_prepared(params, model)
    bound = upper_bound(prepared, params.p)
    return {
        "data_version": data_version(),
        "cells": len(model.grid),
        "candidates": len(prepared.candidate_refs),
        "p": params.p,
        "upper_bound": bound,
    }
