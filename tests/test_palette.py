"""The cohesion choropleth's colours: every class ≥ 3:1 against the base map as drawn."""

from __future__ import annotations

import math

import pytest

from placemaker import maps


def test_contrast_ratio_matches_wcag_reference_values():
    assert maps.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert maps.contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert maps.contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert maps.blend("#000000", "#ffffff", 0.5) == "#808080"


def _drawn(color: str) -> str:
    return maps.blend(color, maps.BASE_MAP, maps.SCORE_FILL_OPACITY)


def _lab(color: str) -> tuple[float, float, float]:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(color[i : i + 2], 16) / 255) for i in (1, 3, 5))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


# What the comment in placemaker/maps.py promises, class by class.
DOCUMENTED = [
    ("#4b2463", 10.57, 12.13),
    ("#8d3e8b", 5.73, 6.57),
    ("#c93870", 4.27, 4.90),
    ("#bc6523", 3.64, 4.18),
    ("#758623", 3.53, 4.05),
]


def test_every_class_stands_out_from_the_base_map_and_from_the_outline():
    assert len(maps.SCORE_PALETTE) == 5
    for fill, (drawn, vs_base, vs_outline) in zip(maps.SCORE_PALETTE, DOCUMENTED, strict=True):
        assert _drawn(fill) == drawn
        assert maps.contrast_ratio(drawn, maps.BASE_MAP) == pytest.approx(vs_base, abs=0.01)
        assert maps.contrast_ratio(drawn, maps.AREA_OUTLINE) == pytest.approx(vs_outline, abs=0.01)
        assert maps.contrast_ratio(drawn, maps.BASE_MAP) >= 3.0
        assert maps.contrast_ratio(drawn, maps.AREA_OUTLINE) >= 3.0


def test_neighbouring_classes_differ_clearly_and_darkest_is_lowest_cohesion():
    drawn = [_drawn(c) for c in maps.SCORE_PALETTE]
    for a, b in zip(drawn, drawn[1:], strict=False):
        assert math.dist(_lab(a), _lab(b)) >= 20
    luminance = [maps.relative_luminance(c) for c in drawn]
    assert luminance[0] == min(luminance)


def test_the_old_palette_would_fail():
    old_lowest = "#f0f9e8"
    assert maps.contrast_ratio(maps.blend(old_lowest, maps.BASE_MAP, 0.55), maps.BASE_MAP) < 1.2
