"""Saved scenarios: a parameter set with its result, and the comparison of two."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from placemaker.errors import InvalidInput, NotFound
from placemaker.extensions import db, get_by_id
from placemaker.gaps.model import data_version
from placemaker.gaps.models import GapScenario
from placemaker.gaps.params import GapParams
from placemaker.gaps.results import coverage, suggestions


def save_scenario(
    name: str, params: GapParams, user_id: int | None, description: str | None = None
) -> GapScenario:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("a scenario needs a name")
    if len(name) > 200:
        raise InvalidInput("a scenario name has at most 200 characters")
    result = {"coverage": coverage(params), "suggestions": suggestions(params)}
    scenario = GapScenario(
        name=name,
        description=description,
        params=params.as_json(),
        result=result,
        data_version=data_version(),
        created_by=user_id,
    )
    db.session.add(scenario)
    db.session.flush()
    return scenario


def get_scenario(scenario_id: int) -> GapScenario:
    scenario = get_by_id(GapScenario, scenario_id)
    if scenario is None:
        raise NotFound(f"scenario {scenario_id} does not exist")
    return scenario


def list_scenarios() -> list[GapScenario]:
    return list(db.session.scalars(select(GapScenario).order_by(GapScenario.id.desc())))


def compare_scenarios(a: GapScenario, b: GapScenario) -> dict[str, Any]:
    """Coverage per area once each scenario's suggested sites exist: a against b."""
    before = {r["code"]: r for r in a.result["suggestions"]["areas_after"]}
    after = {r["code"]: r for r in b.result["suggestions"]["areas_after"]}
    rows = []
    for code in sorted(set(before) | set(after)):
        x, y = before.get(code, {}), after.get(code, {})
        ref = y or x

        def diff(key: str, x=x, y=y) -> float | None:
            if x.get(key) is None or y.get(key) is None:
                return None
            return round(y[key] - x[key], 4)

        rows.append(
            {
                "code": code,
                "name": ref.get("name"),
                "level": ref.get("level"),
                "population": ref.get("population"),
                "population_share_a": x.get("population_share"),
                "population_share_b": y.get("population_share"),
                "population_share_change": diff("population_share"),
                "weight_share_a": x.get("weight_share"),
                "weight_share_b": y.get("weight_share"),
                "weight_share_change": diff("weight_share"),
            }
        )
    return {
        "a": {"id": a.id, "name": a.name, "params": a.params},
        "b": {"id": b.id, "name": b.name, "params": b.params},
        "new_residents_reached_a": a.result["suggestions"]["new_residents_reached"],
        "new_residents_reached_b": b.result["suggestions"]["new_residents_reached"],
        # scenarios saved before answers were certified have none
        "certificate_a": a.result["suggestions"].get("certificate"),
        "certificate_b": b.result["suggestions"].get("certificate"),
        "warnings": differences(a, b),
        "areas": rows,
    }


# What makes two answers different questions rather than two answers to one: a bench-only
# scenario against an all-kinds one shows large losses that are no loss at all.
COMPARABLE = {
    "kind": "the kind of place differs ({a} against {b}): coverage counts different places",
    "radius_m": "the walking distance of a new site differs ({a} m against {b} m)",
    "catchment": "the catchment model differs ({a} against {b})",
}


def _setting(scenario: GapScenario, field: str) -> Any:
    params, result = scenario.params or {}, scenario.result["suggestions"]
    if field == "kind":
        return params.get("kind") or "all kinds"
    if field == "radius_m":  # the distance the analysis used, also when the kind set it
        radius = result.get("radius_m") or params.get("radius_m")
        return round(float(radius)) if radius is not None else None
    return params.get("catchment") or "straight"


def differences(a: GapScenario, b: GapScenario) -> list[dict[str, Any]]:
    """The settings in which two scenarios differ so that their comparison misleads."""
    out = []
    for field, message in COMPARABLE.items():
        x, y = _setting(a, field), _setting(b, field)
        if x != y:
            out.append({"field": field, "a": x, "b": y, "message": message.format(a=x, b=y)})
    return out
