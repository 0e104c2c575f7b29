"""Seeded synthetic clustered instances for the gap-analysis benchmark."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Instance:
    name: str
    cells_xy: np.ndarray
    population: np.ndarray
    weight: np.ndarray
    places_xy: np.ndarray
    candidates_xy: np.ndarray
    radius: float


@dataclass(frozen=True)
class Spec:
    name: str
    cells: int
    places: int
    candidates: int
    extent_m: float
    towns: int
    seed: int
    radius: float = 400.0


SPECS = {
    "small": Spec("small", 2_000, 240, 500, 8_000, 6, 1),
    "city": Spec("city", 25_000, 3_000, 5_000, 24_000, 30, 2),
    "country": Spec("country", 400_000, 50_000, 50_000, 280_000, 900, 3),
}


def make_instance(spec: Spec, cell: float = 100.0) -> Instance:
    """Clustered towns on a 100 m grid; places concentrate where people live.

    Town sizes are heavy-tailed; each populated cell gets a lognormal population scaled
    by its town's density and a need multiplier in 0.5..2.5 that varies smoothly per
    town, so weighted need is clustered too. Existing places are drawn with probability
    rising faster than population (centres are well served, edges are not); candidates
    are drawn uniformly from populated cells with a little jitter.
    """
    rng = np.random.default_rng(spec.seed)
    centres = rng.uniform(0, spec.extent_m, size=(spec.towns, 2))
    size = rng.pareto(1.3, spec.towns) + 1.0
    sigma = np.clip(250.0 * np.sqrt(size) * np.sqrt(spec.cells / spec.towns) / 20, 300, 6000)
    share = size / size.sum()
    cells: dict[tuple[int, int], int] = {}
    # draw points until enough distinct grid cells are populated
    while len(cells) < spec.cells:
        n = int((spec.cells - len(cells)) * 1.3) + 100
        town = rng.choice(spec.towns, size=n, p=share)
        pts = centres[town] + rng.normal(size=(n, 2)) * sigma[town, None]
        ij = np.floor(pts / cell).astype(np.int64)
        for key, t in zip(map(tuple, ij.tolist()), town.tolist(), strict=True):
            if key not in cells:
                cells[key] = t
                if len(cells) == spec.cells:
                    break
    keys = np.array(list(cells.keys()), dtype=float)
    town_of = np.array(list(cells.values()))
    xy = (keys + 0.5) * cell
    dist = np.linalg.norm(xy - centres[town_of], axis=1) / sigma[town_of]
    density = np.exp(-0.5 * dist**2)
    population = np.round(rng.lognormal(3.0, 0.8, len(xy)) * (0.3 + density)).astype(float)
    # need varies by town and by a smooth east-west trend inside each town
    town_need = rng.uniform(0.6, 1.8, spec.towns)
    trend = np.sin((xy[:, 0] - centres[town_of, 0]) / sigma[town_of])
    need = np.clip(town_need[town_of] + 0.5 * trend + rng.normal(0, 0.1, len(xy)), 0.5, 2.5)
    weight = population * need

    p_place = population * (0.02 + density) ** 6
    p_place /= p_place.sum()
    idx = rng.choice(len(xy), size=spec.places, p=p_place)
    places = xy[idx] + rng.uniform(-50, 50, size=(spec.places, 2))
    idx = rng.choice(len(xy), size=spec.candidates)
    candidates = xy[idx] + rng.uniform(-50, 50, size=(spec.candidates, 2))
    return Instance(spec.name, xy, population, weight, places, candidates, spec.radius)
