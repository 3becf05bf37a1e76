"""Reads for the plan editor: the ORM turned into the plain inputs of planner.suggest and planner.safety.

Each function does a fixed number of queries whatever the size of the data (prefetching what it
walks), so the editor's query count does not grow with the patient's history or the rules table.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch

from planner import safety, suggest
from planner.models import (
    Caution,
    DoseGuideline,
    Muscle,
    PatternComponent,
    ProductLimit,
    Source,
    SuggestionRule,
)

# Muscle groups whose injection counts as "anterior neck" for the dysphagia caution (SCM always does).
ANTERIOR_NECK_GROUPS = frozenset({Muscle.Group.ANTEROLATERAL, Muscle.Group.ANTERIOR, Muscle.Group.PREVERTEBRAL})
# The reference set's note on guidance: "policy derived from G1, G4, G8, S9".
GUIDANCE_BASIS = safety.Basis(source_codes=("G1", "G4", "G8", "S9"), verification="partly_verified")


def _codes(row):
    return tuple(sorted(source.code for source in row.sources.all()))


def as_product(product):
    return suggest.Product(code=product.code, name=product.brand_name)


@dataclass(frozen=True)
class ReferenceInputs:
    rules: tuple
    combined_patterns: tuple
    muscles: dict
    dose_ranges: tuple
    limits: object
    cautions: object


def reference_inputs(product):
    """Everything from the reference tables that suggestions and safety checks need for one product."""
    sources = Prefetch("sources", queryset=Source.objects.only("id", "code"))
    rules = tuple(
        suggest.Rule(
            pattern_code=rule.pattern.code,
            muscle_code=rule.muscle.code,
            muscle_name=rule.muscle.name,
            side=rule.side,
            priority=rule.priority,
            verification=rule.verification,
            needs_review=rule.needs_review,
            source_codes=_codes(rule),
            note=rule.note,
            id=rule.pk,
        )
        for rule in SuggestionRule.objects.filter(is_active=True, muscle__is_active=True, pattern__is_active=True)
        .select_related("pattern", "muscle")
        .prefetch_related(sources)
    )
    parts_by_pattern = {}
    for part in PatternComponent.objects.filter(is_active=True).select_related("combined", "component"):
        parts_by_pattern.setdefault(part.combined.code, []).append(
            suggest.CombinedPart(pattern_code=part.component.code, side=part.side)
        )
    combined_patterns = tuple(
        suggest.CombinedPattern(code=code, parts=tuple(parts)) for code, parts in sorted(parts_by_pattern.items())
    )
    muscles = {
        muscle.code: safety.MuscleInfo(
            code=muscle.code,
            name=muscle.name,
            guidance_level=muscle.guidance,
            anterior_neck=muscle.code == "SCM" or muscle.group in ANTERIOR_NECK_GROUPS,
            guidance_basis=GUIDANCE_BASIS,
        )
        for muscle in Muscle.objects.all()
    }
    if product is None:
        return ReferenceInputs(rules, combined_patterns, muscles, (), None, None)
    dose_ranges = tuple(
        suggest.DoseRange(
            product_code=product.code,
            muscle_code=dose.muscle.code,
            min_units=dose.min_units,
            max_units=dose.max_units,
            median_units=dose.median_units,
            source_codes=_codes(dose),
            verification=dose.verification,
            kind=dose.kind,
            note=dose.context or dose.note,
        )
        for dose in DoseGuideline.objects.filter(product=product, is_active=True)
        .select_related("muscle")
        .prefetch_related(sources)
    )
    limits = _product_limits(product)
    cautions = _cautions(product)
    return ReferenceInputs(rules, combined_patterns, muscles, dose_ranges, limits, cautions)


def _limit(effective, cls=safety.Limit, **extra):
    if effective is None or effective.value is None:
        return None
    return cls(value=effective.value, source_codes=effective.sources, verification=effective.verification, **extra)


def _product_limits(product):
    from planner.reference.limits import effective_limit

    rows = [
        limit.as_row()
        for limit in ProductLimit.objects.filter(product=product).prefetch_related(
            Prefetch("sources", queryset=Source.objects.only("id", "code"))
        )
    ]
    cumulative = effective_limit(ProductLimit.Kind.CUMULATIVE_MAX, rows)
    return safety.ProductLimits(
        product_code=product.code,
        session_max=_limit(effective_limit(ProductLimit.Kind.SESSION_MAX, rows)),
        cumulative_max=_limit(cumulative, safety.CumulativeLimit, period_weeks=cumulative.period_weeks)
        if cumulative is not None and cumulative.value is not None and cumulative.period_weeks
        else None,
        min_interval_weeks=_limit(effective_limit(ProductLimit.Kind.MIN_INTERVAL_WEEKS, rows)),
        naive_start_dose=_limit(effective_limit(ProductLimit.Kind.NAIVE_START_DOSE, rows)),
    )


def _basis(caution):
    if caution is None:
        return safety.Basis()
    return safety.Basis(source_codes=_codes(caution), verification=caution.verification)


def _cautions(product):
    cautions = {
        caution.code: caution
        for caution in Caution.objects.filter(is_active=True).prefetch_related(
            Prefetch("sources", queryset=Source.objects.only("id", "code")), "products"
        )
    }
    scm_caps = tuple(
        safety.ProductAmount(
            product_code=caution_product.code,
            value=caution.threshold_units,
            source_codes=_codes(caution),
            verification=caution.verification,
        )
        for caution in cautions.values()
        if caution.threshold_units is not None and caution.muscle_id and caution.code.startswith("SCM")
        for caution_product in caution.products.all()
    )
    halve = cautions.get("SCM_ANTEROCOLLIS_HALF")
    return safety.Cautions(
        scm_muscle_code="SCM",
        scm_total_max=scm_caps,
        bilateral_scm=_basis(cautions.get("SCM_BILATERAL")),
        scm_reduction=safety.ScmReduction(factor=Decimal("0.5"), pattern_code="ANTEROCOLLIS", **vars(_basis(halve))),
        # No source says it in these words: the clinic's reading of D12 and D21 (clinic policy).
        prior_dysphagia=safety.Basis(),
        units_not_interchangeable=_basis(cautions.get("NO_UNIT_CONVERSION")),
    )
