"""Upper bounds on what any ``p`` sites could newly cover: the certificate of an answer.

Two bounds on the reduced problem (see :class:`~placemaker.gaps.solver.MCLPProblem`):

- :func:`lagrangian_bound` relaxes the covering constraints ``y_j <= sum_i a_ij x_i`` with
  multipliers ``u_j in [0, w_j]``; for any such ``u``::

      L(u) = sum_j (w_j - u_j) + (sum of the p largest candidate scores sum_j a_ij u_j)

  is an upper bound. Subgradient steps (each one sparse product) drive it down towards the
  LP value. Cheap, but it only approaches the LP bound.
- :func:`lp_bound` solves the LP relaxation with HiGHS (:func:`exact.lp_upper_bound`);
  the tightest bound of the two, and what the service uses (measured in
  benchmarks/README.md: on the Amsterdam demo the LP takes about as long as a few dozen
  subgradient steps and is tight where the subgradient method stalls).

:func:`certify` combines an answer's value with a bound into the figures the product shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placemaker.gaps.exact import lp_upper_bound, solve_exact
from placemaker.gaps.solver import MCLPProblem, MCLPResult, sites_result, solve_mclp

__all__ = ["Certificate", "certify", "lagrangian_bound", "lp_bound", "solve_certified"]

# A gap below this share of the bound is float noise: the answer is proven best.
PROVEN_GAP = 1e-9


@dataclass(frozen=True)
class Certificate:
    """How far an answer may lie below the best possible.

    ``upper_bound`` is proven: no ``p`` sites newly cover more weighted need. ``gap`` is
    ``(upper_bound - value) / upper_bound`` (0 for an empty problem).
    """

    value: float
    upper_bound: float
    gap: float
    method: str  # "lp" | "lagrangian" | "milp"

    @property
    def proven_best(self) -> bool:
        return self.gap <= PROVEN_GAP

    def as_json(self) -> dict[str, object]:
        return {
            "upper_bound": round(self.upper_bound, 2),
            "gap": round(self.gap, 6),
            "gap_percent": round(100 * self.gap, 2),
            "proven_best": self.proven_best,
            "bound_method": self.method,
        }


def certify(value: float, bound: float, method: str) -> Certificate:
    """The certificate of an answer worth ``value`` under an upper bound ``bound``."""
    bound = max(float(bound), float(value))
    gap = (bound - value) / bound if bound > 0 else 0.0
    return Certificate(float(value), bound, max(0.0, gap), method)


def lp_bound(problem: MCLPProblem, p: int, time_limit: float | None = 30.0) -> float:
    """LP relaxation value (HiGHS); the total reachable weight if the LP does not finish."""
    return float(lp_upper_bound(problem, p, time_limit=time_limit).bound)


def lagrangian_bound(
    problem: MCLPProblem, p: int, iterations: int = 200, target: float | None = None
) -> float:
    """Best Lagrangian bound found by ``iterations`` subgradient steps (Polyak step size).

    :param target: a known feasible value (e.g. the heuristic's); sets the step size and
        stops early when the bound reaches it.
    """
    a, w = problem.matrix, problem.red_weight
    n, m = a.shape
    total = float(w.sum())
    if n == 0 or m == 0 or p == 0:
        return 0.0
    if p >= n:
        return total
    target = 0.0 if target is None else float(target)
    u = w * 0.5
    best = total
    step_scale = 2.0
    stale = 0
    for _ in range(iterations):
        score = a @ u
        top = np.argpartition(-score, p - 1)[:p]
        value = float((w - u).sum() + score[top].sum())
        if value < best - 1e-12 * total:
            best, stale = value, 0
        else:
            stale += 1
            if stale >= 10:
                step_scale, stale = step_scale / 2, 0
        if best <= target * (1 + PROVEN_GAP) or step_scale < 1e-4:
            break
        # subgradient of L at u: -1 + (times cell j is covered by the top-p candidates)
        x = np.zeros(n)
        x[top] = 1.0
        sub = a.T @ x - 1.0
        norm = float(sub @ sub)
        if norm == 0:
            break
        u = np.clip(u - step_scale * (value - target) / norm * sub, 0.0, w)
    return best


def solve_certified(
    problem: MCLPProblem,
    p: int,
    *,
    seed: int = 0,
    max_rounds: int = 300,
    max_stale: int | None = 150,
    time_limit: float | None = None,
    bound: float | None = None,
    exact: bool = False,
    exact_time_limit: float | None = 300.0,
) -> tuple[MCLPResult, Certificate]:
    """The heuristic's answer with its certificate; the search stops once the gap closes.

    :param bound: a known upper bound for this problem and ``p`` (e.g. cached); computed
        with the LP relaxation when None.
    :param exact: also run the MILP (HiGHS), seeded with the heuristic's answer; its sites
        replace the heuristic's when better, and its dual bound tightens the certificate.
    """
    method = "lp"
    if bound is None:
        bound = lp_bound(problem, p)
    result = solve_mclp(
        problem,
        p,
        seed=seed,
        max_rounds=max_rounds,
        max_stale=max_stale,
        time_limit=time_limit,
        bound=bound,
    )
    if exact and not certify(result.covered_weight, bound, method).proven_best:
        found = solve_exact(problem, p, time_limit=exact_time_limit, start=list(result.selected))
        if found.bound < bound:
            bound, method = found.bound, "milp"
        if found.objective > result.covered_weight + PROVEN_GAP * bound:
            result = sites_result(problem, p, list(found.selected), "milp", stopped=result.stopped)
    return result, certify(result.covered_weight, bound, method)


def search_report(result: MCLPResult) -> dict[str, object]:
    """How the search ended, for the answer: the work done and whether time cut it short."""
    return {
        "rounds": result.iterations,
        "stopped": result.stopped,
        "time_limit_hit": result.time_limit_hit,
    }
