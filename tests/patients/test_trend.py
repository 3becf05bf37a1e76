"""The TWSTRS trend's coordinates, for 0, 1 and many visits."""

from datetime import date
from decimal import Decimal

import pytest

from patients.trend import TrendPoint, trend_chart


def test_no_totals_give_an_empty_chart_that_says_so():
    chart = trend_chart([])
    assert chart.empty
    assert chart.line == ""
    assert chart.description == "No TWSTRS total has been recorded yet."


def test_one_total_is_drawn_in_the_middle():
    chart = trend_chart([TrendPoint(date(2026, 1, 5), Decimal(40), True)], width=360, height=140)
    (point,) = chart.points
    assert point.x == (chart.left + chart.right) / 2
    assert chart.line == f"{point.x},{point.y}"


def test_many_totals_are_spaced_by_date_and_scaled_on_0_to_85():
    points = [
        TrendPoint(date(2026, 1, 1), Decimal(85), True),
        TrendPoint(date(2026, 1, 11), Decimal(0), True),
        TrendPoint(date(2026, 1, 31), Decimal("42.5"), False),
    ]
    chart = trend_chart(list(reversed(points)), width=330, height=140)
    first, second, third = chart.points
    assert (first.x, first.y) == (chart.left, chart.top)
    assert (second.y, third.x) == (chart.bottom, chart.right)
    assert second.x == pytest.approx(chart.left + (chart.right - chart.left) / 3, abs=0.05)
    assert third.y == (chart.top + chart.bottom) / 2
    # Partial totals are marked, and left off the line.
    assert chart.line == f"{first.x},{first.y} {second.x},{second.y}"
    assert "31 Jan 2026: 42.5 (partial)" in chart.description
