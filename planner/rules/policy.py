"""Clinical classifications and clinic policy the code applies that are not rows of the reference data.

Pure constants (no ORM), so the pure layer (safety, suggest, titration) may use them as well as the
selectors that feed it. Each says where it comes from: a source code of the clinical reference set
(planner/reference/clinical-reference.md) or "clinic policy". A value that differs per product or per
muscle belongs in the reference data instead (ProductLimit, DoseGuideline, Caution, PolicySetting,
ResponsePolicy rows), where a reference admin curates it with its source.
"""

from dataclasses import dataclass, field
from decimal import Decimal

# --- clinic-policy settings: what the code does when a row is missing ---------------------------------
# The clinic's thresholds are PolicySetting rows of the reference data (planner/reference/curation.yaml,
# each with its note and sources). These are the values the app falls back on when a setting has no active
# row; whatever uses a fallback says so ("default used"), so a missing setting is never silent.
SETTING_FALLBACKS = {
    "near_session_max_fraction": Decimal("0.8"),
    "min_volume_per_site_ml": Decimal("0.05"),
    "max_volume_per_site_ml": Decimal("1.0"),
    "median_multiple_warning": Decimal("2"),
    "usual_cycle_weeks": Decimal("12"),
    "lapsed_after_days": Decimal("365"),
    "outside_toxin_window_weeks": Decimal("12"),
}

# What each setting is, as the Reference page, the worklist and the safety findings name it.
SETTING_LABELS = {
    "near_session_max_fraction": "session total near the maximum (fraction)",
    "min_volume_per_site_ml": "smallest plausible volume per site (mL)",
    "max_volume_per_site_ml": "largest plausible volume per site (mL)",
    "median_multiple_warning": "dose above this multiple of a sourced median",
    "usual_cycle_weeks": "usual cycle where the label gives no minimum interval (weeks)",
    "lapsed_after_days": "overdue and not booked for more than this: lapsed (days)",
    "outside_toxin_window_weeks": "toxin given elsewhere listed from this far back, without a labelled period (weeks)",
}

# The values a setting may take, (lowest, highest, whole numbers only), both ends included: a reference admin
# entering one outside them is told so and nothing is saved (PolicySetting.clean), and a value outside them
# that reaches the code anyway is not used: the fallback is, and the finding or page says so.
SETTING_RANGES = {
    "near_session_max_fraction": (Decimal("0.01"), Decimal("1"), False),
    "min_volume_per_site_ml": (Decimal("0.01"), Decimal("10"), False),
    "max_volume_per_site_ml": (Decimal("0.01"), Decimal("10"), False),
    "median_multiple_warning": (Decimal("1"), Decimal("100"), False),
    "usual_cycle_weeks": (Decimal("1"), Decimal("104"), True),
    "lapsed_after_days": (Decimal("1"), Decimal("3650"), True),
    "outside_toxin_window_weeks": (Decimal("1"), Decimal("520"), True),
}


def setting_out_of_range(code, value):
    """Why ``value`` cannot be the ``code`` setting, or None when it can."""
    low, high, whole = SETTING_RANGES[code]
    if low <= value <= high and (not whole or value == value.to_integral_value()):
        return None
    return f"Enter a {'whole number' if whole else 'value'} from {low} to {high}."


@dataclass(frozen=True)
class PolicyValues:
    """Every clinic-policy setting's value: the active rows' values, the fallback for the others."""

    values: dict = field(default_factory=dict)  # {code: Decimal} of the active rows

    def __getitem__(self, code):
        return self.values.get(code, SETTING_FALLBACKS[code])

    def default_used(self, code):
        """Whether ``code`` has no active row, so its fallback is used."""
        return code not in self.values

    @property
    def defaults_used(self):
        return frozenset(code for code in SETTING_FALLBACKS if self.default_used(code))


def fallback_text(code):
    """The fallback as shown: '12', '0.8' (no exponent, no trailing zeros)."""
    return f"{SETTING_FALLBACKS[code].normalize():f}"


def default_used_reason(code):
    """'the reference data has no active setting "usual cycle where ... (weeks)" (usual_cycle_weeks) from 1 to
    104; the built-in 12 applies': named as clinicians read it, with the code a reference admin looks for."""
    low, high, _ = SETTING_RANGES[code]
    return (
        f"the reference data has no active setting “{SETTING_LABELS[code]}” ({code}) from {low} to {high}; "
        f"the built-in {fallback_text(code)} applies"
    )


def default_used_text(code):
    """'default used: the reference data has no active ... setting; the built-in 12 applies'."""
    return f"default used: {default_used_reason(code)}"


# --- who counts as an adult -------------------------------------------------------------------------
# The cervical dystonia labels are for adults: 18 and over (the AGE_UNDER_18 finding cites the labels).
ADULT_AGE = 18

# --- input sanity ------------------------------------------------------------------------------------
# Not clinical limits. The plan editor's dose field takes at most MAX_DOSE units a row (the reference
# data's largest plausible number, planner.reference.numbers.UNITS); the safety checks, which also see
# doses that never went through the form, call a dose from DOSE_CEILING on a typing error (DOSE_INVALID):
# no product's session comes near a million units.
MAX_DOSE = Decimal("100000")
DOSE_CEILING = Decimal(1_000_000)

# --- which muscles count as what ------------------------------------------------------------------
# Muscle groups (planner.models.Muscle.Group values) whose injection counts as "anterior neck" for the
# dysphagia caution: the clinic's reading of D12 (SCM, small neck muscle mass) and D21 (dysphagia most
# often follows SCM injection).
ANTERIOR_NECK_GROUPS = frozenset({"anterolateral", "anterior", "prevertebral"})
# Muscles that count as anterior neck whatever group the reference data gives them (D21).
ANTERIOR_NECK_MUSCLES = frozenset({"SCM"})
# The basis the anterior-neck dysphagia caution cites (planner.rules.caution_inputs).
ANTERIOR_NECK_SOURCE_CODES = ("D12", "D21")
ANTERIOR_NECK_VERIFICATION = "verified"
# Posterior muscle groups whose injection on BOTH sides may weaken neck extension (clinical-reference.md
# §5); titration points at them after neck weakness or dysphagia.
POSTERIOR_NECK_GROUPS = frozenset({"posterior", "suboccipital"})


def is_anterior_neck(muscle_code, group):
    """Whether a muscle counts as anterior neck for the dysphagia caution."""
    return muscle_code in ANTERIOR_NECK_MUSCLES or group in ANTERIOR_NECK_GROUPS


# --- guidance --------------------------------------------------------------------------------------
# The reference set's note on a muscle's guidance level: "policy derived from G1, G4, G8, S9" (partly
# verified): the level is clinic policy read from those sources.
GUIDANCE_SOURCE_CODES = ("G1", "G4", "G8", "S9")
GUIDANCE_VERIFICATION = "partly_verified"

# --- titration -------------------------------------------------------------------------------------
# Side effects after which titration suggests reducing the muscles they usually follow (clinical-reference.md
# §5: D12, D21), with the words the hint uses for each (patients.models.AdverseEvent.Kind values).
REDUCING_KINDS = {"dysphagia": "dysphagia", "neck_weakness": "neck weakness"}
