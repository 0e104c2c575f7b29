"""One analysis request: its query arguments (one schema for parsing and the OpenAPI
document), its parameters and its cache key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from marshmallow import validate

from placemaker.areas import service as areas
from placemaker.edge import Args, DataChoice, Float, Int, Text, load_args
from placemaker.errors import InvalidInput
from placemaker.extensions import db
from placemaker.gaps.analysis import (
    DEFAULT_DETOUR,
    NeedWeights,
)
from placemaker.gaps.hours import WINDOWS
from placemaker.gaps.models import GapLayer
from placemaker.places.models import PlaceKind

DEFAULT_RADIUS_M = 400
MAX_P = 200

# The local search is bounded by work, so an answer depends on the data and the parameters
# only (benchmarks/README.md): at most SOLVER_ROUNDS rounds, SOLVER_STALE of them without
# improvement, and none once the LP bound proves the answer best. SOLVER_SAFETY_SECONDS is a
# safety net against a runaway search; the answer says when it was hit.
SOLVER_ROUNDS = 300
SOLVER_STALE = 150
SOLVER_SAFETY_SECONDS = 30.0
# The MILP of exact mode (a background job) stops here, with its proven bound and gap.
EXACT_SECONDS = 600.0


# ------------------------------------------------------------------------------ parameters


@dataclass(frozen=True)
class GapParams:
    """One analysis request. Parsed from query parameters by :meth:`from_args`."""

    kind: str | None = None  # count only places of this kind, and site new ones of it
    rung: int | None = None  # count only places supporting this ladder rung
    p: int = 10
    radius_m: float | None = None  # walking distance of a new site (default: kind's or 400)
    candidates: str = "grid"  # grid | proposals | layer:<id>
    area: str | None = None  # restrict demand and candidates to this area
    level: str = "buurt"  # level at which coverage is reported
    year: int | None = None  # cohesion year (default: the latest)
    detour: float = DEFAULT_DETOUR
    weights: NeedWeights = field(default_factory=NeedWeights)
    # Opening-hours window (a key of gaps/hours.py WINDOWS): places open less than half of
    # it do not count as covering. None: every place counts, whatever its hours.
    window: str | None = None
    exact: bool = False  # also prove the optimum with the MILP (runs as a background job)
    catchment: str = "straight"  # straight (detour factor) | network (walking network)
    # "If everything planned is built": count planned and unfinished places as open.
    include_planned: bool = False

    WEIGHT_ARGS = {  # argument -> NeedWeights field
        "w_cohesion": "cohesion",
        "w_income": "min_income",
        "w_lonely": "lonely",
        "w_65plus": "age_65plus",
        "target": "cohesion_target",
        "floor": "floor",
    }

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> GapParams:
        """Validate request arguments (or a saved scenario's); :raises InvalidInput:."""
        return cls.from_values(load_args(GAP_ARGS, args))

    @classmethod
    def from_values(cls, args: Mapping[str, Any]) -> GapParams:
        """From arguments :class:`GapArgs` loaded: checks what needs the database."""
        values = {attr: args[name] for name, attr in PLAIN_ARGS.items() if name in args}
        if "candidates" in values:
            _check_layer(values["candidates"])
        if "area" in values:
            areas.get_area(values["area"])
        if "exact" in args:
            values["exact"] = args["exact"] in ("1", "true")
        if args.get("planned") == "1":
            values["include_planned"] = True
        overrides = {attr: args[name] for name, attr in cls.WEIGHT_ARGS.items() if name in args}
        try:
            values["weights"] = replace(NeedWeights(), **overrides)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        return cls(**values)

    def as_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "weights"}
        out["weights"] = asdict(self.weights)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GapParams:
        """The parameters :meth:`as_json` wrote (a background job gets them this way)."""
        data = dict(data)
        weights = NeedWeights(**data.pop("weights", {}))
        return cls(**data, weights=weights)

    def model_key(self) -> str:
        """What the demand and existing coverage depend on (not p or candidates)."""
        key = {
            "kind": self.kind,
            "rung": self.rung,
            "area": self.area,
            "year": self.year,
            "detour": self.detour,
            "catchment": self.catchment,
            "weights": asdict(self.weights),
            "window": self.window,
        }
        if self.include_planned:  # absent when off, so earlier cached models stay valid
            key["include_planned"] = True
        return _digest(key)

    def key(self) -> str:
        return _digest(self.as_json())


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:24]


def _candidate_sources() -> list[str]:
    ids = db.session.scalars(db.select(GapLayer.id).order_by(GapLayer.id))
    return ["grid", "proposals", *(f"layer:{i}" for i in ids)]


def _check_layer(candidates: str) -> None:
    if candidates.startswith("layer:") and db.session.get(GapLayer, int(candidates[6:])) is None:
        raise InvalidInput(f"no layer {candidates[6:]}")


# ------------------------------------------------------------------------- query arguments


def _kinds() -> list[str]:
    return list(db.session.scalars(db.select(PlaceKind.code).order_by(PlaceKind.sort_order)))


def _levels() -> list[str]:
    return [lv.code for lv in areas.levels()]


def _weight(description: str, low: float = 0.0) -> Any:
    return Float(low, 10.0, description=description)


class GapArgs(Args):
    """The query arguments of every analysis request (and the params of a saved scenario)."""

    kind = Text(
        "Count only places of this kind, and site new ones of it",
        validate=DataChoice(_kinds, "place kind", "kinds"),
    )
    rung = Int(1, 6, description="Count only places supporting this cohesion ladder rung")
    p = Int(1, MAX_P, description="How many new places to suggest")
    radius = Float(
        25, 5000, description="Walking distance of a new place in metres (default: the kind's)"
    )
    candidates = Text(
        "Where new places may go: grid, proposals or layer:<id>",
        validate=[
            validate.Regexp(
                r"^(grid|proposals|layer:[0-9]{1,9})$",
                error="must be grid, proposals or layer:<id>",
            ),
            # The layers that exist, so the document lists real choices.
            DataChoice(_candidate_sources),
        ],
    )
    area = Text("Only demand and candidates inside this area (code)")
    level = Text(
        "Level at which coverage is reported", validate=DataChoice(_levels, "level", "levels")
    )
    year = Int(1900, 2100, description="Cohesion year (default: the latest)")
    detour = Float(1.0, 3.0, description="Walking detour factor over the straight line")
    window = Text(
        "Opening-hours window: places open less than half of it do not count "
        "(weekday_afternoons, evenings, weekend, week; default: every place counts)",
        validate=validate.OneOf(list(WINDOWS), error="must be one of " + ", ".join(WINDOWS)),
    )
    catchment = Text(
        "How walking distance is measured: straight (straight line x detour, the "
        "default) or network (along the stored walking network, where there is one)",
        validate=validate.OneOf(
            ["straight", "network"], error="catchment must be straight or network"
        ),
    )
    exact = Text(
        "Also prove the optimum with the MILP (HiGHS); always a background job",
        validate=validate.OneOf(["true", "false", "1", "0"], error="exact must be true or false"),
    )
    planned = Text(
        "1: count planned places and those under construction as if built",
        validate=validate.OneOf(["0", "1"], error="planned must be 0 or 1"),
    )
    w_cohesion = _weight("Weight of low cohesion in the need")
    w_income = _weight("Weight of minimum incomes in the need")
    w_lonely = _weight("Weight of loneliness in the need")
    w_65plus = _weight("Weight of residents aged 65+ in the need")
    target = _weight("Cohesion score aimed for", low=2.0)
    floor = _weight("Least need of any resident")


GAP_ARGS = GapArgs()
# argument -> GapParams field
PLAIN_ARGS = {
    "kind": "kind",
    "rung": "rung",
    "p": "p",
    "radius": "radius_m",
    "candidates": "candidates",
    "area": "area",
    "level": "level",
    "year": "year",
    "detour": "detour",
    "window": "window",
    "catchment": "catchment",
}
