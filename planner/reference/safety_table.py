"""Every safety check per product, read from the loaded reference data: one table, no blank cell.

The Reference pages show it per product, and `manage.py safety_table` writes it into the README, so
what the documentation says the checks use is what the data holds. Where the data has no figure, the
cell says "not labelled" and what the planner does instead.
"""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.template.loader import render_to_string

from planner import models as ref
from planner.reference.formatting import amount, span
from planner.reference.limits import effective_limit
from planner.rules.policy import SETTING_FALLBACKS, default_used_reason, fallback_text

Kind = ref.ProductLimit.Kind


@dataclass(frozen=True)
class Check:
    key: str
    label: str
    stop: str  # what happens when a plan goes past it
    instead: str  # what the planner does when the product has no figure for it


ERROR = "error: blocks signing"
OVERRIDE = "override: signing needs the neurologist's reason"
WARNING = "warning: acknowledged before signing"
SHOWN = "shown with the plan, not checked"

LIMIT_CHECKS = (
    Check(Kind.SESSION_MAX, "Labelled maximum per session", OVERRIDE, "the hard ceiling applies"),
    Check(Kind.HARD_CEILING, "Hard ceiling per session", ERROR, "the labelled maximum applies"),
    Check(
        Kind.CUMULATIVE_MAX,
        "Cumulative maximum over a period",
        OVERRIDE,
        "each session is checked against its own maximum and the hard ceiling",
    ),
    Check(
        Kind.MIN_INTERVAL_WEEKS,
        "Minimum interval since the last signed session (any product)",
        OVERRIDE,
        "no interval check",
    ),
    Check(
        Kind.NAIVE_START_DOSE,
        "Starting dose, toxin-naive patients",
        OVERRIDE,
        "no start-dose check; the plan shows the label's advice for toxin-naive patients",
    ),
    Check(Kind.START_DOSE, "Starting dose, previously treated", SHOWN, "nothing shown"),
    Check(Kind.SESSION_RANGE_MIN, "Labelled session range, lower end", SHOWN, "nothing shown"),
    Check(Kind.SESSION_RANGE_MAX, "Labelled session range, upper end", SHOWN, "the session maximum applies"),
    Check(Kind.TITRATION_STEP, "Titration step", SHOWN, "nothing shown"),
    Check(Kind.MAX_UNITS_PER_SITE, "Maximum per injection site", SHOWN, "no per-site maximum"),
    Check(
        Kind.RECONSTITUTED_USE_HOURS,
        "Use within, after reconstitution",
        ERROR,
        "no use-by time is checked",
    ),
)
SCM_CHECK = Check(
    "scm_caution",
    "SCM caution level (total per session)",
    WARNING,
    "no sourced SCM level; an SCM row warns 'check the dose'",
)
DOSE_CHECK = Check(
    "muscle_doses",
    "Sourced doses per muscle",
    WARNING,
    "no sourced dose for any muscle; every row warns 'check the dose'",
)
CHECKS = (*LIMIT_CHECKS, SCM_CHECK, DOSE_CHECK)


@dataclass(frozen=True)
class Cell:
    """One product's figure for one check."""

    value: str  # "300 U Botox", or "not labelled"
    instead: str  # what the planner does when there is no figure ("" when there is one)
    note: str
    sources: tuple[str, ...]
    verification: str
    clinic_policy: bool = False

    @property
    def is_labelled(self):
        return not self.instead

    @property
    def summary(self):
        """The cell in one line of plain text: '300 U Botox (EU-type / Gulf PI); D14, verified'."""
        value = self.value if self.is_labelled else f"{self.value}: {self.instead}"
        flag = ref.Verification(self.verification).label if self.verification else ""
        provenance = ", ".join(part for part in (", ".join(self.sources), flag) if part)
        text = f"{value}; {provenance}" if provenance else value
        return f"{text}; clinic policy" if self.clinic_policy else text


@dataclass(frozen=True)
class ProductChecks:
    product: ref.Product
    rows: tuple[tuple[Check, Cell], ...]


def _limit_cell(product, check, limits):
    rows = [limit.as_row() for limit in limits]
    effective = effective_limit(check.key, rows)
    chosen = next(
        (
            limit
            for limit in limits
            if limit.kind == check.key
            and limit.jurisdiction == effective.jurisdiction
            and effective.value is not None
            and limit.value == effective.value
        ),
        None,
    )
    if effective.value is None:
        return Cell(
            value="not labelled",
            instead=check.instead,
            note=effective.note,
            sources=effective.sources,
            # No row at all: nothing was checked, so there is no flag to show.
            verification=effective.verification if effective.considered else "",
            clinic_policy=any(limit.clinic_policy for limit in limits if limit.kind == check.key),
        )
    unit = {Kind.MIN_INTERVAL_WEEKS: "weeks", Kind.RECONSTITUTED_USE_HOURS: "hours"}.get(check.key, product.units_label)
    value = f"{effective.amount_text} {unit}"
    if effective.period_weeks:
        value += f" per {effective.period_weeks} weeks"
    if effective.jurisdiction and effective.jurisdiction != ref.ProductLimit.Jurisdiction.ALL:
        value += f" ({ref.ProductLimit.Jurisdiction(effective.jurisdiction).label})"
    return Cell(
        value=value,
        instead="",
        note=effective.note,
        sources=effective.sources,
        verification=effective.verification,
        clinic_policy=bool(chosen and chosen.clinic_policy),
    )


def _scm_cell(product, cautions):
    scm = [caution for caution in cautions if caution.muscle_id and caution.muscle.code == "SCM"]
    # The product's own level first: one with a threshold, else one that says there is none.
    own = [caution for caution in scm if [item.code for item in caution.products.all()] == [product.code]]
    with_level = [caution for caution in own if caution.threshold_units is not None]
    caution = (with_level or own or [None])[0]
    if caution is None:
        return Cell("not labelled", SCM_CHECK.instead, "", (), "")
    sources = tuple(sorted(source.code for source in caution.sources.all()))
    if caution.threshold_units is None:
        return Cell(
            "not labelled", SCM_CHECK.instead, caution.text, sources, caution.verification, caution.clinic_policy
        )
    return Cell(
        f"{amount(caution.threshold_units)} {product.units_label}",
        "",
        caution.text,
        sources,
        caution.verification,
        caution.clinic_policy,
    )


def _dose_cell(product, doses):
    if not doses:
        return Cell("not labelled", DOSE_CHECK.instead, "", (), "")
    muscles = sorted({dose.muscle.name for dose in doses})
    sources = tuple(sorted({source.code for dose in doses for source in dose.sources.all()}))
    weakest = max(
        (dose.verification for dose in doses),
        key=lambda flag: ["verified", "computed", "partly_verified", "unverified"].index(flag),
    )
    figures = "; ".join(
        f"{dose.muscle.name} {_dose_figure(dose)}" for dose in sorted(doses, key=lambda d: (d.muscle.name, d.kind))
    )
    return Cell(
        f"{len(muscles)} muscles",
        "",
        f"{figures}. Any other muscle: no sourced dose, the row warns 'check the dose'.",
        sources,
        weakest,
    )


def _dose_figure(dose):
    """'50–350 U (median 125, trial)': range or median, and what kind of figure it is."""
    kind = {"trial_observed": "trial", "expert_example": "expert example", "label_table": "label table"}[dose.kind]
    parts = [dose.headline]
    if dose.median_units is not None and (dose.min_units is not None or dose.max_units is not None):
        parts.append(f"median {amount(dose.median_units)}")
    if dose.context:
        kind = f"{kind}, {dose.context}"
    elif dose.iqr_low is not None:
        parts.append(f"IQR {span(dose.iqr_low, dose.iqr_high)}")
    return f"{', '.join(parts)} ({kind})"


def products_with_checks():
    """Every active product with its checks, in a fixed number of queries."""
    sources = Prefetch("sources", queryset=ref.Source.objects.order_by("code"))
    limits = ref.ProductLimit.objects.filter(is_active=True).prefetch_related(sources)
    doses = (
        ref.DoseGuideline.objects.filter(is_active=True, muscle__is_active=True)
        .select_related("muscle", "product")
        .prefetch_related(sources)
    )
    products = list(
        ref.Product.objects.filter(is_active=True).prefetch_related(
            Prefetch("limits", queryset=limits), Prefetch("doses", queryset=doses)
        )
    )
    cautions = list(
        ref.Caution.objects.filter(is_active=True, muscle__code="SCM")
        .select_related("muscle")
        .prefetch_related(sources, "products")
    )
    return [product_checks(product, cautions) for product in products]


def product_checks(product, cautions, *, doses=None):
    """``product`` with its active limits (and sources) prefetched; ``cautions`` with muscle, sources and
    products; ``doses``: the product's active dose rows, or None to read the prefetched ``product.doses``."""
    limits = list(product.limits.all())
    rows = [(check, _limit_cell(product, check, limits)) for check in LIMIT_CHECKS]
    rows.append((SCM_CHECK, _scm_cell(product, cautions)))
    rows.append((DOSE_CHECK, _dose_cell(product, list(product.doses.all()) if doses is None else doses)))
    return ProductChecks(product=product, rows=tuple(rows))


def markdown_cell(text):
    """Plain text made safe for one Markdown table cell: one line, no column breaks, no markup."""
    text = " ".join(str(text).split())
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|")):
        text = text.replace(raw, escaped)
    return text


def render_markdown():
    """The README's safety table, from the loaded reference data."""
    products = products_with_checks()
    context = {
        "products": [markdown_cell(entry.product.brand_name) for entry in products],
        "checks": [
            {
                "label": markdown_cell(check.label),
                "stop": markdown_cell(check.stop),
                "cells": [markdown_cell(dict(entry.rows)[check].summary) for entry in products],
            }
            for check in CHECKS
        ],
        "settings": [
            {
                "label": markdown_cell(setting.get_code_display()),
                "value": markdown_cell(setting.value_text),
                "note": markdown_cell(setting.note),
                "sources": markdown_cell(", ".join(source.code for source in setting.sources.all())),
            }
            for setting in policy_settings()
        ],
    }
    return render_to_string("planner/reference/safety_table.md", context).strip() + "\n"


README_START = "<!-- safety-table:start -->"
README_END = "<!-- safety-table:end -->"


class ReadmeMarkersMissing(Exception):
    pass


def readme_table(readme_text):
    """The text between the README's safety-table markers."""
    start, end = readme_text.find(README_START), readme_text.find(README_END)
    if start < 0 or end < start:
        raise ReadmeMarkersMissing(f"The README needs {README_START} and {README_END} under '## Safety checks'.")
    return readme_text[start + len(README_START) : end].strip("\n") + "\n"


def with_table(readme_text, table):
    """The README with ``table`` between its markers (raises ReadmeMarkersMissing)."""
    readme_table(readme_text)
    start, end = readme_text.find(README_START) + len(README_START), readme_text.find(README_END)
    return f"{readme_text[:start]}\n{table.strip()}\n{readme_text[end:]}"


def policy_settings():
    """The active clinic-policy thresholds with their sources and reviewer; ``value_text``: '0.05'."""
    settings = list(
        ref.PolicySetting.objects.filter(is_active=True)
        .select_related("reviewed_by")
        .prefetch_related(Prefetch("sources", queryset=ref.Source.objects.order_by("code")))
    )
    for setting in settings:
        setting.value_text = amount(setting.value)
    return settings


def policy_defaults(settings):
    """The clinic-policy settings with no active row among ``settings`` (``policy_settings()``), as
    (label, the fallback value that applies, what the app does instead): the page says so."""
    present = {setting.code for setting in settings}
    return [
        (ref.PolicySetting.Code(code).label, fallback_text(code), default_used_reason(code))
        for code in SETTING_FALLBACKS
        if code not in present
    ]
