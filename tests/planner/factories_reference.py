"""Small factories of reference data for tests (the shipped set is tests/conftest.py's ``shipped_reference``)."""

from decimal import Decimal

import factory

from patients.sides import RelativeSide
from planner import models as ref


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ref.Source
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n}")
    citation = factory.LazyAttribute(lambda source: f"Test source {source.code}")


class SourcedFactory(factory.django.DjangoModelFactory):
    verification = ref.Verification.VERIFIED

    @factory.post_generation
    def sources(self, create, extracted, **kwargs):
        if create:
            self.sources.set(extracted if extracted is not None else [SourceFactory(code="T-DEFAULT")])


class MuscleFactory(SourcedFactory):
    class Meta:
        model = ref.Muscle
        skip_postgeneration_save = True
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"MUSCLE_{n}")
    name = factory.LazyAttribute(lambda muscle: muscle.code.replace("_", " ").capitalize())
    group = ref.Muscle.Group.POSTERIOR
    depth = ref.Muscle.Depth.SUPERFICIAL
    guidance = ref.Muscle.Guidance.OPTIONAL


class PatternFactory(SourcedFactory):
    class Meta:
        model = ref.PosturePattern
        skip_postgeneration_save = True
        django_get_or_create = ("code",)

    code = "TORTICAPUT"
    name = "Torticaput"
    plane = ref.PosturePattern.Plane.TRANSVERSE
    level = ref.PosturePattern.Level.CAPUT
    directions = ref.PosturePattern.Directions.LEFT_RIGHT
    definition = "Head rotates on an upright neck."


class RuleFactory(SourcedFactory):
    class Meta:
        model = ref.SuggestionRule
        skip_postgeneration_save = True

    pattern = factory.SubFactory(PatternFactory)
    muscle = factory.SubFactory(MuscleFactory)
    side = RelativeSide.IPSILATERAL
    priority = ref.SuggestionRule.Priority.PRIMARY


class ProductFactory(SourcedFactory):
    class Meta:
        model = ref.Product
        skip_postgeneration_save = True
        django_get_or_create = ("code",)

    code = "ABO"
    generic_name = "abobotulinumtoxinA"
    brand_name = "Dysport"
    toxin_type = ref.Product.ToxinType.A
    vial_sizes = factory.LazyFunction(lambda: [300, 500])
    form = ref.Product.Form.POWDER


class DoseFactory(SourcedFactory):
    class Meta:
        model = ref.DoseGuideline
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    muscle = factory.SubFactory(MuscleFactory)
    kind = ref.DoseGuideline.Kind.TRIAL_OBSERVED
    min_units = Decimal(50)
    max_units = Decimal(350)


class LimitFactory(SourcedFactory):
    class Meta:
        model = ref.ProductLimit
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    kind = ref.ProductLimit.Kind.SESSION_MAX
    jurisdiction = ref.ProductLimit.Jurisdiction.ALL
    value = Decimal(1000)
