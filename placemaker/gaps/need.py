"""Need multiplier per area: how much a covered resident there counts.

Formula
-------
For an area with (optional) indicators::

    score deficit   d_s = clip((target - cohesion_score) / (target - 1), 0, 1)
    ladder deficit  d_l = clip((assessed_rung - wanted_rung) / 5, 0, 1)
    cohesion deficit  D = max(d_s, d_l)

    relative excess of share k     e_k = clip(share_k / reference_k - 1, -1, excess_cap)
    vulnerability                  V   = b_income * e_income + b_lonely * e_lonely
                                         + b_65 * e_65

    need = max(floor, 1 + a * D + V)

and the weighted need of a grid cell is ``population x need``.

* The cohesion score is on a 1-10 scale (higher = more cohesion); ``target`` (default 7)
  is the level at which planners see no deficit, so a score of 1 gives ``d_s = 1``.
* Scores on other scales are put on that scale by their declared meaning
  (:func:`score_on_ten`): a source declares its range, its direction and, where it has
  one, its reference (the value that means "average": 100 on a 0-200 index, 0 for the
  Leefbaarometer's ``soc`` deviation). With a reference, the reference maps to ``target``
  (an average area has no deficit) and the deficit grows linearly to 1 at the worst end
  of the declared range: ``d_s = (reference - score) / (reference - worst)``. Without a
  reference (Amsterdam's BBGA 1-10) the range maps linearly onto 1-10. A source where
  lower is better is mirrored first. So BBGA 4.8 gives 0.37, a 0-200 index at 50 gives
  0.5 and ``soc`` = -0.2 on a declared range of -0.5 to 0.5 gives 0.4.
* The ladder has rungs 1..6, 1 = obligatory care, 6 = social tension. An assessed rung
  *above* (numerically greater than) the wanted rung is a deficit; five rungs is the
  largest possible gap, so ``d_l`` is on the same 0..1 scale as ``d_s``.
* ``D`` takes the larger of the two because both measure the same thing (how well
  neighbours look after each other); adding them would count one problem twice.
* Shares are fractions in 0..1 (residents on minimum income, severely lonely, aged 65+).
  Each is compared with a reference share (Dutch averages, rounded: 8 %, 12 %, 20 %), so
  an average area adds nothing, a share twice the reference adds ``b_k``, and an area
  with none of that group subtracts ``b_k``. ``excess_cap`` (default 2, i.e. three times
  the reference) stops one extreme, small-sample indicator from dominating.

Default weights and why:

* ``a = 1.0``: the cohesion deficit is what a meeting place is meant to repair, so the
  worst possible cohesion doubles a resident's weight.
* ``b_lonely = 0.35``: severe loneliness is the most direct target of everyday meeting
  places, so it is the heaviest vulnerability term.
* ``b_income = 0.25``: people on a minimum income depend on free, public places rather
  than cafes or clubs with a fee.
* ``b_65 = 0.15``: older residents walk shorter distances and rely more on what is nearby;
  weighted lowest because age alone says less about need than the other two.
* ``floor = 0.25``: nobody counts zero, so a well-off, cohesive area still ranks above an
  empty field.

Missing indicators (``None`` or NaN) are neutral: they contribute 0, exactly as an area at
the target cohesion and at the reference shares would. The ladder term needs both rungs;
with either missing it is 0. A missing indicator therefore never raises or lowers an
area's priority; pass a city-wide mean instead if you prefer imputation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["NeedWeights", "need_score", "score_on_ten"]


def score_on_ten(
    score: float,
    low: float,
    high: float,
    *,
    higher_is_better: bool = True,
    reference: float | None = None,
    target: float = 7.0,
) -> float:
    """A cohesion score on the formula's 1-10 scale, by its declared range and meaning."""
    if not higher_is_better:
        score = low + high - score
        reference = low + high - reference if reference is not None else None
    if reference is None or not low < reference < high:
        return 1 + 9 * (score - low) / (high - low)
    if score <= reference:
        return 1 + (target - 1) * (score - low) / (reference - low)
    return target + (10 - target) * (score - reference) / (high - reference)


@dataclass(frozen=True)
class NeedWeights:
    """Weights and reference values of :func:`need_score`; override per run."""

    cohesion: float = 1.0
    min_income: float = 0.25
    lonely: float = 0.35
    age_65plus: float = 0.15
    cohesion_target: float = 7.0
    min_income_reference: float = 0.08
    lonely_reference: float = 0.12
    age_65plus_reference: float = 0.20
    excess_cap: float = 2.0
    floor: float = 0.25

    def __post_init__(self) -> None:
        for name in ("cohesion", "min_income", "lonely", "age_65plus", "excess_cap", "floor"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"NeedWeights.{name} must be >= 0")
        for name in ("min_income_reference", "lonely_reference", "age_65plus_reference"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"NeedWeights.{name} must be a share in (0, 1]")
        if not 1 < self.cohesion_target <= 10:
            raise ValueError("NeedWeights.cohesion_target must be in (1, 10]")


def _arr(value: Any) -> np.ndarray:
    """Indicator as a float array; ``None`` becomes NaN (missing)."""
    if value is None:
        return np.asarray(np.nan)
    return np.asarray(value, dtype=float)


def _excess(share: Any, reference: float, cap: float) -> np.ndarray:
    s = _arr(share)
    e = np.clip(s / reference - 1.0, -1.0, cap)
    return np.where(np.isnan(s), 0.0, e)


def need_score(
    cohesion_score: Any = None,
    ladder_assessed: Any = None,
    ladder_wanted: Any = None,
    min_income_share: Any = None,
    lonely_share: Any = None,
    age_65plus_share: Any = None,
    weights: NeedWeights | None = None,
) -> np.ndarray | float:
    """Need multiplier (>= ``weights.floor``) from cohesion and vulnerability indicators.

    Accepts scalars or equally shaped arrays (broadcast); ``None``/NaN means missing and
    is neutral. Returns a float for scalar input, else an array. See the module docstring
    for the formula and the reasoning behind the default weights.
    """
    w = weights or NeedWeights()
    score = _arr(cohesion_score)
    d_score = np.clip((w.cohesion_target - score) / (w.cohesion_target - 1.0), 0.0, 1.0)
    d_score = np.where(np.isnan(score), 0.0, d_score)

    assessed = _arr(ladder_assessed)
    wanted = _arr(ladder_wanted)
    d_ladder = np.clip((assessed - wanted) / 5.0, 0.0, 1.0)
    d_ladder = np.where(np.isnan(assessed) | np.isnan(wanted), 0.0, d_ladder)

    deficit = np.maximum(d_score, d_ladder)
    vulnerability = (
        w.min_income * _excess(min_income_share, w.min_income_reference, w.excess_cap)
        + w.lonely * _excess(lonely_share, w.lonely_reference, w.excess_cap)
        + w.age_65plus * _excess(age_65plus_share, w.age_65plus_reference, w.excess_cap)
    )
    need = np.maximum(w.floor, 1.0 + w.cohesion * deficit + vulnerability)
    return float(need) if need.ndim == 0 else need
