"""Reconstitution arithmetic: units per 0.1 mL and the volume to draw, for powders and solutions."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.reference.dilution import DilutionError, strength, volume_to_draw


@pytest.mark.parametrize(
    "vial,diluent,per_0_1_ml",
    [(100, 1, 10), (100, 2.5, 4), (100, 8, Decimal("1.25")), (50, 1.25, 4), (500, 2.5, 20), (300, 0.6, 50)],
)
def test_units_per_tenth_of_a_millilitre_is_vial_units_over_ten_times_the_diluent(vial, diluent, per_0_1_ml):
    assert strength(vial_units=vial, diluent_ml=diluent).per_0_1_ml == per_0_1_ml


def test_the_volume_to_draw_is_the_dose_over_the_strength():
    botox_100_in_2_ml = strength(vial_units=100, diluent_ml=2)
    assert volume_to_draw(dose_units=25, of=botox_100_in_2_ml) == Decimal("0.5")
    assert volume_to_draw(dose_units="7.5", of=strength(vial_units=100, diluent_ml="2.5")) == Decimal("0.1875")


def test_a_ready_to_use_solution_is_as_strong_as_supplied_and_saline_dilutes_it():
    undiluted = strength(vial_units=None, diluent_ml=0, supplied_units_per_ml=5000)
    assert undiluted.per_0_1_ml == 500
    # 5000 U in 1 mL plus 1 mL of saline: 2500 U per mL.
    diluted = strength(vial_units=5000, diluent_ml=1, supplied_units_per_ml=5000)
    assert (diluted.per_ml, diluted.total_ml) == (2500, 2)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"vial_units": 0, "diluent_ml": 2}, "vial_units"),
        ({"vial_units": -100, "diluent_ml": 2}, "vial_units"),
        ({"vial_units": 100, "diluent_ml": -1}, "diluent_ml"),
        ({"vial_units": 100, "diluent_ml": 0}, "diluent_ml"),
        ({"vial_units": 100, "diluent_ml": "two"}, "diluent_ml"),
        ({"vial_units": 100, "diluent_ml": "NaN"}, "diluent_ml"),
        ({"vial_units": None, "diluent_ml": 1, "supplied_units_per_ml": 5000}, "vial_units"),
    ],
)
def test_bad_input_is_refused_naming_the_field(kwargs, field):
    with pytest.raises(DilutionError) as error:
        strength(**kwargs)
    assert error.value.field == field


def test_a_dose_must_be_positive_and_fit_in_the_vial():
    vial = strength(vial_units=100, diluent_ml=2)
    with pytest.raises(DilutionError, match="greater than zero"):
        volume_to_draw(dose_units=0, of=vial)
    with pytest.raises(DilutionError, match="More than one vial holds"):
        volume_to_draw(dose_units=150, of=vial)


@given(
    vial=st.sampled_from([50, 100, 200, 300, 500]),
    diluent=st.decimals(min_value=Decimal("0.5"), max_value=Decimal(10), places=2),
    fraction=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1), places=2),
)
def test_drawing_the_computed_volume_delivers_the_dose(vial, diluent, fraction):
    prepared = strength(vial_units=vial, diluent_ml=diluent)
    dose = Decimal(vial) * fraction
    volume = volume_to_draw(dose_units=dose, of=prepared)
    assert abs(volume * prepared.per_ml - dose) < Decimal("1e-20")
    assert volume <= diluent + Decimal("1e-20")
