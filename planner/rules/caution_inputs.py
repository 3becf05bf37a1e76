"""The reference cautions as ``planner.rules.safety.Cautions``: pure, over plain caution rows.

A row is a mapping with the Caution table's values (``code``, ``products`` (codes), ``muscle`` (code),
``threshold_units``, ``text``, ``sources`` (codes), ``verification``), as the loader's ``build_rows``
gives them or as ``planner.plans.selectors`` reads them from the database. Every caution code the checks use
is named in ``CAUTION_FIELDS`` or in the SCM caution levels (``SCM_DOSE_CAP_*``); the test
tests/planner/test_conditions_cautions.py fails if a shipped caution is used by no check.
"""

from decimal import Decimal

from planner.rules import policy, safety

# Caution code -> the Cautions field that carries it into the checks.
CAUTION_FIELDS = {
    "SCM_BILATERAL": "bilateral_scm",
    "SCM_ANTEROCOLLIS_HALF": "scm_reduction",
    "NO_UNIT_CONVERSION": "units_not_interchangeable",
    "LEVATOR_URI_DYSPHAGIA": "levator_dysphagia",
    "SYMMETRIC_POSTERIOR": "symmetric_posterior",
    "NECK_EXTENSOR_WEAKNESS": "neck_extensor_weakness",
    "DISTANT_SPREAD": "distant_spread",
    "NAIVE_LOWER_START": "naive_lower_start",
    "CUMULATIVE": "cumulative",
    "BASELINE_SWALLOW_SSB": "baseline_swallowing",
    "SCM_LIMIT_ALL": "scm_limit",
}
SCM_CAP_PREFIX = "SCM_DOSE_CAP_"
# The dysphagia caution every anterior neck muscle carries: the clinic's reading of D12 (SCM, levator
# scapulae, small neck muscle mass) and D21 (dysphagia most often follows SCM injection); planner.rules.policy
# says which muscles are anterior neck.
ANTERIOR_NECK_BASIS = safety.Basis(
    source_codes=policy.ANTERIOR_NECK_SOURCE_CODES, verification=policy.ANTERIOR_NECK_VERIFICATION
)
# The cervical dystonia labels are for adults ("all adult ages", D1); the age limit is the clinic's reading.
ADULT_LABEL_BASIS = safety.Basis(source_codes=("D1", "D10", "D7"), verification="partly_verified")


def _basis(row, cls=safety.Basis, **extra):
    if row is None:
        return cls(**extra)
    return cls(
        source_codes=tuple(sorted(row["sources"])),
        verification=row["verification"],
        caution_code=row["code"],
        **extra,
    )


def _product_caution(row):
    return _basis(row, safety.ProductCaution, product_codes=tuple(sorted(row["products"])), text=row["text"])


def build_cautions(rows):
    """safety.Cautions from the active caution rows (any iterable of mappings)."""
    by_code = {row["code"]: row for row in rows}
    scm_caps = tuple(
        safety.ProductAmount(
            product_code=product_code,
            value=Decimal(str(row["threshold_units"])),
            source_codes=tuple(sorted(row["sources"])),
            verification=row["verification"],
            caution_code=row["code"],
        )
        for code, row in sorted(by_code.items())
        if code.startswith(SCM_CAP_PREFIX) and row["threshold_units"] is not None
        for product_code in row["products"]
    )
    # Without a number, a product's SCM caution says so in words; SCM_LIMIT_ALL says "limit it" for its products.
    scm_limit = tuple(
        _product_caution(row)
        for code, row in sorted(by_code.items())
        if (code.startswith(SCM_CAP_PREFIX) and row["threshold_units"] is None) or code == "SCM_LIMIT_ALL"
    )
    naive = by_code.get("NAIVE_LOWER_START")
    return safety.Cautions(
        scm_muscle_code="SCM",
        scm_total_max=scm_caps,
        bilateral_scm=_basis(by_code.get("SCM_BILATERAL")),
        scm_reduction=_basis(
            by_code.get("SCM_ANTEROCOLLIS_HALF"),
            safety.ScmReduction,
            factor=Decimal("0.5"),
            pattern_code="ANTEROCOLLIS",
        ),
        # No source says it in these words: the clinic's reading of D12 and D21 (clinic policy).
        prior_dysphagia=safety.Basis(),
        units_not_interchangeable=_basis(by_code.get("NO_UNIT_CONVERSION")),
        scm_limit=scm_limit,
        levator_dysphagia=_basis(by_code.get("LEVATOR_URI_DYSPHAGIA")),
        symmetric_posterior=_basis(by_code.get("SYMMETRIC_POSTERIOR")),
        neck_extensor_weakness=_basis(by_code.get("NECK_EXTENSOR_WEAKNESS")),
        distant_spread=_basis(by_code.get("DISTANT_SPREAD")),
        naive_lower_start=_product_caution(naive) if naive is not None else None,
        cumulative=_basis(by_code.get("CUMULATIVE")),
        baseline_swallowing=_basis(by_code.get("BASELINE_SWALLOW_SSB")),
        adult_label=ADULT_LABEL_BASIS,
        anterior_neck=ANTERIOR_NECK_BASIS,
    )
