"""planner.rules.titration: hints per muscle (never a dose change) and the secondary non-response flag; pure."""

from datetime import date
from decimal import Decimal

from planner.rules.titration import (
    CyclePoint,
    DoseRow,
    Event,
    PastCycle,
    Step,
    implicated_rows,
    secondary_non_response,
    titration_hints,
)

SCM_LEFT = DoseRow("SCM", "Sternocleidomastoid", "anterolateral", "left", Decimal(100))
SPLENIUS_LEFT = DoseRow("SPLENIUS_CAPITIS", "Splenius capitis", "posterior", "left", Decimal(150))
SPLENIUS_RIGHT = DoseRow("SPLENIUS_CAPITIS", "Splenius capitis", "posterior", "right", Decimal(150))
LEVATOR_RIGHT = DoseRow("LEVATOR_SCAPULAE", "Levator scapulae", "posterior", "right", Decimal(100))
STEP = Step(Decimal(250), None, ("D1",), "verified")
DYSPHAGIA = Event("dysphagia", "dysphagia (grade 2, moderate, from day 5 for 14 days)")


def last(*rows, events=(), product="ABO", duration=None, follow_ups=1):
    return PastCycle(
        date=date(2026, 10, 10),
        product_code=product,
        product_name={"ABO": "Dysport", "ONA": "Botox"}[product],
        units_label={"ABO": "U Dysport", "ONA": "U Botox"}[product],
        rows=rows,
        events=tuple(events),
        follow_ups=follow_ups,
        duration_weeks=duration,
    )


def hints_for(cycle, product="ABO", step=STEP):
    return titration_hints(last=cycle, product_code=product, step=step, short_weeks=Decimal(10))


def test_dysphagia_after_an_anterior_muscle_suggests_reducing_it_with_the_sourced_step():
    hints, notes = hints_for(last(SCM_LEFT, LEVATOR_RIGHT, events=[DYSPHAGIA]))
    assert notes == ()
    assert [(hint.muscle_code, hint.side, hint.action) for hint in hints] == [("SCM", "left", "reduce")]
    assert hints[0].text == (
        "Consider reducing left sternocleidomastoid: dysphagia (grade 2, moderate, from day 5 for 14 days) "
        "after 100 U Dysport on 10 Oct 2026; the sourced step is 250 U Dysport (D1)."
    )
    assert hints[0].sources == ("D1",)


def test_a_posterior_muscle_counts_only_when_it_was_injected_on_both_sides():
    one_side = implicated_rows("neck_weakness", (SPLENIUS_LEFT, LEVATOR_RIGHT))
    both = implicated_rows("neck_weakness", (SPLENIUS_LEFT, SPLENIUS_RIGHT, LEVATOR_RIGHT))
    assert one_side == ()
    assert both == (SPLENIUS_LEFT, SPLENIUS_RIGHT)


def test_other_side_effects_implicate_no_muscle():
    assert implicated_rows("dry_mouth", (SCM_LEFT,)) == ()


def test_a_short_benefit_without_side_effects_suggests_increasing_each_muscle():
    hints, _ = hints_for(last(SCM_LEFT, LEVATOR_RIGHT, duration=6))
    assert [(hint.muscle_code, hint.action) for hint in hints] == [
        ("SCM", "increase"),
        ("LEVATOR_SCAPULAE", "increase"),
    ]
    assert "the benefit lasted 6 weeks (short: under 10, clinic policy)" in hints[0].text


def test_no_increase_is_suggested_before_anyone_asked_about_side_effects_or_when_the_benefit_was_long():
    assert hints_for(last(SCM_LEFT, duration=6, follow_ups=0))[0] == ()
    assert hints_for(last(SCM_LEFT, duration=12))[0] == ()


def test_the_last_cycle_of_another_product_gives_no_hint_and_says_why():
    hints, notes = hints_for(last(SCM_LEFT, events=[DYSPHAGIA], product="ONA"))
    assert hints == ()
    assert notes == ("No titration hint: the last cycle used Botox, whose units are not this product's.",)


def test_a_product_without_a_sourced_step_gives_no_hint_and_says_why():
    hints, notes = hints_for(last(SCM_LEFT, events=[DYSPHAGIA]), step=None)
    assert hints == () and "gives no titration step for Dysport" in notes[0]


def test_a_hint_is_text_only_the_rows_are_unchanged():
    rows = (SCM_LEFT,)
    hints_for(last(*rows, events=[DYSPHAGIA]))
    assert rows[0].dose == Decimal(100)


def point(day, total, benefit, product="ONA"):
    return CyclePoint(date(2026, day, 1), product, product, f"U {product}", Decimal(total), benefit)


def test_benefit_falling_over_two_cycles_at_the_same_or_higher_dose_raises_the_flag():
    points = [point(1, 200, 80), point(4, 200, 65), point(7, 220, 50)]
    flag = secondary_non_response(points, cycles_needed=2, drop_points=10)
    assert flag is not None and flag.points == tuple(points)
    assert flag.text.startswith("Benefit fell over 2 consecutive cycles, from 80 % to 50 %")


def test_no_flag_when_the_dose_was_lowered_the_fall_is_small_or_only_one_cycle_fell():
    assert (
        secondary_non_response(
            [point(1, 200, 80), point(4, 180, 65), point(7, 180, 50)], cycles_needed=2, drop_points=10
        )
        is None
    )
    assert (
        secondary_non_response(
            [point(1, 200, 80), point(4, 200, 75), point(7, 200, 70)], cycles_needed=2, drop_points=10
        )
        is None
    )
    assert (
        secondary_non_response(
            [point(1, 200, 80), point(4, 200, 80), point(7, 200, 60)], cycles_needed=2, drop_points=10
        )
        is None
    )


def test_a_product_switch_or_a_cycle_without_a_rating_ends_the_run():
    switched = [point(1, 200, 80), point(4, 500, 65, "ABO"), point(7, 500, 50, "ABO")]
    assert secondary_non_response(switched, cycles_needed=2, drop_points=10) is None
    gap = [point(1, 200, 80), point(4, 200, None), point(7, 200, 65), point(10, 200, 50)]
    assert secondary_non_response(gap, cycles_needed=2, drop_points=10) is None


def test_the_policy_sets_how_many_cycles_must_fall():
    points = [point(1, 200, 80), point(4, 200, 65), point(7, 220, 50)]
    assert secondary_non_response(points, cycles_needed=3, drop_points=10) is None
    assert secondary_non_response(points, cycles_needed=Decimal(2), drop_points=Decimal(15)) is not None
