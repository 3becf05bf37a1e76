"""Read-only reference pages for every clinical role: patterns and rules, muscles, products (with
the dilution calculator), sources. Reference admins edit the same tables in the admin."""

from django.contrib.auth.decorators import permission_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from planner import models as ref
from planner.access.roles import REFERENCE_READING
from planner.reference import safety_table, selectors
from planner.reference.forms import DilutionForm

reference_reader = permission_required(REFERENCE_READING, raise_exception=True)


def _page(request, template, context, section):
    return render(request, template, {"section": section, "reference_version": selectors.shipped_version(), **context})


@require_GET
@reference_reader
def index(request):
    patterns = list(selectors.patterns_with_rules())
    doses = selectors.doses_by_muscle()
    rules = [rule for pattern in patterns for rule in pattern.active_rules]
    for rule in rules:
        rule.dose_rows = doses.get(rule.muscle_id, [])
    return _page(
        request,
        "planner/reference/index.html",
        {
            "patterns": patterns,
            "cautions": selectors.cautions(),
            "rule_count": len(rules),
            "reviewed_rule_count": sum(rule.reviewed_by_id is not None for rule in rules),
        },
        "patterns",
    )


@require_GET
@reference_reader
def muscle_list(request):
    muscles = list(selectors.muscles_with_use())
    doses = selectors.doses_by_muscle()
    for muscle in muscles:
        muscle.dose_rows = doses.get(muscle.id, [])
    return _page(request, "planner/reference/muscle_list.html", {"muscles": muscles}, "muscles")


@require_GET
@reference_reader
def product_list(request):
    """One table per product of every safety check and the figure it uses, then the clinic-policy thresholds."""
    settings = safety_table.policy_settings()
    context = {
        "entries": safety_table.products_with_checks(),
        "policy_settings": settings,
        "policy_defaults": safety_table.policy_defaults(settings),
    }
    return _page(request, "planner/reference/product_list.html", context, "products")


@require_GET
@reference_reader
def product_detail(request, code):
    try:
        product = selectors.product_detail(code)
    except ref.Product.DoesNotExist:
        raise Http404("No such product.") from None
    form = DilutionForm(request.GET or _worked_example(product), product=product)
    form.is_valid()
    if request.htmx:  # the calculator recalculating as the user types
        return render(
            request, "planner/reference/product_detail.html#calculator-result", {"product": product, "form": form}
        )
    kinds = list(ref.ProductLimit.Kind.values)
    limits = sorted(product.limits.all(), key=lambda limit: (kinds.index(limit.kind), limit.jurisdiction))
    doses = [dose for doses in selectors.doses_by_muscle(product).values() for dose in doses]
    cautions = list(selectors.cautions(product))
    settings = safety_table.policy_settings()
    context = {
        "product": product,
        "limits": limits,
        "entry": safety_table.product_checks(product, cautions, doses=doses),
        "policy_settings": settings,
        "policy_defaults": safety_table.policy_defaults(settings),
        "volumes": product.diluent_volumes.all(),
        "doses": sorted(doses, key=lambda dose: dose.muscle.name),
        "cautions": cautions,
        "form": form,
    }
    return _page(request, "planner/reference/product_detail.html", context, "products")


def _worked_example(product):
    """The calculator opens on the product's first listed dilution (None when none is known)."""
    first = next((volume for volume in product.diluent_volumes.all() if volume.diluent_ml is not None), None)
    if first is None:
        return None
    sizes = product.usable_vial_sizes
    if not sizes:
        return None
    vial = next((size for size in sizes if first.vial_units == size), sizes[0])
    return {"vial_units": str(vial), "diluent_ml": str(first.diluent_ml)}


@require_GET
@reference_reader
def source_list(request):
    return _page(
        request,
        "planner/reference/source_list.html",
        {"sources": ref.Source.objects.filter(is_active=True).order_by("code")},
        "sources",
    )
