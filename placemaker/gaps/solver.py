"""Maximal covering location with existing places kept.

Choose ``p`` candidate sites that together newly cover the most weighted need; demand
already served by existing places counts zero. The search runs on a reduced copy of the
problem (see :class:`MCLPProblem`) and has three stages:

1. greedy with lazy evaluation (CELF): gains only shrink as sites are added, so a stale
   gain is an upper bound and most candidates are never re-evaluated;
2. best-improvement one-for-one swaps, with the bookkeeping done as sparse products:
   per cell the number of chosen sites covering it, per chosen site its *loss* (the
   weight only it covers), and per (candidate, chosen site) the weight the candidate
   would take over from that site;
3. iterated local search: remove a few chosen sites (neighbours of one another, because
   sites interact only where catchments overlap), refill with a randomised greedy step,
   swap to a local optimum, and keep the result if it is no worse. A seeded
   ``numpy.random.Generator`` drives it and the search is bounded by work (rounds, and
   rounds without improvement), so the same problem and seed give the same answer on any
   machine under any load. A ``time_limit`` is only a safety net; when it cuts the search
   short the result says so (``time_limit_hit``), because that answer depends on timing.

Given an upper bound (see :mod:`placemaker.gaps.bounds`), the search stops as soon as
its best value reaches it: the answer is then proven optimal.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

__all__ = [
    "MCLPProblem",
    "MCLPResult",
    "evaluate_sites",
    "greedy",
    "greedy_swap",
    "sites_result",
    "solve_mclp",
]

# Improvements smaller than this share of the total weight are float noise; ignoring them
# keeps the local search from cycling between equal solutions.
_REL_TOL = 1e-10


def _row_hashes(matrix: sparse.csr_matrix, seed: int) -> np.ndarray:
    """Two 64-bit hashes + length per row, equal for rows with the same index set."""
    rng = np.random.default_rng(seed)
    n_rows = matrix.shape[0]
    keys = np.zeros((n_rows, 3), dtype=np.uint64)
    lengths = np.diff(matrix.indptr)
    keys[:, 2] = lengths
    nonempty = lengths > 0
    if matrix.nnz:
        starts = matrix.indptr[:-1][nonempty]
        for col in (0, 1):
            r = rng.integers(0, 2**63, size=matrix.shape[1], dtype=np.uint64) * np.uint64(2) + 1
            # uint64 arithmetic wraps silently, which is what a hash wants
            keys[nonempty, col] = np.add.reduceat(r[matrix.indices], starts)
    return keys


@dataclass
class MCLPProblem:
    """A covering problem: which candidate covers which cell, and what a cell is worth.

    Build with :meth:`from_coverage`. The solver works on a reduced copy: cells already
    covered or worth nothing are dropped, cells covered by exactly the same candidates
    are merged into one, and duplicate candidates (same catchment) are represented by
    the lowest index. None of this changes the optimum.
    """

    cover: sparse.csr_matrix
    weight: np.ndarray
    population: np.ndarray
    covered: np.ndarray
    # reduced problem
    matrix: sparse.csr_matrix = field(repr=False)
    matrix_t: sparse.csr_matrix = field(repr=False)
    red_weight: np.ndarray = field(repr=False)
    #: original candidate index of every reduced row (ascending)
    candidates: np.ndarray = field(repr=False)

    @property
    def n_candidates(self) -> int:
        return int(self.cover.shape[0])

    @property
    def n_cells(self) -> int:
        return int(self.cover.shape[1])

    @classmethod
    def from_coverage(
        cls,
        cover: sparse.spmatrix,
        weight: np.ndarray,
        population: np.ndarray | None = None,
        covered: np.ndarray | None = None,
    ) -> MCLPProblem:
        """Problem from a ``candidates x cells`` coverage matrix and cell weights.

        :param covered: mask of cells already served by existing places (count zero).
        :raises ValueError: on mismatched shapes or negative/non-finite weights.
        """
        cover = sparse.csr_matrix(cover)
        n_cand, n_cells = cover.shape
        weight = np.asarray(weight, dtype=float)
        population = np.asarray(weight if population is None else population, dtype=float)
        covered = np.zeros(n_cells, dtype=bool) if covered is None else np.asarray(covered, bool)
        for name, arr in (("weight", weight), ("population", population), ("covered", covered)):
            if arr.shape != (n_cells,):
                raise ValueError(f"{name} must have one entry per cell ({n_cells})")
        if not np.all(np.isfinite(weight)) or np.any(weight < 0):
            raise ValueError("weights must be finite and >= 0")

        cover.eliminate_zeros()
        free = (weight > 0) & ~covered
        csc = cover.tocsc()[:, np.flatnonzero(free)]
        csc.sort_indices()
        w_free = weight[free]
        reached = np.diff(csc.indptr) > 0
        csc = csc[:, np.flatnonzero(reached)]
        w_free = w_free[reached]

        # Merge cells with identical candidate sets: one column, summed weight.
        col_keys = _row_hashes(sparse.csr_matrix(csc.T), seed=12345)
        red_w: np.ndarray
        if len(w_free):
            _, first, inverse = np.unique(col_keys, axis=0, return_index=True, return_inverse=True)
            inverse = inverse.ravel()
            red_w = np.bincount(inverse, weights=w_free, minlength=len(first))
            csc = csc[:, first]
        else:
            red_w = np.zeros(0)
        mat = sparse.csr_matrix(csc)
        mat.sort_indices()

        # Drop candidates that reach nothing; keep the lowest index of duplicates.
        row_keys = _row_hashes(mat, seed=54321)
        useful = np.flatnonzero(np.diff(mat.indptr) > 0)
        if len(useful):
            _, first_row = np.unique(row_keys[useful], axis=0, return_index=True)
            keep = np.sort(useful[first_row])
        else:
            keep = np.zeros(0, dtype=np.int64)
        mat = mat[keep]
        mat = sparse.csr_matrix(
            (np.ones(mat.nnz), mat.indices.astype(np.int32), mat.indptr.astype(np.int64)),
            shape=mat.shape,
        )
        return cls(
            cover=cover,
            weight=weight,
            population=population,
            covered=covered,
            matrix=mat,
            matrix_t=sparse.csr_matrix(mat.T),
            red_weight=red_w,
            candidates=keep.astype(np.int64),
        )


@dataclass(frozen=True)
class MCLPResult:
    """Chosen sites and why.

    ``selected`` are original candidate indices in order of choice (each next site is the
    one adding most to those before it), with ``gains`` the weight each adds at its turn.
    ``exclusive`` is the weight only that site covers among the chosen ones;
    ``alternatives[k]`` is the best candidate not chosen that could replace site ``k``
    and ``alternative_gains[k]`` the weight it would cover in its place (``None``/0 when
    there is none). Compare with ``exclusive[k]`` to see how close the call was.
    """

    selected: tuple[int, ...]
    gains: tuple[float, ...]
    population_gains: tuple[float, ...]
    covered_weight: float
    covered_population: float
    exclusive: tuple[float, ...]
    alternatives: tuple[int | None, ...]
    alternative_gains: tuple[float, ...]
    requested_p: int
    method: str
    note: str = ""
    iterations: int = 0
    seconds: float = 0.0
    #: why the search ended: "gap closed" (reached the bound), "rounds" (its work
    #: budget), "no improvement" (max_stale rounds without progress) or "time limit"
    stopped: str = "rounds"
    time_limit_hit: bool = False


# --------------------------------------------------------------------------- internals


class _State:
    """Chosen set plus per-cell bookkeeping on the reduced problem.

    ``cnt[j]`` counts chosen sites covering cell ``j``; ``owner_sum[j]`` sums their
    indices, which for a cell covered once *is* the covering site.
    """

    def __init__(self, problem: MCLPProblem) -> None:
        self.a = problem.matrix
        self.at = problem.matrix_t
        self.w = problem.red_weight
        n, m = self.a.shape
        self.cnt = np.zeros(m, dtype=np.int32)
        self.owner_sum = np.zeros(m, dtype=np.int64)
        self.sel: list[int] = []
        self.is_sel = np.zeros(n, dtype=bool)

    def cells(self, i: int) -> np.ndarray:
        return self.a.indices[self.a.indptr[i] : self.a.indptr[i + 1]]

    def _drop(self, i: int) -> None:
        cells = self.cells(i)
        self.cnt[cells] -= 1
        self.owner_sum[cells] -= i
        self.is_sel[i] = False

    def add(self, i: int) -> None:
        cells = self.cells(i)
        self.cnt[cells] += 1
        self.owner_sum[cells] += i
        self.sel.append(i)
        self.is_sel[i] = True

    def replace(self, pos: int, i: int) -> None:
        self._drop(self.sel[pos])
        cells = self.cells(i)
        self.cnt[cells] += 1
        self.owner_sum[cells] += i
        self.sel[pos] = i
        self.is_sel[i] = True

    def remove_positions(self, positions: list[int]) -> None:
        for pos in sorted(positions, reverse=True):
            self._drop(self.sel.pop(pos))

    def value(self) -> float:
        return float(self.w[self.cnt > 0].sum())

    def gains(self) -> np.ndarray:
        return self.a @ (self.w * (self.cnt == 0))

    def copy_from(self, sel: list[int]) -> None:
        self.cnt[:] = 0
        self.owner_sum[:] = 0
        self.is_sel[:] = False
        self.sel = []
        for i in sel:
            self.add(i)

    def swap_table(self) -> tuple[np.ndarray, np.ndarray, sparse.coo_matrix]:
        """Gains of all candidates, losses of chosen sites and the takeover matrix.

        ``takeover[k, i]`` is the weight covered only by the chosen site at position
        ``k`` that candidate ``i`` also covers; swapping ``k`` out for ``i`` changes the
        objective by ``gain[i] + takeover[k, i] - loss[k]``. The product runs over the
        once-covered cells only, so it costs far less than a pass over the whole matrix.
        """
        k = len(self.sel)
        gain = self.gains()
        cells = np.flatnonzero(self.cnt == 1)
        position = np.zeros(self.a.shape[0], dtype=np.int64)
        position[self.sel] = np.arange(k)
        owner = position[self.owner_sum[cells]]
        loss = np.bincount(owner, weights=self.w[cells], minlength=k)
        m_t = sparse.csr_matrix((self.w[cells], (owner, cells)), shape=(k, self.a.shape[1]))
        takeover = (m_t @ self.at).tocoo()
        return gain, loss, takeover


def _best_swap(state: _State, tol: float) -> tuple[float, int, int]:
    """Best one-for-one swap ``(delta, position, candidate)``; delta <= tol if none."""
    gain, loss, take = state.swap_table()
    gain = np.where(state.is_sel, -np.inf, gain)
    i_top = int(np.argmax(gain))
    k_min = int(np.argmin(loss))
    best = (float(gain[i_top] - loss[k_min]), k_min, i_top)
    if take.nnz:
        delta = gain[take.col] + take.data - loss[take.row]
        e = int(np.argmax(delta))
        if delta[e] > best[0]:
            best = (float(delta[e]), int(take.row[e]), int(take.col[e]))
    return best if best[0] > tol else (0.0, -1, -1)


def _local_search(state: _State, tol: float, max_swaps: int = 10_000) -> int:
    """Apply best-improvement swaps until none improves; returns the number of swaps."""
    if not state.sel:
        return 0
    for n in range(max_swaps):
        delta, pos, cand = _best_swap(state, tol)
        if pos < 0:
            return n
        state.replace(pos, cand)
    return max_swaps


def _greedy_fill(state: _State, p: int) -> None:
    """Exact greedy up to ``p`` sites, lazy (CELF) evaluation, lowest index on ties.

    Stops early when no candidate adds weight.
    """
    a, w, cnt = state.a, state.w, state.cnt
    gain = np.where(state.is_sel, 0.0, state.gains())
    heap = [(-float(gain[i]), int(i)) for i in np.flatnonzero(gain > 0)]
    heapq.heapify(heap)
    fresh_at = np.full(a.shape[0], len(state.sel), dtype=np.int64)
    while len(state.sel) < p and heap:
        _, i = heapq.heappop(heap)
        if fresh_at[i] == len(state.sel):
            state.add(i)
            continue
        cells = state.cells(i)
        g = float(w[cells][cnt[cells] == 0].sum())
        fresh_at[i] = len(state.sel)
        if g > 0:
            heapq.heappush(heap, (-g, i))


def _refill(
    state: _State, p: int, rng: np.random.Generator, alpha: float, random_steps: int
) -> None:
    """Add sites back after a perturbation, keeping gains up to date incrementally.

    The first ``random_steps`` additions pick at random among candidates whose gain is
    at least ``alpha`` x the best gain (diversification); the rest are plain greedy.
    Only few sites are added, so updating gains through the cells that became covered
    is much cheaper than a fresh heap over all candidates.
    """
    at, w = state.at, state.w
    gain = np.where(state.is_sel, 0.0, state.gains())
    step = 0
    while len(state.sel) < p:
        top = gain.max(initial=0.0)
        if top <= 0:
            return
        if step < random_steps:
            pool = np.flatnonzero(gain >= alpha * top)
            i = int(pool[rng.integers(len(pool))])
        else:
            i = int(np.argmax(gain))
        cells = state.cells(i)
        new = cells[state.cnt[cells] == 0]
        state.add(i)
        gain[i] = 0.0
        if len(new):
            rows = at[new]
            np.subtract.at(gain, rows.indices, np.repeat(w[new], np.diff(rows.indptr)))
        step += 1


def _neighbours_perturbation(state: _State, rng: np.random.Generator, size: int) -> list[int]:
    """Positions of one random chosen site and the chosen sites nearest to it.

    "Near" = sharing candidates that reach both catchments: a two-hop walk through the
    coverage matrix (site -> cells -> candidates -> cells -> chosen sites). Falls back to
    random positions when the site has no chosen neighbours.
    """
    k = len(state.sel)
    start = int(rng.integers(k))
    picked = [start]
    cells = state.cells(state.sel[start])
    # candidates reaching this catchment, then every cell they reach
    cand = np.unique(state.at[cells].indices)
    near_cells = np.unique(state.a[cand].indices)
    pos_of = {s: n for n, s in enumerate(state.sel)}
    near_sites = np.unique(state.at[near_cells].indices)
    near = [pos_of[s] for s in near_sites.tolist() if s in pos_of and pos_of[s] != start]
    rng.shuffle(near)
    picked += near[: size - 1]
    if len(picked) < size:
        others = [n for n in rng.permutation(k).tolist() if n not in picked]
        picked += others[: size - len(picked)]
    return picked


def _ils(
    state: _State,
    p: int,
    rng: np.random.Generator,
    tol: float,
    max_rounds: int,
    time_limit: float | None,
    started: float,
    bound: float | None = None,
    max_stale: int | None = None,
) -> tuple[int, str]:
    """Iterated local search from the current (locally optimal) state; keeps the best.

    :returns: rounds run and why it stopped (see :attr:`MCLPResult.stopped`).
    """
    k = len(state.sel)
    if k == 0 or k < p:
        # fewer sites than allowed means every reachable cell is already covered
        return 0, "gap closed"
    best_sel = list(state.sel)
    best_val = current_val = state.value()
    current = list(best_sel)
    rounds = 0
    stale = 0
    stopped = "rounds"
    while rounds < max_rounds:
        if bound is not None and best_val >= bound - tol:
            stopped = "gap closed"
            break
        if max_stale is not None and stale >= max_stale:
            stopped = "no improvement"
            break
        if time_limit is not None and time.perf_counter() - started > time_limit:
            stopped = "time limit"
            break
        rounds += 1
        size = int(rng.integers(2, max(3, min(k, 6) + 1)))
        positions = _neighbours_perturbation(state, rng, min(size, k))
        state.remove_positions(positions)
        _refill(
            state, p, rng, alpha=float(rng.uniform(0.5, 1.0)), random_steps=len(positions) // 2 + 1
        )
        _local_search(state, tol)
        val = state.value()
        if val > best_val + tol:
            best_val, best_sel = val, list(state.sel)
            stale = 0
        else:
            stale += 1
        if val >= current_val - tol:
            current_val, current = val, list(state.sel)
        elif stale > 0 and stale % 25 == 0:
            # long without progress: restart from the best known solution
            current_val, current = best_val, list(best_sel)
            state.copy_from(current)
        else:
            state.copy_from(current)
    else:
        if bound is not None and best_val >= bound - tol:
            stopped = "gap closed"
    state.copy_from(best_sel)
    return rounds, stopped


def _finish(
    problem: MCLPProblem,
    state: _State,
    p: int,
    method: str,
    iterations: int,
    started: float,
    stopped: str = "rounds",
) -> MCLPResult:
    """Order the chosen sites greedily and compute gains and alternatives."""
    chosen = list(state.sel)
    # order of choice: replay greedy on the chosen set only
    ordered: list[int] = []
    gains: list[float] = []
    replay = _State(problem)
    remaining = list(chosen)
    while remaining:
        vals = [float(replay.w[c][replay.cnt[c] == 0].sum()) for c in map(replay.cells, remaining)]
        j = max(range(len(remaining)), key=lambda n: (vals[n], -remaining[n]))
        if vals[j] <= 0:
            break  # the rest adds nothing (all reachable demand is covered)
        ordered.append(remaining.pop(j))
        gains.append(vals[j])
        replay.add(ordered[-1])

    exclusive: list[float] = []
    alternatives: list[int | None] = []
    alt_gains: list[float] = []
    if ordered:
        state.copy_from(ordered)
        gain, loss, take = state.swap_table()
        gain = np.where(state.is_sel, -np.inf, gain)
        n_cand = len(gain)
        for pos in range(len(ordered)):
            best_i, best_v = -1, 0.0
            if n_cand > len(ordered):
                cand_val = gain.copy()
                mask = take.row == pos
                np.add.at(cand_val, take.col[mask], take.data[mask])
                best_i = int(np.argmax(cand_val))
                best_v = float(cand_val[best_i])
            exclusive.append(float(loss[pos]))
            if best_i >= 0 and best_v > 0:
                alternatives.append(int(problem.candidates[best_i]))
                alt_gains.append(best_v)
            else:
                alternatives.append(None)
                alt_gains.append(0.0)

    selected = [int(problem.candidates[i]) for i in ordered]
    pop_gains, total_w, total_pop = _population_gains(problem, selected)
    notes = []
    if len(selected) < p:
        n = len(selected)
        notes.append(
            f"only {n} of the requested {p} sites add anything: "
            + (
                "no candidate reaches uncovered demand"
                if n == 0
                else "together they already cover all demand the candidates can reach"
            )
        )
    return MCLPResult(
        selected=tuple(selected),
        gains=tuple(gains),
        population_gains=tuple(pop_gains),
        covered_weight=total_w,
        covered_population=total_pop,
        exclusive=tuple(exclusive),
        alternatives=tuple(alternatives),
        alternative_gains=tuple(alt_gains),
        requested_p=p,
        method=method,
        note="; ".join(notes),
        iterations=iterations,
        seconds=time.perf_counter() - started,
        stopped=stopped,
        time_limit_hit=stopped == "time limit",
    )


def _population_gains(
    problem: MCLPProblem, selected: list[int]
) -> tuple[list[float], float, float]:
    """Population newly covered by each site in order, from the *original* matrix."""
    taken = problem.covered.copy()
    pops = []
    for s in selected:
        cells = problem.cover.indices[problem.cover.indptr[s] : problem.cover.indptr[s + 1]]
        new = cells[~taken[cells]]
        pops.append(float(problem.population[new].sum()))
        taken[new] = True
    newly = taken & ~problem.covered
    return pops, float(problem.weight[newly].sum()), float(problem.population[newly].sum())


def evaluate_sites(problem: MCLPProblem, selected: list[int] | np.ndarray) -> tuple[float, float]:
    """Newly covered ``(weight, population)`` of any set of candidate indices.

    Computed from the original coverage matrix, so it is an independent check of any
    solver's answer.
    """
    idx = np.unique(np.asarray(selected, dtype=np.int64))
    if len(idx) and (idx.min() < 0 or idx.max() >= problem.n_candidates):
        raise IndexError("candidate index out of range")
    mask = np.zeros(problem.n_cells, dtype=bool)
    sub = problem.cover[idx]
    mask[sub.indices] = True
    mask &= ~problem.covered
    return float(problem.weight[mask].sum()), float(problem.population[mask].sum())


def _check_p(p: int) -> int:
    if isinstance(p, bool) or int(p) != p or p < 0:
        raise ValueError(f"p must be a non-negative integer, got {p!r}")
    return int(p)


def greedy(problem: MCLPProblem, p: int) -> MCLPResult:
    """Plain greedy (lazy evaluation): a baseline, about 97-99 % of the optimum."""
    p = _check_p(p)
    started = time.perf_counter()
    state = _State(problem)
    _greedy_fill(state, p)
    return _finish(problem, state, p, "greedy", 0, started)


def greedy_swap(problem: MCLPProblem, p: int) -> MCLPResult:
    """Greedy followed by best-improvement one-for-one swaps: the second baseline."""
    p = _check_p(p)
    started = time.perf_counter()
    state = _State(problem)
    _greedy_fill(state, p)
    tol = _REL_TOL * float(problem.red_weight.sum())
    swaps = _local_search(state, tol)
    return _finish(problem, state, p, "greedy+swap", swaps, started)


def solve_mclp(
    problem: MCLPProblem,
    p: int,
    *,
    seed: int = 0,
    max_rounds: int = 300,
    time_limit: float | None = None,
    bound: float | None = None,
    max_stale: int | None = None,
) -> MCLPResult:
    """Choose up to ``p`` sites maximising newly covered weighted need.

    Greedy (CELF), then swaps, then up to ``max_rounds`` rounds of iterated local search,
    ending earlier once the best value reaches ``bound`` (a proven upper bound: nothing
    better exists) or after ``max_stale`` rounds without improvement. Deterministic for a
    given ``seed``: the work, not the clock, decides when to stop. ``time_limit`` seconds
    are a safety net only; ``time_limit_hit`` in the result says when it was reached.
    Never returns a site that adds nothing, so fewer than ``p`` sites come back when fewer
    are useful (see ``note``).
    """
    p = _check_p(p)
    started = time.perf_counter()
    state = _State(problem)
    _greedy_fill(state, p)
    tol = _REL_TOL * float(problem.red_weight.sum())
    _local_search(state, tol)
    rng = np.random.default_rng(seed)
    rounds, stopped = _ils(
        state, p, rng, tol, max_rounds, time_limit, started, bound=bound, max_stale=max_stale
    )
    return _finish(problem, state, p, "ils", rounds, started, stopped)


def sites_result(
    problem: MCLPProblem, p: int, selected: list[int], method: str, stopped: str = "rounds"
) -> MCLPResult:
    """The full result (order, gains, alternatives) for sites chosen elsewhere, e.g. the MILP.

    :param selected: original candidate indices among the reduced problem's candidates.
    """
    started = time.perf_counter()
    position = {int(c): r for r, c in enumerate(problem.candidates)}
    state = _State(problem)
    for c in selected:
        if int(c) in position:
            state.add(position[int(c)])
    return _finish(problem, state, p, method, 0, started, stopped)
