"""Vials for a session's dose: the prepared size once recorded, else the smallest covering combination."""

import math
from decimal import Decimal
from itertools import product as cartesian

from hypothesis import given
from hypothesis import strategies as st

from planner.rules.totals import PREPARED, SMALLEST, vials_for_dose

BOTOX = [Decimal(50), Decimal(100), Decimal(200)]
DYSPORT = [Decimal(300), Decimal(500)]


def test_the_smallest_combination_covers_150_u_with_one_100_and_one_50_u_vial_and_nothing_discarded():
    plan = vials_for_dose(Decimal(150), sizes=BOTOX)
    assert plan.basis == SMALLEST
    assert plan.vials == ((Decimal(100), 1), (Decimal(50), 1))
    assert plan.discarded == 0


def test_a_tie_on_units_goes_to_the_fewest_vials():
    # 260 U: 200 + 100 and 200 + 50 + 50 both supply 300 U; two vials beat three.
    assert vials_for_dose(Decimal(260), sizes=BOTOX).vials == ((Decimal(200), 1), (Decimal(100), 1))


def test_sizes_that_do_not_divide_each_other_still_get_the_least_waste():
    assert vials_for_dose(Decimal(1200), sizes=DYSPORT).vials == ((Decimal(300), 4),)
    plan = vials_for_dose(Decimal(700), sizes=DYSPORT)
    assert (plan.supplied, plan.discarded) == (Decimal(800), Decimal(100))


def test_the_prepared_vial_size_wins_once_recorded():
    plan = vials_for_dose(Decimal(150), sizes=BOTOX, prepared_size=Decimal(100))
    assert (plan.basis, plan.vials, plan.discarded) == (PREPARED, ((Decimal(100), 2),), Decimal(50))


def test_no_dose_or_no_size_gives_no_vials():
    assert vials_for_dose(Decimal(0), sizes=BOTOX) is None
    assert vials_for_dose(None, sizes=BOTOX) is None
    assert vials_for_dose(Decimal(10), sizes=[]) is None


def brute_force(dose, sizes):
    best = None
    for counts in cartesian(*(range(math.ceil(dose / size) + 1) for size in sizes)):
        supplied = sum(size * count for size, count in zip(sizes, counts, strict=True))
        if supplied >= dose:
            key = (supplied, sum(counts))
            best = key if best is None or key < best else best
    return best


@given(
    dose=st.integers(min_value=1, max_value=1500),
    sizes=st.sampled_from([BOTOX, DYSPORT, [Decimal(50), Decimal(100)], [Decimal(2500), Decimal(5000)]]),
)
def test_the_proposal_supplies_as_few_units_and_vials_as_an_exhaustive_search(dose, sizes):
    plan = vials_for_dose(Decimal(dose), sizes=sizes)
    assert plan.supplied >= dose
    assert (plan.supplied, plan.count) == brute_force(Decimal(dose), sorted(sizes))
