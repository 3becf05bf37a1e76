"""Which product limit a safety check applies: the most conservative active row, flag and sources kept."""

from decimal import Decimal

from planner.reference.limits import LimitRow, effective_limit


def row(kind, value, jurisdiction="all", verification="verified", sources=("D1",), **extra):
    return LimitRow(
        kind=kind,
        jurisdiction=jurisdiction,
        value=None if value is None else Decimal(value),
        verification=verification,
        sources=sources,
        **extra,
    )


def test_the_lowest_maximum_wins():
    rows = [row("session_max", 400, "us", sources=("A",)), row("session_max", 300, "eu_gulf", sources=("B",))]
    limit = effective_limit("session_max", rows)
    assert (limit.value, limit.jurisdiction, limit.sources) == (300, "eu_gulf", ("B",))
    assert limit.considered == tuple(rows)


def test_the_longest_interval_wins():
    rows = [row("min_interval_weeks", 10, "eu"), row("min_interval_weeks", 12, "us")]
    assert effective_limit("min_interval_weeks", rows).value == 12


def test_the_lowest_starting_dose_wins():
    rows = [row("naive_start_dose", 240), row("naive_start_dose", 120, "eu")]
    assert effective_limit("naive_start_dose", rows).value == 120


def test_a_cumulative_maximum_is_compared_per_week_of_its_period():
    rows = [
        row("cumulative_max", 300, "eu", period_weeks=8),  # 37.5 U a week
        row("cumulative_max", 400, "us", period_weeks=12),  # 33.3 U a week
    ]
    limit = effective_limit("cumulative_max", rows)
    assert (limit.value, limit.period_weeks) == (400, 12)


def test_a_labelled_value_beats_a_not_labelled_row():
    rows = [
        row("session_max", None, "us", verification="unverified", note="Not labelled"),
        row("session_max", 300, "eu"),
    ]
    limit = effective_limit("session_max", rows)
    assert limit.is_labelled and limit.value == 300


def test_not_labelled_anywhere_says_why_with_the_weakest_flag():
    rows = [
        row("min_interval_weeks", None, "us", verification="unverified", sources=("D17",), note="Not found in D17."),
        row("min_interval_weeks", None, "eu", verification="verified", sources=("D16",), note="None in the SmPC."),
    ]
    limit = effective_limit("min_interval_weeks", rows)
    assert not limit.is_labelled
    assert limit.verification == "unverified" and not limit.is_established
    assert limit.sources == ("D16", "D17")
    assert limit.note == "Not found in D17. None in the SmPC."


def test_a_missing_kind_is_reported_as_missing_not_as_no_limit():
    limit = effective_limit("session_max", [row("min_interval_weeks", 12)])
    assert limit.value is None and limit.sources == ()
    assert limit.note == "No row for this limit in the reference data."


def test_inactive_rows_are_ignored():
    rows = [row("session_max", 100, is_active=False), row("session_max", 400)]
    assert effective_limit("session_max", rows).value == 400


def test_an_unverified_value_stays_unverified_and_ties_go_to_the_better_verified_row():
    only = effective_limit("session_max", [row("session_max", 300, verification="unverified")])
    assert only.value == 300 and not only.is_established
    tie = effective_limit(
        "session_max",
        [row("session_max", 300, "us", verification="partly_verified"), row("session_max", 300, "eu", sources=("X",))],
    )
    assert (tie.verification, tie.sources) == ("verified", ("X",))


def test_a_range_keeps_its_upper_end():
    limit = effective_limit("titration_step", [row("titration_step", 50, value_upper=Decimal(75))])
    assert limit.amount_text == "50–75"
