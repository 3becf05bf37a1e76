"""Reads for the reference pages: each returns everything its page shows in a fixed number of queries."""

from collections import defaultdict
from functools import cache

import yaml
from django.db.models import Prefetch, Q

from planner import models as ref
from planner.reference.loader import CLINICAL_REFERENCE
from planner.rules.policy import SETTING_FALLBACKS, PolicyValues, setting_out_of_range

ACTIVE_SOURCES = Prefetch("sources", queryset=ref.Source.objects.order_by("code"))


@cache
def shipped_version():
    """meta.version of the shipped set, read once per process."""
    with open(CLINICAL_REFERENCE, encoding="utf-8") as data:
        return str(yaml.safe_load(data)["meta"]["version"])


def policy_values():
    """Every clinic-policy setting (``PolicyValues``): the active PolicySetting rows, in one query; a code
    without an active row falls back to ``SETTING_FALLBACKS`` and ``default_used`` says so. A row whose value
    is outside the setting's range (saved before the range existed, or around the model's checks) is not
    used either: the fallback is, and says so."""
    rows = ref.PolicySetting.objects.filter(is_active=True, code__in=list(SETTING_FALLBACKS))
    return PolicyValues(
        {code: value for code, value in rows.values_list("code", "value") if not setting_out_of_range(code, value)}
    )


def doses_by_muscle(product=None):
    """{muscle id: [active dose rows, by product]} with products and sources loaded."""
    doses = (
        ref.DoseGuideline.objects.filter(is_active=True, product__is_active=True)
        .select_related("product", "muscle", "reviewed_by")
        .prefetch_related(ACTIVE_SOURCES)
        .order_by("product_id", "kind")
    )
    if product is not None:
        doses = doses.filter(product=product)
    grouped = defaultdict(list)
    for dose in doses:
        grouped[dose.muscle_id].append(dose)
    return grouped


def cautions(product=None):
    rows = (
        ref.Caution.objects.filter(is_active=True)
        .select_related("muscle", "pattern", "reviewed_by")
        .prefetch_related(ACTIVE_SOURCES, "products")
    )
    if product is not None:
        # This product's own cautions and those for every product.
        rows = rows.filter(Q(products=product) | Q(products__isnull=True)).distinct()
    return rows


def patterns_with_rules():
    """Active patterns with their components, active rules (muscle, sources, reviewer) and sources."""
    rules = (
        ref.SuggestionRule.objects.filter(is_active=True, muscle__is_active=True)
        .select_related("muscle", "reviewed_by")
        .prefetch_related(ACTIVE_SOURCES)
        .order_by("priority", "muscle__name")
    )
    components = ref.PatternComponent.objects.filter(is_active=True).select_related("component")
    return (
        ref.PosturePattern.objects.filter(is_active=True)
        .select_related("reviewed_by")
        .prefetch_related(
            ACTIVE_SOURCES,
            Prefetch("rules", queryset=rules, to_attr="active_rules"),
            Prefetch("components", queryset=components, to_attr="active_components"),
        )
    )


def muscles_with_use():
    rules = (
        ref.SuggestionRule.objects.filter(is_active=True, pattern__is_active=True)
        .select_related("pattern")
        .order_by("pattern_id", "priority")
    )
    return (
        ref.Muscle.objects.filter(is_active=True)
        .select_related("reviewed_by")
        .prefetch_related(ACTIVE_SOURCES, Prefetch("rules", queryset=rules, to_attr="active_rules"))
    )


def _active_limits():
    return Prefetch(
        "limits",
        queryset=ref.ProductLimit.objects.filter(is_active=True)
        .select_related("reviewed_by")
        .prefetch_related(ACTIVE_SOURCES),
    )


def product_detail(code):
    """The product with its limits and diluent volumes, or DoesNotExist."""
    volumes = (
        ref.DiluentVolume.objects.filter(is_active=True).select_related("reviewed_by").prefetch_related(ACTIVE_SOURCES)
    )
    return (
        ref.Product.objects.filter(is_active=True)
        .select_related("reviewed_by")
        .prefetch_related(ACTIVE_SOURCES, _active_limits(), Prefetch("diluent_volumes", queryset=volumes))
        .get(code=code)
    )
