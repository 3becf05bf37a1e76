"""Units of different toxin products are never mixed or converted: not in the schema, the data or the code.

100 U of one product is not 100 U of another. These tests fail if someone adds a conversion ratio to
the reference tables, ships one in the data, or writes code that converts between products.
"""

import ast
import re
from pathlib import Path

import pytest
from django.db import models

from planner import models as ref

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped_reference")]

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_MODELS = [
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
]
CONVERSION_WORDS = re.compile(r"convert|conversion|equivalen|exchange|(^|_)(ratio|factor)(_|$)", re.I)


def test_no_reference_table_has_a_field_for_relating_two_products():
    for model in REFERENCE_MODELS:
        for field in model._meta.get_fields():
            assert not CONVERSION_WORDS.search(field.name), f"{model.__name__}.{field.name}"
            if field.is_relation and field.related_model is ref.Product and field.many_to_one:
                # A unit-bearing row belongs to exactly one product.
                assert not field.null, f"{model.__name__}.{field.name}"
    # No table points at two products (a "from" and a "to").
    for model in REFERENCE_MODELS:
        to_product = [
            field
            for field in model._meta.get_fields()
            if isinstance(field, models.ForeignKey) and field.related_model is ref.Product
        ]
        assert len(to_product) <= 1, model.__name__


def test_every_dose_and_limit_is_in_the_units_of_one_product():
    product_names = {name for product in ref.Product.objects.all() for name in (product.brand_name, product.code)}
    for dose in ref.DoseGuideline.objects.select_related("product"):
        assert dose.headline.endswith(dose.product.units_label) or dose.product.units_label in dose.headline
        # A dose row's own text never names another product.
        own = {dose.product.brand_name, dose.product.code}
        for name in product_names - own:
            assert name not in f"{dose.context} {dose.note}", dose
    for caution in ref.Caution.objects.filter(threshold_units__isnull=False):
        assert caution.products.count() == 1, caution.code


def test_the_loaded_set_holds_no_conversion_ratio_anywhere():
    brands = [re.escape(product.brand_name.split(" /")[0]) for product in ref.Product.objects.all()]
    brand = "|".join(brands)
    # "3:1", or two products' names joined by "ratio", "equals", "=" or "per".
    ratio = re.compile(rf"\b\d+(\.\d+)?\s*:\s*1\b|({brand}).{{0,40}}\b(ratio|equals?|=|per)\b.{{0,40}}({brand})", re.I)
    for model in REFERENCE_MODELS:
        text_fields = [
            field.name for field in model._meta.fields if isinstance(field, models.CharField | models.TextField)
        ]
        for row in model.objects.all():
            for name in text_fields:
                value = getattr(row, name)
                assert not ratio.search(value), f"{model.__name__} {row.pk}.{name}: {value!r}"
    caution = ref.Caution.objects.get(code="NO_UNIT_CONVERSION")
    assert caution.text == "units are product-specific; never convert"


CONVERTING = {
    "convert",
    "converts",
    "converted",
    "conversion",
    "converter",
    "equivalence",
    "equivalent",
    "ratio",
    "factor",
}
UNIT_WORDS = {"unit", "units", "dose", "doses", "product", "products", "toxin", "toxins"}
BRANDS = {"botox", "dysport", "xeomin", "myobloc", "daxxify", "ona", "abo", "inco", "rima", "daxi"}


def names_a_unit_conversion(name):
    """convert_units, dose_equivalence, unitsRatio, botox_to_dysport: yes. concentration_units_per_ml: no."""
    words = [word.lower() for word in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)]
    if CONVERTING & set(words) and UNIT_WORDS & set(words):
        return True
    return any(first in BRANDS and second == "to" for first, second in zip(words, words[1:], strict=False))


def python_files():
    for folder in ("planner", "patients"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


@pytest.mark.parametrize(
    "name,is_conversion",
    [
        ("convert_units", True),
        ("dose_equivalence", True),
        ("unitsRatio", True),
        ("botox_to_dysport", True),
        ("TOXIN_PREPARATION", False),
        ("concentration_units_per_ml", False),
        ("volume_to_draw", False),
        ("convert_date", False),
    ],
)
def test_the_name_check_tells_a_unit_conversion_apart(name, is_conversion):
    assert names_a_unit_conversion(name) is is_conversion


def test_no_code_path_converts_units_between_products():
    """No function, class, variable, attribute or argument is named for converting units between products."""
    offenders = []
    for path in python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.append(node.name)
                names += [arg.arg for arg in node.args.args + node.args.kwonlyargs] if hasattr(node, "args") else []
            elif isinstance(node, ast.Name | ast.Attribute):
                names.append(node.id if isinstance(node, ast.Name) else node.attr)
            for name in names:
                if names_a_unit_conversion(name):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert offenders == []
