"""Plain-data inputs for planner.rules.suggest and planner.rules.safety, built from the shipped clinical reference YAML.

This is what the ORM adapter will do later, done straight from the YAML so the pure functions are
tested against the real reference data set. Values come from the YAML's fields; where the YAML
keeps a limit's source only in an inline comment (``# D14, V``), the source is written out in
``_LIMIT_SOURCES`` below with the same codes.
"""

import re
from decimal import Decimal
from pathlib import Path

import yaml

from planner.rules import policy
from planner.rules.safety import (
    Basis,
    Cautions,
    CumulativeLimit,
    Limit,
    MuscleInfo,
    ProductAmount,
    ProductLimits,
    ScmReduction,
    figure_context_patterns,
)
from planner.rules.suggest import CombinedPart, CombinedPattern, DoseRange, Product, Rule, Verification

_REPO = Path(__file__).resolve().parents[2]
# The repository's own copy first; the shared research copy (beside the checkout in CI) as a fallback.
REFERENCE_PATHS = (
    _REPO / "planner" / "reference" / "clinical-reference.yaml",
    _REPO.parent / "shared" / "reference" / "clinical-reference.yaml",
    Path("/work/shared/reference/clinical-reference.yaml"),
)

FLAGS = {
    "V": Verification.VERIFIED,
    "P": Verification.PARTLY_VERIFIED,
    "C": Verification.COMPUTED,
    "U": Verification.UNVERIFIED,
}
# The YAML's comment on guidance_recommended: "policy derived from G1, G4, G8, S9; design decision".
GUIDANCE_BASIS = Basis(source_codes=policy.GUIDANCE_SOURCE_CODES, verification=Verification.PARTLY_VERIFIED)

# Per-limit sources, from the YAML's inline comments on the products.
_LIMIT_SOURCES = {
    ("ONA", "session_max"): (("D14",), "V"),
    ("ONA", "cumulative_max"): (("D10",), "V"),
    ("ONA", "min_interval_weeks"): (("D14",), "V"),
    ("ABO", "session_max"): (("D1",), "V"),
    ("ABO", "min_interval_weeks"): (("D1",), "V"),
    ("ABO", "naive_start_dose"): (("D1",), "V"),
    ("INCO", "session_max"): (("D7",), "V"),
    ("INCO", "min_interval_weeks"): (("D6",), "V"),
    ("INCO", "naive_start_dose"): (("D6",), "V"),
    ("RIMA", "min_interval_weeks"): (("D3",), "V"),
    ("DAXI", "session_max"): (("D16", "D17"), "V"),
}
# Where a product's limit has several jurisdictions, the first of these that has a number is used.
_JURISDICTIONS = ("eu_gulf_pi", "us", "eu")


def reference_path():
    for path in REFERENCE_PATHS:
        if path.exists():
            return path
    raise FileNotFoundError(f"clinical-reference.yaml not found; looked in {', '.join(map(str, REFERENCE_PATHS))}")


REFERENCE = yaml.safe_load(reference_path().read_text(encoding="utf-8"))


def _decimal(value):
    return None if value is None else Decimal(str(value))


def _codes(value):
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def _number_in(value):
    """A plain number, or the first jurisdiction's number in a {jurisdiction: number} mapping."""
    if isinstance(value, dict):
        value = next((value[key] for key in _JURISDICTIONS if value.get(key) is not None), None)
    return value if isinstance(value, int | float) else None


def _rules():
    names = {muscle["code"]: muscle["name"] for muscle in REFERENCE["muscles"]}
    return tuple(
        Rule(
            pattern_code=row["pattern"],
            muscle_code=row["muscle"],
            muscle_name=names[row["muscle"]],
            side=row["side"],
            priority=row["priority"],
            verification=FLAGS[row["flag"]],
            needs_review=bool(row.get("needs_review", False)),
            source_codes=_codes(row.get("sources")),
            note=row.get("note", ""),
            id=index,
        )
        for index, row in enumerate(REFERENCE["rules"], start=1)
    )


def _combined_patterns():
    return tuple(
        CombinedPattern(
            code=pattern["code"],
            parts=tuple(
                CombinedPart(pattern_code=part["pattern"], side=part["side"]) for part in pattern["components"]
            ),
        )
        for pattern in REFERENCE["patterns"]
        if pattern.get("components")
    )


def _products():
    return {product["code"]: Product(code=product["code"], name=product["brand"]) for product in REFERENCE["products"]}


def _dose_ranges():
    return tuple(
        DoseRange(
            product_code=row["product"],
            muscle_code=row["muscle"],
            min_units=_decimal(row.get("min")),
            max_units=_decimal(row.get("max")),
            median_units=_decimal(row.get("median")),
            source_codes=_codes(row.get("source")),
            verification=FLAGS[row["flag"]],
            kind=row.get("kind", ""),
            note=str(row.get("context") or row.get("note") or ""),
            context_patterns=figure_context_patterns(row.get("kind", ""), row.get("context")),
        )
        for row in REFERENCE["doses"]
    )


def _muscles():
    return {
        muscle["code"]: MuscleInfo(
            code=muscle["code"],
            name=muscle["name"],
            guidance_level=muscle["guidance_recommended"],
            anterior_neck=policy.is_anterior_neck(muscle["code"], muscle["group"]),
            guidance_basis=GUIDANCE_BASIS,
        )
        for muscle in REFERENCE["muscles"]
    }


def _limit(code, field, value, cls=Limit, **extra):
    if value is None:
        return None
    sources, flag = _LIMIT_SOURCES[(code, field)]
    return cls(value=_decimal(value), source_codes=sources, verification=FLAGS[flag], **extra)


def _product_limits():
    limits = {}
    for product in REFERENCE["products"]:
        code = product["code"]
        session_max = _number_in(product.get("session_max_units"))
        if session_max is None and product.get("session_range_units"):
            session_max = product["session_range_units"][1]
        cumulative = product.get("cumulative_max")
        limits[code] = ProductLimits(
            product_code=code,
            session_max=_limit(code, "session_max", session_max),
            cumulative_max=(
                _limit(
                    code,
                    "cumulative_max",
                    cumulative["units"],
                    CumulativeLimit,
                    period_weeks=cumulative["period_weeks"],
                )
                if cumulative
                else None
            ),
            min_interval_weeks=_limit(code, "min_interval_weeks", _number_in(product.get("min_interval_weeks"))),
            naive_start_dose=_limit(code, "naive_start_dose", _number_in(product.get("start_dose_units"))),
        )
    return limits


def _basis(warning):
    return Basis(source_codes=_codes(warning["source"]), verification=FLAGS[warning["flag"]])


def _cautions():
    warnings = {warning["code"]: warning for warning in REFERENCE["warnings"]}
    scm_cap = warnings["SCM_DOSE_CAP_ONA"]
    # "total SCM dose <= 100 U may reduce dysphagia": the number lives in the rule's text.
    cap_units = Decimal(re.search(r"<=\s*(\d+)\s*U", scm_cap["rule"]).group(1))
    halve = warnings["SCM_ANTEROCOLLIS_HALF"]
    assert "halve" in halve["rule"]
    return Cautions(
        scm_muscle_code="SCM",
        scm_total_max=(ProductAmount(product_code=scm_cap["product"], value=cap_units, **vars(_basis(scm_cap))),),
        bilateral_scm=_basis(warnings["SCM_BILATERAL"]),
        scm_reduction=ScmReduction(factor=Decimal("0.5"), pattern_code=halve["pattern"], **vars(_basis(halve))),
        # No source says this one as such: it is the clinic's reading of D12/D21, so "clinic policy".
        prior_dysphagia=Basis(),
        units_not_interchangeable=_basis(warnings["NO_UNIT_CONVERSION"]),
    )


RULES = _rules()
COMBINED_PATTERNS = _combined_patterns()
PRODUCTS = _products()
DOSE_RANGES = _dose_ranges()
MUSCLES = _muscles()
PRODUCT_LIMITS = _product_limits()
CAUTIONS = _cautions()
