"""The reference tables' invariants, held by the database and by the models' validation."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from patients.sides import RelativeSide
from planner import models as ref
from tests.planner.factories_reference import (
    DoseFactory,
    LimitFactory,
    MuscleFactory,
    PatternFactory,
    ProductFactory,
    RuleFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


def refused_by_the_database(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


@pytest.mark.parametrize(
    "values",
    [
        {"min_units": Decimal(100), "max_units": Decimal(50)},
        {"min_units": Decimal(-5)},
        {"max_units": Decimal(0)},
        {"median_units": Decimal(-1)},
        {"iqr_low": Decimal(30), "iqr_high": Decimal(20), "median_units": Decimal(25)},
        {"per_site_min": Decimal(12.5), "per_site_max": Decimal(10)},
        {"min_units": None, "max_units": None},
    ],
    ids=[
        "min-above-max",
        "negative-min",
        "zero-max",
        "negative-median",
        "iqr-reversed",
        "per-site-reversed",
        "no-dose",
    ],
)
def test_the_database_refuses_an_impossible_dose(values):
    refused_by_the_database(lambda: DoseFactory(**values))


def test_the_model_names_the_field_of_an_impossible_dose():
    dose = DoseFactory.build(product=ProductFactory(), muscle=MuscleFactory(), min_units=100, max_units=50)
    with pytest.raises(ValidationError) as error:
        dose.full_clean()
    assert "max_units" in error.value.message_dict


def test_a_negative_dose_fails_validation_at_its_field():
    dose = DoseFactory.build(product=ProductFactory(), muscle=MuscleFactory(), min_units=Decimal(-5))
    with pytest.raises(ValidationError) as error:
        dose.full_clean()
    assert error.value.message_dict["min_units"] == ["Must be greater than zero."]


def test_codes_are_unique():
    MuscleFactory(code="SCM")
    refused_by_the_database(
        lambda: ref.Muscle.objects.create(code="SCM", name="Again", group="anterior", depth="deep", guidance="optional")
    )
    SourceFactory(code="S1")
    refused_by_the_database(lambda: ref.Source.objects.create(code="S1", citation="Again"))
    ProductFactory(code="ABO")
    refused_by_the_database(
        lambda: ref.Product.objects.create(
            code="ABO", generic_name="x", brand_name="x", toxin_type="A", vial_sizes=[1], form="powder"
        )
    )


def test_a_rule_is_unique_per_pattern_muscle_and_side():
    rule = RuleFactory()
    refused_by_the_database(lambda: RuleFactory(pattern=rule.pattern, muscle=rule.muscle, side=rule.side))
    # The same muscle on the other side is a different rule.
    RuleFactory(pattern=rule.pattern, muscle=rule.muscle, side=RelativeSide.CONTRALATERAL)


def test_an_unresolved_side_must_be_flagged_for_review():
    refused_by_the_database(lambda: RuleFactory(side=RelativeSide.UNRESOLVED, needs_review=False))
    RuleFactory(side=RelativeSide.UNRESOLVED, needs_review=True)


def test_a_sagittal_pattern_takes_no_left_or_right_side():
    anterocollis = PatternFactory(
        code="ANTEROCOLLIS", name="Anterocollis", level="collis", plane="sagittal", directions="none"
    )
    rule = RuleFactory.build(pattern=anterocollis, muscle=MuscleFactory(), side=RelativeSide.IPSILATERAL)
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert "use bilateral" in error.value.message_dict["side"][0]


def test_a_pattern_takes_the_directions_of_its_col_cap_component():
    pattern = PatternFactory.build(code="RETROCOLLIS", directions="left_right", level="collis", plane="sagittal")
    with pytest.raises(ValidationError) as error:
        pattern.full_clean()
    assert "directions" in error.value.message_dict


def test_a_pattern_code_must_be_a_col_cap_component():
    pattern = PatternFactory.build(code="DELTOID_PATTERN")
    with pytest.raises(ValidationError) as error:
        pattern.full_clean()
    assert "code" in error.value.message_dict


def test_a_combined_pattern_cannot_contain_itself():
    shift = PatternFactory(code="LATERAL_SHIFT", level="combined", plane="coronal")
    refused_by_the_database(
        lambda: ref.PatternComponent.objects.create(combined=shift, component=shift, side="ipsilateral")
    )


@pytest.mark.parametrize(
    "values,field",
    [
        ({"value": None, "note": ""}, "note"),
        ({"kind": "cumulative_max", "value": Decimal(400), "period_weeks": None}, "period_weeks"),
        ({"value": Decimal(75), "value_upper": Decimal(50)}, "value_upper"),
        ({"value": Decimal(-300)}, "value"),
    ],
    ids=["unlabelled-without-reason", "cumulative-without-period", "range-reversed", "negative"],
)
def test_a_limit_must_make_sense(values, field):
    limit = LimitFactory.build(product=ProductFactory(), **values)
    with pytest.raises(ValidationError) as error:
        limit.full_clean()
    assert field in error.value.message_dict
    refused_by_the_database(lambda: LimitFactory(**values))


def test_a_limit_without_a_value_is_an_explicit_not_labelled():
    limit = LimitFactory(value=None, note="Not labelled: none found in the retrieved text.")
    assert limit.display_value == "not labelled"
    assert LimitFactory(kind="min_interval_weeks", value=12, note="").display_value == "12 weeks"
    assert LimitFactory(kind="cumulative_max", value=400, period_weeks=12).display_value == "400 U Dysport per 12 weeks"


def test_a_product_needs_vial_sizes_and_a_solution_its_concentration():
    product = ProductFactory.build(vial_sizes=[])
    with pytest.raises(ValidationError) as error:
        product.full_clean()
    assert "vial_sizes" in error.value.message_dict
    refused_by_the_database(lambda: ProductFactory(code="RIMA", form="solution", concentration_units_per_ml=None))


def test_a_rule_dose_and_limit_must_cite_a_source():
    for row in (RuleFactory(), DoseFactory(), LimitFactory()):
        with pytest.raises(ValidationError) as error:
            row.clean_related({"sources": []})
        assert "sources" in error.value.message_dict
    # A muscle may rest on its guidance policy alone.
    MuscleFactory().clean_related({"sources": []})


def test_a_threshold_belongs_to_one_product():
    caution = ref.Caution(code="CAP", text="cap", threshold_units=Decimal(100))
    with pytest.raises(ValidationError) as error:
        caution.clean_related({"sources": [SourceFactory()], "products": []})
    assert "threshold_units" in error.value.message_dict
    caution.clean_related({"sources": [SourceFactory()], "products": [ProductFactory()]})


def test_doses_are_described_in_their_own_products_units():
    dose = DoseFactory(min_units=50, max_units=350, median_units=125)
    assert dose.headline == "50–350 U Dysport"
    assert dose.details == ["median 125"]
    expert = DoseFactory(
        product=ProductFactory(code="ONA", brand_name="Botox"),
        kind="expert_example",
        min_units=None,
        max_units=50,
        per_site_min=Decimal("7.5"),
        per_site_max=Decimal("7.5"),
        typical_sites=2,
    )
    assert (expert.headline, expert.details) == ("up to 50 U Botox", ["7.5 per site", "2 sites"])
    median_only = DoseFactory(
        product=ProductFactory(code="INCO", brand_name="Xeomin"),
        min_units=None,
        max_units=None,
        median_units=25,
        iqr_low=17,
        iqr_high=35,
        iqr_verification="unverified",
    )
    assert (median_only.headline, median_only.details, median_only.iqr_is_established) == (
        "median 25 U Xeomin",
        ["IQR 17–35"],
        False,
    )


def test_every_reference_table_keeps_a_history():
    muscle = MuscleFactory(name="Splenius")
    muscle.name = "Splenius capitis"
    muscle.save()
    assert [record.name for record in muscle.history.all()][:2] == ["Splenius capitis", "Splenius"]
    for model in (
        ref.Source,
        ref.Muscle,
        ref.PosturePattern,
        ref.PatternComponent,
        ref.SuggestionRule,
        ref.Product,
        ref.ProductLimit,
        ref.DoseGuideline,
        ref.DiluentVolume,
        ref.Caution,
    ):
        assert hasattr(model, "history"), model.__name__
