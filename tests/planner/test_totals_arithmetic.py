"""The session arithmetic every page and check shares (planner.rules.totals): dose totals, volume per site,
and the totals under a plan. Pure functions over plain data, so properties over many inputs."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from planner.rules import safety
from planner.rules.suggest import Product
from planner.rules.totals import VOLUME_SHOWN_TO, dose_total, plan_totals, volume_per_site

doses = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(5000), places=2)
strengths = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(5000), places=2)
sites = st.integers(min_value=1, max_value=10)
sides = st.sampled_from(["left", "right"])
muscles = st.sampled_from(["Splenius capitis", "Sternocleidomastoid", "Trapezius (upper)"])
rows = st.lists(st.tuples(muscles, sides, st.one_of(st.none(), doses), sites), max_size=12)
BOTOX_SIZES = (Decimal(50), Decimal(100), Decimal(200))
DYSPORT_SIZES = (Decimal(300), Decimal(500))


@given(dose=doses, units_per_ml=strengths)
def test_the_volume_at_one_site_is_the_dose_over_the_strength(dose, units_per_ml):
    assert volume_per_site(dose, 1, units_per_ml) == dose / units_per_ml


@given(dose=doses, count=sites, units_per_ml=strengths)
def test_the_volume_per_site_times_the_sites_gives_back_the_dose(dose, count, units_per_ml):
    volume = volume_per_site(dose, count, units_per_ml)
    assert abs(volume * count * units_per_ml - dose) < Decimal("1e-20")


def test_there_is_no_volume_without_sites_a_strength_or_a_dose():
    assert volume_per_site(Decimal(50), 0, Decimal(50)) is None
    assert volume_per_site(Decimal(50), 2, None) is None
    assert volume_per_site(None, 2, Decimal(50)) is None


@given(plan=rows)
def test_dose_total_adds_the_entered_doses_and_skips_the_ones_not_entered(plan):
    entered = [dose for _, _, dose, _ in plan if dose is not None]
    assert dose_total(dose for _, _, dose, _ in plan) == sum(entered, Decimal(0))
    assert dose_total([]) == Decimal(0)


@given(plan=rows)
def test_the_side_totals_are_the_sums_of_each_sides_rows_and_the_session_is_both(plan):
    totals = plan_totals(plan)
    assert totals.left == sum((d for _, side, d, _ in plan if side == "left" and d is not None), Decimal(0))
    assert totals.right == sum((d for _, side, d, _ in plan if side == "right" and d is not None), Decimal(0))
    assert totals.total == totals.left + totals.right


@given(plan=rows, units_per_ml=strengths)
def test_every_dosed_row_gets_its_volume_per_site_rounded_for_display(plan, units_per_ml):
    totals = plan_totals(plan, units_per_ml=units_per_ml)
    dosed = [row for row in plan if row[2] is not None]
    assert [(v.muscle, v.side) for v in totals.volumes] == [(name, side) for name, side, _, _ in dosed]
    for volume, (_, _, dose, count) in zip(totals.volumes, dosed, strict=True):
        assert volume.ml_per_site == (dose / count / units_per_ml).quantize(VOLUME_SHOWN_TO)
    assert totals.strength == units_per_ml


@given(plan=rows)
def test_no_strength_no_volumes(plan):
    assert plan_totals(plan).volumes == ()


@given(plan=rows, sizes=st.sampled_from([BOTOX_SIZES, DYSPORT_SIZES]))
def test_the_vials_come_from_the_sessions_own_product_and_cover_its_total(plan, sizes):
    totals = plan_totals(plan, vial_sizes=sizes)
    if totals.total == 0:
        assert totals.vial_plan is None
        return
    assert {size for size, _ in totals.vial_plan.vials} <= set(sizes)
    assert totals.vial_plan.dose == totals.total
    assert totals.vial_plan.supplied >= totals.total


@given(first=rows, second=rows)
def test_two_sessions_totals_never_mix(first, second):
    """Each session's totals come from its own rows only: adding another session's rows to the page
    (say, a Dysport plan beside a Botox one) changes nothing in the first one's totals."""
    alone = plan_totals(first, vial_sizes=BOTOX_SIZES)
    plan_totals(second, vial_sizes=DYSPORT_SIZES)
    assert plan_totals(first, vial_sizes=BOTOX_SIZES) == alone
    assert plan_totals(first + second).total == alone.total + plan_totals(second).total


def test_with_no_product_there_are_no_vials():
    totals = plan_totals([("Splenius capitis", "left", Decimal(50), 2)])
    assert (totals.total, totals.vial_plan) == (Decimal(50), None)


def _draft(dose, count, units_per_ml):
    row = safety.InjectionRow(muscle_code="SPLENIUS_CAPITIS", side="left", dose=dose, sites=count, guidance="none")
    return safety.DraftSession(
        visit_date=None, product=Product(code="ONA", name="Botox"), rows=(row,), vial_units=units_per_ml, diluent_ml=1
    )


def _volume_warned(dose, count, units_per_ml):
    findings = safety.check_session(
        draft=_draft(dose, count, units_per_ml),
        history=safety.PatientHistory(),
        posture=(),
        combined_patterns=(),
        limits=None,
        guidelines=(),
        muscles={},
        cautions=None,
        policy=safety.SafetyPolicy(),
    )
    return any(finding.code == safety.VOLUME_PER_SITE_IMPLAUSIBLE for finding in findings)


@given(dose=doses, count=sites, units_per_ml=strengths)
def test_the_safety_check_warns_exactly_when_the_shared_volume_is_outside_the_policy(dose, count, units_per_ml):
    policy = safety.SafetyPolicy()
    volume = volume_per_site(dose, count, units_per_ml)
    outside = not policy.min_volume_per_site_ml <= volume <= policy.max_volume_per_site_ml
    assert _volume_warned(dose, count, units_per_ml) == outside


def test_a_large_volume_per_site_is_flagged_and_a_usual_one_is_not():
    assert _volume_warned(Decimal(500), 1, Decimal(5))  # 100 mL at one site
    assert not _volume_warned(Decimal(50), 2, Decimal(50))  # 0.5 mL per site
