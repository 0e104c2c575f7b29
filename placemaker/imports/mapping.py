"""Field mappings for value files: numbers, derived values, units, repeated keys, multi-codes.

A :class:`ValueSpec` says how one target value (an indicator, a cohesion score) comes out
of a row: a column, or an expression over columns (``a_65_oo / a_inw``), its unit
(``percent``, ``fraction``, ``count`` or ``number``) and which cells mean "unknown".
:func:`combine` applies the repeated-key policy (``error`` unless a mapping says
``sum``, ``mean``, ``max`` or ``first``); :func:`split_codes` splits a row naming several
area codes (``BU05991578;BU05991570``) by a weight, or refuses it with its line number.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from placemaker.imports.common import ImportFailed, ImportReport

# What CBS, municipalities and R write for "unknown": "." (CBS), -99997/-99995 (CBS grid,
# suppressed or secret), "x", "NA", and the empty cell.
DEFAULT_MISSING = ("", ".", "x", "X", "NA", "-", "-99997", "-99995", "-99996", "-99998")
UNITS = ("percent", "fraction", "count", "number")
DUPLICATE_POLICIES = ("error", "sum", "mean", "max", "first")
SPLIT_POLICIES = ("error", "population", "land_area", "equal")

_OPERATORS: dict[type, Callable[[Decimal, Decimal], Decimal]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


class Missing(Exception):
    """A cell holds a missing-value marker: the value is unknown, not wrong."""


def parse_number(value: Any, missing: Sequence[str] = DEFAULT_MISSING) -> Decimal:
    """A number from a cell: numbers, numbers stored as text, decimal commas.

    :raises Missing: for a missing-value marker or an empty cell.
    :raises ValueError: for anything else that is not a number.
    """
    if value is None:
        raise Missing
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, (int, float, Decimal)):
        text = str(value)
    else:
        text = str(value).strip()
    if text in missing:
        raise Missing
    cleaned = text.replace(" ", "").replace("\u00a0", "")
    if "," in cleaned:
        if "." in cleaned and cleaned.rfind(",") < cleaned.rfind("."):
            cleaned = cleaned.replace(",", "")  # 1,234.5
        else:
            cleaned = cleaned.replace(".", "").replace(",", ".")  # 1.234,5 or 5,2
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{text!r} is not a number")
    if str(number) in missing:
        raise Missing
    return number


@dataclass(frozen=True)
class ValueSpec:
    """One target value from a row: ``expr`` is a column name or arithmetic over columns."""

    target: str
    expr: str
    unit: str | None = None
    missing: tuple[str, ...] = DEFAULT_MISSING

    def __post_init__(self) -> None:
        if self.unit is not None and self.unit not in UNITS:
            raise ImportFailed(
                f"{self.target}: unit must be one of {', '.join(UNITS)}, not {self.unit!r}"
            )

    def columns(self, available: Sequence[str]) -> list[str]:
        """The columns the expression reads (a plain column name may hold any characters)."""
        if self.expr in available:
            return [self.expr]
        try:
            tree = ast.parse(self.expr, mode="eval")
        except SyntaxError:
            return [self.expr]
        return sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)})

    def evaluate(self, row: Mapping[str, Any], available: Sequence[str]) -> Decimal:
        """The value for a row. :raises Missing:, :raises ValueError:."""
        if self.expr in available:
            return parse_number(row.get(self.expr), self.missing)
        tree = ast.parse(self.expr, mode="eval")
        return self._eval(tree.body, row)

    def _eval(self, node: ast.AST, row: Mapping[str, Any]) -> Decimal:
        if isinstance(node, ast.Name):
            try:
                return parse_number(row.get(node.id), self.missing)
            except ValueError as exc:
                raise ValueError(f"{node.id}: {exc}") from None
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return Decimal(str(node.value))
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            left, right = self._eval(node.left, row), self._eval(node.right, row)
            try:
                return _OPERATORS[type(node.op)](left, right)
            except (DivisionByZero, InvalidOperation):
                raise Missing from None  # 0 / 0: no residents, so no share
        raise ImportFailed(f"{self.target}: {self.expr!r} may use columns, numbers and + - * /")


def check_unit(
    spec: ValueSpec,
    values: list[tuple[str, Decimal]],
    report: ImportReport,
    stored_unit: str | None,
) -> Decimal:
    """Check values against the declared unit; return the factor to store them with.

    Shares are stored as percent (unit "%"): a fraction is multiplied by 100. A "percent"
    column whose values are all at most 1 looks like fractions and is refused.
    """
    unit = spec.unit or ("percent" if stored_unit == "%" else None)
    if unit == "fraction":
        for ref, value in values:
            if not 0 <= value <= 1:
                report.error(
                    ref,
                    f"{spec.expr}: {value} is not a fraction (0 to 1); "
                    'declare unit = "percent" if the values are percentages',
                )
                break
        return Decimal(100) if stored_unit == "%" else Decimal(1)
    if unit == "percent":
        for ref, value in values:
            if not 0 <= value <= 100:
                report.error(ref, f"{spec.expr}: {value} is not a percentage (0 to 100)")
                break
        else:
            if values and all(v <= 1 for _, v in values) and any(v > 0 for _, v in values):
                ref, value = next((r, v) for r, v in values if v > 0)
                report.error(
                    ref,
                    f"{spec.expr}: every value is at most 1 (e.g. {value}): "
                    "these look like fractions, not percentages; declare "
                    'unit = "fraction" or multiply by 100',
                )
        return Decimal(1)
    if unit == "count":
        for ref, value in values:
            if value < 0:
                report.error(ref, f"{spec.expr}: {value} is not a count (negative)")
                break
    return Decimal(1)


def combine(values: list[Decimal], policy: str) -> Decimal:
    if len(values) == 1:
        return values[0]
    if policy == "sum":
        return sum(values, Decimal(0))
    if policy == "mean":
        return sum(values, Decimal(0)) / len(values)
    if policy == "max":
        return max(values)
    if policy == "first":
        return values[0]
    raise ValueError(policy)


def check_policy(name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ImportFailed(f"{name} must be one of {', '.join(allowed)}, not {value!r}")


@dataclass
class Collected:
    """Values gathered per key, with the rows they came from (for repeated-key errors)."""

    policy: str = "error"
    values: dict[Any, list[tuple[str, Any]]] = field(default_factory=dict)

    def add(self, key: Any, ref: str, value: Any) -> None:
        self.values.setdefault(key, []).append((ref, value))

    def resolve(
        self,
        report: ImportReport,
        describe: Callable[[Any], str],
        merge: Callable[[list[Any], str], Any] = combine,
    ) -> dict[Any, Any]:
        """One value per key; a repeated key is an error unless the policy says otherwise."""
        out = {}
        for key, entries in self.values.items():
            if len(entries) > 1:
                if self.policy == "error":
                    refs = ", ".join(ref for ref, _ in entries)
                    report.error(
                        entries[-1][0],
                        f"{describe(key)} given {len(entries)} times "
                        f"({refs}); set on_duplicate = sum, mean, max or first",
                    )
                    continue
                report.note(describe(key), f"repeated key combined by {self.policy}")
            out[key] = merge([v for _, v in entries], self.policy)
        return out


def split_codes(key: str, separator: str | None) -> list[str]:
    if not separator or separator not in key:
        return [key]
    return [part.strip() for part in key.split(separator) if part.strip()]


def split_weights(
    codes: list[str], policy: str, weights: Mapping[str, float]
) -> list[float] | None:
    """Shares of a multi-code row per code, or None when a weight is unknown."""
    if policy == "equal":
        return [1 / len(codes)] * len(codes)
    known = [weights.get(code) for code in codes]
    if any(w is None for w in known) or not sum(known):  # type: ignore[arg-type]
        return None
    total = sum(known)  # type: ignore[arg-type]
    return [w / total for w in known]  # type: ignore[operator]
