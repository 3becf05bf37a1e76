"""Safety findings for a draft injection session: a pure function over plain data (no ORM, no request).

``check_session`` takes the draft session, the patient's history, the present posture and the
reference data (product limits, dose guidelines, muscles, cautions) as the frozen dataclasses
below and returns ``Finding`` rows sorted errors first. Errors stop signing; overrides need a
written reason; warnings must be acknowledged (``Finding.key`` names the instance an
acknowledgement is stored against); infos are shown. The function never raises: a dose that is
not a positive number, a missing side or a bad number of sites becomes an error finding, and
reference values that are not numbers are treated as absent.

The input contract
------------------
``DraftSession(visit_date, product, rows, lot_expiry, vial_units, diluent_ml)``
    ``rows`` are ``InjectionRow(muscle_code, side, dose, sites, guidance)``: ``dose`` is a Decimal
    or the raw text or None as typed (in the product's units); ``sites`` a whole number >= 1 (None:
    not given); ``guidance`` anatomical, emg or ultrasound (the adapter copies the session's
    guidance into rows that have none). ``vial_units`` and ``diluent_ml`` describe the dilution
    (Myobloc, a solution of 5000 U/mL: vial_units=5000, diluent_ml=1); either None skips the
    volume check. ``lot_expiry`` None (not prepared yet) skips the expiry check. What signing needs
    beyond the plan: ``require_preparation`` (then lot number, expiry and dilution must be there),
    ``lot_number``, ``reconstituted_at``, ``today`` (the clinic's date; None skips the future-visit
    check), ``now`` (None skips the reconstitution age) and ``patient_active``.
``PatientHistory(sessions, adverse_events, toxin_naive, prior_dysphagia)``
    ``sessions`` are the patient's SIGNED sessions, ``SignedSession(date, product, rows)``; sessions
    dated after the draft's visit are ignored. ``adverse_events`` are ``AdverseEvent(kind, severity,
    date, grade)``; kind "dysphagia" with a grade other than 0 counts as prior dysphagia, and so does
    ``prior_dysphagia`` (set it for dysphagia before any injection, such as baseline swallowing
    difficulty). ``toxin_naive`` is the patient's flag.
``posture`` and ``combined_patterns``
    The present Col-Cap components and combined-pattern expansions, as for ``planner.rules.suggest``:
    anterocollis counts when recorded directly or as a part of a present combined pattern.
``limits``
    ``ProductLimits`` for the draft's product (others are ignored): ``session_max``,
    ``cumulative_max`` (with ``period_weeks``), ``min_interval_weeks`` and ``naive_start_dose``,
    each a sourced ``Limit`` or None. None means "not labeled": no finding pretends a limit exists
    (an info says there is no labeled session maximum or naive starting dose).
``guidelines``
    ``planner.rules.suggest.DoseRange`` rows; only those of the draft's product are used. A dose is
    checked against every range with a bound for its muscle, and the finding names each range it
    falls outside.
``muscles``
    ``MuscleInfo(code, name, guidance_level, anterior_neck, guidance_basis)``, a mapping by code or
    an iterable. Unknown muscles are named by their code and have no guidance requirement.
``cautions``
    The sourced cautions (``Cautions``): the SCM total caution level per product, bilateral SCM, the
    halved SCM dose in anterocollis, anterior neck muscles after dysphagia, and the units rule.
    A caution without sources is labeled "clinic policy".
``policy``
    ``SafetyPolicy``: thresholds no source publishes (when a session total is "near" the maximum,
    the plausible volume per site, the window for toxin given elsewhere). Their findings say "clinic
    policy", and name each setting the reference data has no row for (``defaults_used``): the built-in
    default was used.

Findings
--------
Four levels. ``error`` blocks signing. ``override`` blocks signing until the signing neurologist writes
a reason (it is stored with the session and counted as an off-label override). ``warning`` is
acknowledged, the reason optional. ``info`` is shown.

=============================  ========  =================================================================
code                           level     when
=============================  ========  =================================================================
DOSE_INVALID                   error     a dose that is missing, not a number, <= 0, or >= 1,000,000 units
SIDE_INVALID                   error     a row without left or right
SITES_INVALID                  error     sites given but not a whole number >= 1
HARD_CEILING_EXCEEDED          error     the session total above the product's hard ceiling (clinic policy)
LOT_EXPIRED                    error     the lot's expiry date is before the visit date
PREPARATION_MISSING            error     ``require_preparation`` and no lot number, expiry or usable dilution
RECONSTITUTED_TOO_LONG_AGO     error     ``now`` - ``reconstituted_at`` above the product's use-within hours
VISIT_IN_FUTURE                error     the visit date after ``today`` (the clinic's date)
PATIENT_INACTIVE               error     ``patient_active`` is False
SESSION_MAX_EXCEEDED           override  the session total is above the labeled session maximum
CUMULATIVE_MAX_EXCEEDED        override  same-product signed doses in the window + the plan exceed the maximum
INTERVAL_TOO_SHORT             override  fewer days since the last signed session (any product) than the
                                         draft product's minimum interval
NAIVE_ABOVE_START_DOSE         override  a toxin-naive patient's total above the labeled starting dose
DOSE_OUT_OF_RANGE              warning   a dose outside a sourced range; the finding says what the figure is
                                         ("seen in the Dysport trial", "the Botox label's range")
DOSE_ABOVE_MEDIAN_MULTIPLE     warning   only a median is sourced and the dose is above policy multiple x it
DOSE_NOT_SOURCED               warning   no sourced figure for the product and muscle (in this context)
RECONSTITUTION_TIME_MISSING    warning   a product with a use-within time and no ``reconstituted_at``
SCM_BILATERAL                  warning   SCM planned on both sides
SCM_TOTAL_ABOVE_CAUTION        warning   the SCM total above the product's caution level (Botox 100 U, D12)
SCM_ANTEROCOLLIS_NOT_REDUCED   warning   anterocollis present and an SCM dose above factor x the product's
                                         usual SCM dose (the lowest median or range middle), or no usual dose
DYSPHAGIA_ANTERIOR_NECK        warning   SCM or an anterior neck muscle after dysphagia
GUIDANCE_REQUIRED              warning   a muscle whose guidance is "required" planned by landmarks
VOLUME_PER_SITE_IMPLAUSIBLE    warning   dose / sites / (vial units / diluent mL) outside the policy range
SESSION_MAX_NEAR               info      the total at or above the policy fraction of the session maximum
SESSION_MAX_NOT_LABELED        info      no labeled session maximum for the product
HARD_CEILING_NOT_SET           info      no hard ceiling for the product
NAIVE_START_NOT_LABELED        info      a toxin-naive patient and no labeled starting dose
CUMULATIVE_OTHER_PRODUCTS      info      other products' sessions in the window, not counted
PRODUCT_SWITCH                 info      the last signed session used another product (its doses listed)
CONDITION                      per code  a coded condition or medicine current on the visit day (its level from
                                         the reference data; product-scoped codes only for their products)
AGE_UNDER_18                   override  the patient is under 18 on the visit day (the labels are for adults)
PRIOR_DISTANT_SPREAD           override  breathing difficulty or ptosis reported after an earlier session
POSTERIOR_ASYMMETRIC           warning   no rotation, tilt, shift or shoulder elevation, yet posterior rows differ
ANTERIOR_NECK_BILATERAL        warning   a non-SCM anterior neck muscle planned on both sides
BASELINE_SWALLOWING_NOT_RECORDED warning backward sagittal shift present and baseline swallowing not assessed
ANTERIOR_NECK_DYSPHAGIA        info      anterior neck muscles planned, no dysphagia history (with it: the warning)
LEVATOR_URI_DYSPHAGIA          info      levator scapulae planned (it also counts in DYSPHAGIA_ANTERIOR_NECK)
NECK_EXTENSOR_WEAKNESS         info      posterior neck muscles planned on both sides
SCM_NO_DOSE_LEVEL              info      SCM planned with a product that has no sourced SCM dose level
OUTSIDE_TOXIN                  info      toxin given elsewhere in the window (same product counted, others not)
=============================  ========  =================================================================

Toxin given elsewhere (``PatientHistory.outside_doses``) counts in the cumulative maximum and the interval of
its own product only; ``Finding.caution_codes`` names the reference cautions a finding applies.

A figure given for one context (``DoseRange.context_patterns``, e.g. 60 U splenius capitis for head
tremor) is used only when one of its patterns is present in the posture; otherwise the row is checked
against the product's other figures, or said to have none.

Only rows whose dose is valid count anywhere else. Without rows there are no dose findings
(``DOSE_CODES``): only the interval, the product switch and the lot are checked. Keys are the
code, plus muscle code and side for a row's finding (``DOSE_OUT_OF_RANGE:SCM:left``), the date
of the last session for the interval, and the two product codes for a switch. Same-day history
sessions are ordered by their content, so the input order of the history never matters. Findings are sorted
errors, overrides, warnings, infos; within a level session findings first, then rows in order.

Units
-----
Every amount in a finding is labeled with its product ("60 U Botox"). No code path converts units
between products or adds them: totals (session, cumulative, SCM) only add doses of the draft's
product, every reference value in product units carries its product code and is used only for
that product, and the product-switch finding lists the previous doses in their own product's units.

Dates
-----
The cumulative window is the ``period_weeks`` ending on the visit date: sessions strictly less
than ``period_weeks * 7`` days before it (so a session exactly 12 weeks earlier is outside a
12-week window). The interval is counted in days from the last signed session of ANY product on
or before the visit date. A lot is expired when its expiry date is before the visit date.
"""

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from enum import StrEnum

from patients.dysphagia import dysphagia_reported
from planner.rules.policy import ADULT_AGE, DOSE_CEILING, SETTING_FALLBACKS, default_used_text, setting_out_of_range
from planner.rules.suggest import (
    VERIFICATION_RANK,
    CombinedPattern,
    DoseRange,
    PostureComponent,
    Product,
    Side,
    Verification,
    expand_components,
    format_codes,
    format_number,
    lower_first,
    pattern_name,
)
from planner.rules.totals import dose_total, volume_per_site


class Level(StrEnum):
    ERROR = "error"  # blocks signing
    OVERRIDE = "override"  # blocks signing until the signing neurologist writes a reason
    WARNING = "warning"  # acknowledged; the reason is optional
    INFO = "info"  # shown


LEVEL_RANK = {Level.ERROR: 0, Level.OVERRIDE: 1, Level.WARNING: 2, Level.INFO: 3}


class Guidance(StrEnum):
    ANATOMICAL = "anatomical"
    EMG = "emg"
    ULTRASOUND = "ultrasound"


class GuidanceLevel(StrEnum):
    OPTIONAL = "optional"
    RECOMMENDED = "recommended"
    REQUIRED = "required"


# Finding codes. DOSE_CODES are the ones that exist only because doses are planned.
DOSE_INVALID = "DOSE_INVALID"
SIDE_INVALID = "SIDE_INVALID"
SITES_INVALID = "SITES_INVALID"
DOSE_OUT_OF_RANGE = "DOSE_OUT_OF_RANGE"
SESSION_MAX_EXCEEDED = "SESSION_MAX_EXCEEDED"
SESSION_MAX_NEAR = "SESSION_MAX_NEAR"
SESSION_MAX_NOT_LABELED = "SESSION_MAX_NOT_LABELED"
CUMULATIVE_MAX_EXCEEDED = "CUMULATIVE_MAX_EXCEEDED"
CUMULATIVE_OTHER_PRODUCTS = "CUMULATIVE_OTHER_PRODUCTS"
INTERVAL_TOO_SHORT = "INTERVAL_TOO_SHORT"
SCM_BILATERAL = "SCM_BILATERAL"
SCM_TOTAL_ABOVE_CAUTION = "SCM_TOTAL_ABOVE_CAUTION"
SCM_ANTEROCOLLIS_NOT_REDUCED = "SCM_ANTEROCOLLIS_NOT_REDUCED"
DYSPHAGIA_ANTERIOR_NECK = "DYSPHAGIA_ANTERIOR_NECK"
GUIDANCE_REQUIRED = "GUIDANCE_REQUIRED"
PRODUCT_SWITCH = "PRODUCT_SWITCH"
LOT_EXPIRED = "LOT_EXPIRED"
NAIVE_ABOVE_START_DOSE = "NAIVE_ABOVE_START_DOSE"
NAIVE_START_NOT_LABELED = "NAIVE_START_NOT_LABELED"
VOLUME_PER_SITE_IMPLAUSIBLE = "VOLUME_PER_SITE_IMPLAUSIBLE"
HARD_CEILING_EXCEEDED = "HARD_CEILING_EXCEEDED"
HARD_CEILING_NOT_SET = "HARD_CEILING_NOT_SET"
DOSE_NOT_SOURCED = "DOSE_NOT_SOURCED"
DOSE_ABOVE_MEDIAN_MULTIPLE = "DOSE_ABOVE_MEDIAN_MULTIPLE"
PREPARATION_MISSING = "PREPARATION_MISSING"
RECONSTITUTED_TOO_LONG_AGO = "RECONSTITUTED_TOO_LONG_AGO"
RECONSTITUTION_TIME_MISSING = "RECONSTITUTION_TIME_MISSING"
VISIT_IN_FUTURE = "VISIT_IN_FUTURE"
PATIENT_INACTIVE = "PATIENT_INACTIVE"
# Issue 14: the patient's conditions and medicines, and every reference caution.
CONDITION = "CONDITION"
AGE_UNDER_18 = "AGE_UNDER_18"
PRIOR_DISTANT_SPREAD = "PRIOR_DISTANT_SPREAD"
ANTERIOR_NECK_DYSPHAGIA = "ANTERIOR_NECK_DYSPHAGIA"
ANTERIOR_NECK_BILATERAL = "ANTERIOR_NECK_BILATERAL"
LEVATOR_URI_DYSPHAGIA = "LEVATOR_URI_DYSPHAGIA"
POSTERIOR_ASYMMETRIC = "POSTERIOR_ASYMMETRIC"
NECK_EXTENSOR_WEAKNESS = "NECK_EXTENSOR_WEAKNESS"
SCM_NO_DOSE_LEVEL = "SCM_NO_DOSE_LEVEL"
BASELINE_SWALLOWING_NOT_RECORDED = "BASELINE_SWALLOWING_NOT_RECORDED"
OUTSIDE_TOXIN = "OUTSIDE_TOXIN"

DOSE_CODES = frozenset(
    {
        DOSE_INVALID,
        SIDE_INVALID,
        SITES_INVALID,
        DOSE_OUT_OF_RANGE,
        SESSION_MAX_EXCEEDED,
        SESSION_MAX_NEAR,
        SESSION_MAX_NOT_LABELED,
        CUMULATIVE_MAX_EXCEEDED,
        CUMULATIVE_OTHER_PRODUCTS,
        SCM_BILATERAL,
        SCM_TOTAL_ABOVE_CAUTION,
        SCM_ANTEROCOLLIS_NOT_REDUCED,
        DYSPHAGIA_ANTERIOR_NECK,
        GUIDANCE_REQUIRED,
        NAIVE_ABOVE_START_DOSE,
        NAIVE_START_NOT_LABELED,
        VOLUME_PER_SITE_IMPLAUSIBLE,
        HARD_CEILING_EXCEEDED,
        HARD_CEILING_NOT_SET,
        DOSE_NOT_SOURCED,
        DOSE_ABOVE_MEDIAN_MULTIPLE,
        ANTERIOR_NECK_DYSPHAGIA,
        ANTERIOR_NECK_BILATERAL,
        LEVATOR_URI_DYSPHAGIA,
        POSTERIOR_ASYMMETRIC,
        NECK_EXTENSOR_WEAKNESS,
        SCM_NO_DOSE_LEVEL,
    }
)
# Adverse events after toxin that suggest distant spread of its effect (patients.models.AdverseEvent.Kind).
DISTANT_SPREAD_KINDS = frozenset({"breathing", "vision_ptosis", "generalised_weakness"})
# Components that make a plan asymmetric on purpose: with none of them, posterior injections are symmetric.
LATERAL_COMPONENTS = frozenset(
    {"TORTICAPUT", "TORTICOLLIS", "LATEROCAPUT", "LATEROCOLLIS", "LATERAL_SHIFT", "SHOULDER_ELEVATION"}
)
# What a figure is, by the DoseGuideline kind it comes from: a trial's doses are what was seen, not advice.
FIGURE_KINDS = {
    "trial_observed": "seen in the {product} trial",
    "label_table": "the {product} label's range",
    "expert_example": "an expert example for {product}",
}

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_GUIDED = frozenset({Guidance.EMG, Guidance.ULTRASOUND})


@dataclass(frozen=True, kw_only=True)
class Basis:
    """Where a rule comes from: source codes and their verification. No sources: clinic policy."""

    source_codes: tuple[str, ...] = ()
    verification: str | None = None
    caution_code: str = ""  # the reference Caution row this basis is, if any (findings list them)

    def __post_init__(self):
        object.__setattr__(self, "source_codes", tuple(self.source_codes))


@dataclass(frozen=True, kw_only=True)
class Limit(Basis):
    """A labeled number (units of the product it belongs to, or weeks) with its source."""

    value: Decimal


@dataclass(frozen=True, kw_only=True)
class CumulativeLimit(Limit):
    period_weeks: int


@dataclass(frozen=True, kw_only=True)
class ProductLimits:
    product_code: str
    session_max: Limit | None = None
    cumulative_max: CumulativeLimit | None = None
    min_interval_weeks: Limit | None = None
    naive_start_dose: Limit | None = None
    hard_ceiling: Limit | None = None  # clinic policy: above it nothing is signed
    reconstituted_use_hours: Limit | None = None  # use within this many hours of reconstitution


@dataclass(frozen=True, kw_only=True)
class ProductAmount(Basis):
    """An amount in one product's units (for example Botox's SCM caution level, 100 U, D12)."""

    product_code: str
    value: Decimal


@dataclass(frozen=True, kw_only=True)
class ScmReduction(Basis):
    """Reduce the SCM dose when the posture has this pattern: at most factor x the product's usual SCM dose."""

    factor: Decimal = Decimal("0.5")
    pattern_code: str = "ANTEROCOLLIS"


@dataclass(frozen=True, kw_only=True)
class ProductCaution(Basis):
    """A caution that applies to some products only (empty ``product_codes``: every product)."""

    product_codes: tuple[str, ...] = ()
    text: str = ""

    def applies_to(self, product_code):
        return not self.product_codes or product_code in self.product_codes


@dataclass(frozen=True, kw_only=True)
class Cautions:
    scm_muscle_code: str = "SCM"
    scm_total_max: tuple[ProductAmount, ...] = ()
    bilateral_scm: Basis = Basis()
    scm_reduction: ScmReduction = ScmReduction()
    prior_dysphagia: Basis = Basis()
    units_not_interchangeable: Basis = Basis()
    # Issue 14: the rest of the reference cautions.
    scm_limit: tuple[ProductCaution, ...] = ()  # "limit the SCM dose", and each product's SCM caution text
    levator_dysphagia: Basis = Basis()  # LEVATOR_URI_DYSPHAGIA
    symmetric_posterior: Basis = Basis()  # SYMMETRIC_POSTERIOR
    neck_extensor_weakness: Basis = Basis()  # NECK_EXTENSOR_WEAKNESS
    distant_spread: Basis = Basis()  # DISTANT_SPREAD
    naive_lower_start: ProductCaution | None = None  # NAIVE_LOWER_START
    cumulative: Basis = Basis()  # CUMULATIVE
    baseline_swallowing: Basis = Basis()  # BASELINE_SWALLOW_SSB
    baseline_swallowing_pattern: str = "SAGITTAL_SHIFT_BACKWARD"
    adult_label: Basis = Basis()  # the cervical dystonia labels are for adults
    anterior_neck: Basis = Basis()  # the dysphagia caution every anterior neck muscle carries
    levator_muscle_code: str = "LEVATOR_SCAPULAE"

    def __post_init__(self):
        object.__setattr__(self, "scm_total_max", tuple(self.scm_total_max))
        object.__setattr__(self, "scm_limit", tuple(self.scm_limit))


@dataclass(frozen=True, kw_only=True)
class SafetyPolicy:
    """Clinic-policy thresholds: no published source gives them (PolicySetting rows; the fallbacks are
    ``planner.rules.policy.SETTING_FALLBACKS``). ``defaults_used`` names the settings that had no row: a
    finding relying on one says the default was used."""

    near_session_max_fraction: Decimal = SETTING_FALLBACKS["near_session_max_fraction"]
    min_volume_per_site_ml: Decimal = SETTING_FALLBACKS["min_volume_per_site_ml"]
    max_volume_per_site_ml: Decimal = SETTING_FALLBACKS["max_volume_per_site_ml"]
    median_multiple_warning: Decimal = SETTING_FALLBACKS["median_multiple_warning"]
    # Weeks of toxin given elsewhere listed with a plan whose product has no cumulative-limit period.
    outside_toxin_window_weeks: Decimal = SETTING_FALLBACKS["outside_toxin_window_weeks"]
    defaults_used: frozenset[str] = frozenset()

    def __post_init__(self):
        # A value outside its setting's range (planner.rules.policy.SETTING_RANGES) is never used, however the
        # policy was built: the fallback is, and is named as a default used. None keeps its meaning (that
        # check is off).
        fell_back = set()
        for setting in dataclasses.fields(self):
            given = getattr(self, setting.name)
            if setting.name not in SETTING_FALLBACKS or given is None:
                continue
            value = _number(given)
            if value is None or setting_out_of_range(setting.name, value):
                object.__setattr__(self, setting.name, SETTING_FALLBACKS[setting.name])
                fell_back.add(setting.name)
        if fell_back:
            object.__setattr__(self, "defaults_used", frozenset(self.defaults_used) | fell_back)


@dataclass(frozen=True, kw_only=True)
class MuscleInfo:
    code: str
    name: str
    guidance_level: str = GuidanceLevel.OPTIONAL
    anterior_neck: bool = False
    guidance_basis: Basis = Basis()
    posterior: bool = False  # a posterior neck muscle (symmetry and neck-extensor weakness)


@dataclass(frozen=True, kw_only=True)
class InjectionRow:
    muscle_code: str
    side: str
    dose: object  # Decimal, or the raw input (str, int, None): bad values become findings
    sites: object = 1
    guidance: str = Guidance.ANATOMICAL


@dataclass(frozen=True, kw_only=True)
class DraftSession:
    visit_date: dt.date
    product: Product
    rows: tuple[InjectionRow, ...] = ()
    lot_expiry: dt.date | None = None
    vial_units: Decimal | None = None
    diluent_ml: Decimal | None = None
    # What signing needs beyond the plan (the gate and the editor set them; pure tests may leave them):
    require_preparation: bool = False  # missing lot number, expiry or dilution is then an error
    lot_number: str = ""
    reconstituted_at: dt.datetime | None = None
    today: dt.date | None = None  # the clinic's today; None skips the future-visit check
    now: dt.datetime | None = None  # when the check runs; None skips the reconstitution age check
    patient_active: bool = True


@dataclass(frozen=True, kw_only=True)
class SignedSession:
    date: dt.date
    product: Product
    rows: tuple[InjectionRow, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AdverseEvent:
    kind: str
    severity: str = ""
    date: dt.date | None = None  # when it was reported
    grade: int | None = None  # dysphagia grade 0-4; 0 is normal swallowing


@dataclass(frozen=True, kw_only=True)
class OutsideDose:
    """Toxin given elsewhere (another indication or clinic): counted only with the same product's doses."""

    date: dt.date
    product: Product
    dose: object  # in ``product``'s units
    indication: str = ""
    where: str = ""


@dataclass(frozen=True, kw_only=True)
class Condition(Basis):
    """A coded condition or medicine on the patient and the finding it raises while current."""

    code: str
    name: str
    level: str  # error, override or warning
    message: str
    since: dt.date | None = None
    until: dt.date | None = None  # None: ongoing
    note: str = ""
    product_codes: tuple[str, ...] = ()  # the products it applies to; empty: every product
    clinic_policy: bool = False

    def current_on(self, day):
        return (self.since is None or self.since <= day) and (self.until is None or self.until >= day)


@dataclass(frozen=True, kw_only=True)
class PatientHistory:
    sessions: tuple[SignedSession, ...] = ()
    adverse_events: tuple[AdverseEvent, ...] = ()
    toxin_naive: bool = False
    prior_dysphagia: bool = False
    # Issue 14:
    outside_doses: tuple[OutsideDose, ...] = ()
    conditions: tuple[Condition, ...] = ()
    date_of_birth: dt.date | None = None
    baseline_swallowing: str = ""  # "not_assessed", "normal", "mild", ...; "" when not known


@dataclass(frozen=True, kw_only=True)
class Finding:
    level: Level
    code: str
    key: str  # code plus what identifies the instance, e.g. "DOSE_OUT_OF_RANGE:SCM:left"
    message: str
    rule: str  # the rule behind the finding, in a clinician's words
    source_codes: tuple[str, ...] = ()
    verification: Verification | None = None
    clinic_policy: bool = False
    row: int | None = None  # index into draft.rows
    caution_codes: tuple[str, ...] = ()  # the reference cautions the finding applies

    @property
    def basis(self):
        """'source D14, verified', 'clinic policy', both, or '' for self-evident rules."""
        return _basis_text(self.source_codes, self.verification, self.clinic_policy)


def check_session(
    *,
    draft: DraftSession,
    history: PatientHistory | None = None,
    posture: Iterable[PostureComponent] = (),
    combined_patterns: Iterable[CombinedPattern] = (),
    limits: ProductLimits | Iterable[ProductLimits] | None = None,
    guidelines: Iterable[DoseRange] = (),
    muscles: Mapping[str, MuscleInfo] | Iterable[MuscleInfo] = (),
    cautions: Cautions | None = None,
    policy: SafetyPolicy | None = None,
):
    """The findings for a draft session (a tuple of ``Finding``), errors first; see the module docstring."""
    history = history or PatientHistory()
    cautions = cautions or Cautions()
    policy = policy or SafetyPolicy()
    # Arithmetic on absurd but finite inputs (1e999999 U) gives Infinity instead of raising.
    with localcontext() as context:
        for signal in (InvalidOperation, DivisionByZero, Overflow):
            context.traps[signal] = False
        check = _Check(draft, history, posture, combined_patterns, limits, guidelines, muscles, cautions, policy)
        findings = check.run()
    findings.sort(key=_finding_rank)
    return tuple(findings)


class _Planned:
    """A draft row whose dose is a positive number."""

    __slots__ = ("index", "muscle_code", "side", "dose", "sites", "guidance", "label")

    def __init__(self, index, muscle_code, side, dose, sites, guidance, label):
        self.index = index
        self.muscle_code = muscle_code
        self.side = side
        self.dose = dose
        self.sites = sites
        self.guidance = guidance
        self.label = label


class _Check:
    def __init__(self, draft, history, posture, combined_patterns, limits, guidelines, muscles, cautions, policy):
        self.draft = draft
        self.product = draft.product
        self.visit = _as_date(draft.visit_date)
        self.history = history
        self.posture = posture
        self.combined_patterns = combined_patterns
        self.limits = _limits_for(limits, self.product.code)
        self.present = {pattern.code for pattern in expand_components(posture, combined_patterns)}
        # The product's figures per muscle; a figure given for one context only where that context is present.
        self.guidelines = {}
        self.out_of_context = {}
        for guideline in guidelines:
            if guideline.product_code != self.product.code or not _has_figure(guideline):
                continue
            applies = not guideline.context_patterns or self.present.intersection(guideline.context_patterns)
            target = self.guidelines if applies else self.out_of_context
            target.setdefault(guideline.muscle_code, []).append(guideline)
        muscle_rows = muscles.values() if isinstance(muscles, Mapping) else muscles
        self.muscles = {muscle.code: muscle for muscle in muscle_rows}
        self.cautions = cautions
        self.policy = policy
        self.findings = []
        # Signed sessions up to the visit, oldest first; same-day ties are ordered by their content, so
        # the findings do not depend on the order the history is given in.
        dated = []
        if self.visit is not None:
            for session in history.sessions:
                day = _as_date(session.date)
                if day is not None and day <= self.visit:
                    dated.append((day, session))
        dated.sort(key=lambda item: (item[0], _session_order(item[1])))
        self.past = [(session, day) for day, session in dated]
        self.dysphagia = self._dysphagia_context()  # None when the patient has had no dysphagia

    def run(self):
        planned = self._rows()
        if planned:
            total = dose_total(row.dose for row in planned)
            for row in planned:
                self._dose_range(row)
                self._guidance(row)
                self._dysphagia(row)
                self._volume(row)
            self._scm(planned)
            self._dysphagia_risk(planned)
            self._posterior(planned)
            self._hard_ceiling(total)
            self._session_max(total)
            self._cumulative(total)
            self._naive(total)
        self._interval()
        self._product_switch()
        self._lot()
        self._preparation()
        self._visit_date()
        self._patient()
        self._conditions()
        self._age()
        self._distant_spread()
        self._baseline_swallowing()
        self._outside()
        return self.findings

    def add(
        self,
        level,
        code,
        key,
        message,
        rule,
        *,
        basis=None,
        extra=(),
        policy=False,
        settings=(),
        row=None,
        cite=True,
    ):
        """Record a finding; ``basis`` (and ``extra`` bases) give its sources and worst verification.

        The basis is appended to the message in brackets unless the message cites it (``cite=False``).
        ``settings``: the clinic-policy settings the finding relies on; each that fell back to its default
        (``policy.defaults_used``) is named in the message.
        """
        bases = [b for b in (basis, *extra) if b is not None]
        codes = tuple(dict.fromkeys(code_ for b in bases for code_ in b.source_codes))
        verification = _worst(b.verification for b in bases if b.source_codes)
        clinic_policy = policy or any(not b.source_codes for b in bases)
        caution_codes = tuple(dict.fromkeys(b.caution_code for b in bases if b.caution_code))
        basis_text = _basis_text(codes, verification, clinic_policy)
        defaults = "; ".join(default_used_text(name) for name in settings if name in self.policy.defaults_used)
        if defaults:
            basis_text = f"{basis_text}; {defaults}" if basis_text and cite else defaults
            cite = True
        message = f"{message} ({basis_text})." if basis_text and cite else f"{message}."
        self.findings.append(
            Finding(
                level=level,
                code=code,
                key=key,
                message=message,
                rule=rule,
                source_codes=codes,
                verification=verification,
                clinic_policy=clinic_policy,
                row=row,
                caution_codes=caution_codes,
            )
        )

    def amount(self, value):
        return self.product.amount(value)

    # --- rows -------------------------------------------------------------------------------------

    def _rows(self):
        planned = []
        for index, row in enumerate(self.draft.rows):
            muscle_code = row.muscle_code if isinstance(row.muscle_code, str) else str(row.muscle_code)
            side = _side(row.side)
            label = self._label(muscle_code, side)
            key = f"{muscle_code}:{side.value if side else ''}"
            if side is None:
                self.add(
                    Level.ERROR,
                    SIDE_INVALID,
                    f"{SIDE_INVALID}:{key}",
                    f"{_capital(label)} has no side: choose left or right",
                    "Every injection is on one side; a bilateral choice is two rows",
                    row=index,
                )
            dose, problem = _parse_dose(row.dose)
            if dose is None:
                self.add(
                    Level.ERROR,
                    DOSE_INVALID,
                    f"{DOSE_INVALID}:{key}",
                    f"{_capital(label)}: {problem}; enter a dose in {self.product.unit_label} above 0",
                    "A dose is a positive number of units of the session's product",
                    row=index,
                )
                continue
            sites, sites_ok = _parse_sites(row.sites)
            if not sites_ok:
                self.add(
                    Level.ERROR,
                    SITES_INVALID,
                    f"{SITES_INVALID}:{key}",
                    f"{_capital(label)}: {_shown(row.sites)} is not a number of injection sites; enter 1 or more",
                    "The number of sites is a whole number of 1 or more",
                    row=index,
                )
            guidance = _guidance(row.guidance)
            planned.append(_Planned(index, muscle_code, side, dose, sites, guidance, label))
        return planned

    def _label(self, muscle_code, side):
        muscle = self.muscles.get(muscle_code)
        name = lower_first(muscle.name) if muscle else muscle_code
        return f"{side.value} {name}" if side else name

    def _key(self, code, row):
        return f"{code}:{row.muscle_code}:{row.side.value if row.side else ''}"

    def _dose_range(self, row):
        figures = self.guidelines.get(row.muscle_code, ())
        if not figures:
            self._not_sourced(row)
            return
        outside = []
        for guideline in figures:
            low, high = _number(guideline.min_units), _number(guideline.max_units)
            basis = Basis(source_codes=guideline.source_codes, verification=guideline.verification)
            where = _basis_text(basis.source_codes, _worst([basis.verification]), not basis.source_codes)
            what = self._figure_kind(guideline)
            if low is not None and high is not None and not low <= row.dose <= high:
                direction = "below" if row.dose < low else "above"
                text = f"{direction} {format_number(low)}–{self.amount(high)}, {what} ({where})"
            elif high is not None and low is None and row.dose > high:
                text = f"above {self.amount(high)}, {what} ({where})"
            elif low is not None and high is None and row.dose < low:
                text = f"below {self.amount(low)}, {what} ({where})"
            else:
                continue
            outside.append((text, basis))
        if outside:
            self.add(
                Level.WARNING,
                DOSE_OUT_OF_RANGE,
                self._key(DOSE_OUT_OF_RANGE, row),
                f"{self.amount(row.dose)} for {row.label} is " + "; and ".join(text for text, _ in outside),
                "Doses outside the sourced figures for this product and muscle need a reason",
                extra=[basis for _, basis in outside],
                row=row.index,
                cite=False,
            )
        if not any(guideline.has_bounds for guideline in figures):
            self._median_multiple(row, figures)

    def _figure_kind(self, guideline):
        """What a figure is, in words: 'seen in the Dysport trial', 'the Botox label's range'."""
        template = FIGURE_KINDS.get(str(guideline.kind), "a sourced figure for {product}")
        text = template.format(product=self.product.name)
        return f"{text} ({guideline.note})" if guideline.context_patterns and guideline.note else text

    def _not_sourced(self, row):
        muscle = self.muscles.get(row.muscle_code)
        name = lower_first(muscle.name) if muscle else row.muscle_code
        elsewhere = self.out_of_context.get(row.muscle_code, ())
        extra = ""
        if elsewhere:
            contexts = ", ".join(sorted({guideline.note or "another context" for guideline in elsewhere}))
            extra = f" (the sourced figures apply only in another context: {contexts})"
        self.add(
            Level.WARNING,
            DOSE_NOT_SOURCED,
            self._key(DOSE_NOT_SOURCED, row),
            f"No sourced dose for {name} with {self.product.name}{extra}; check the dose of "
            f"{self.amount(row.dose)} for {row.label}",
            "A dose with no sourced figure for its product and muscle is checked by the clinician",
            row=row.index,
        )

    def _median_multiple(self, row, figures):
        multiple = _number(self.policy.median_multiple_warning)
        medians = [
            (_number(guideline.median_units), guideline)
            for guideline in figures
            if _number(guideline.median_units) is not None
        ]
        if multiple is None or not medians:
            return
        median, guideline = min(medians, key=lambda item: item[0])
        threshold = median * multiple
        if row.dose <= threshold:
            return
        self.add(
            Level.WARNING,
            DOSE_ABOVE_MEDIAN_MULTIPLE,
            self._key(DOSE_ABOVE_MEDIAN_MULTIPLE, row),
            f"{self.amount(row.dose)} for {row.label} is above {self.amount(threshold)}, "
            f"{format_number(multiple)} times the median of {self.amount(median)} {self._figure_kind(guideline)}",
            "A dose far above the sourced median needs a reason",
            basis=Basis(source_codes=guideline.source_codes, verification=guideline.verification),
            policy=True,
            settings=("median_multiple_warning",),
            row=row.index,
        )

    def _guidance(self, row):
        muscle = self.muscles.get(row.muscle_code)
        if muscle is None or _enum(GuidanceLevel, muscle.guidance_level) is not GuidanceLevel.REQUIRED:
            return
        if row.guidance in _GUIDED:
            return
        self.add(
            Level.WARNING,
            GUIDANCE_REQUIRED,
            self._key(GUIDANCE_REQUIRED, row),
            f"{_capital(row.label)} should be injected under EMG or ultrasound guidance, "
            f"but this row is planned by anatomical landmarks",
            "Deep muscles are injected only under EMG or ultrasound guidance",
            basis=muscle.guidance_basis,
            row=row.index,
        )

    def _anterior(self, row):
        muscle = self.muscles.get(row.muscle_code)
        return row.muscle_code == self.cautions.scm_muscle_code or (muscle is not None and muscle.anterior_neck)

    def _dysphagia(self, row):
        levator = row.muscle_code == self.cautions.levator_muscle_code
        if not (self._anterior(row) or levator):
            return
        context = self.dysphagia
        if context is None:
            return
        what = "a muscle whose injection may raise the dysphagia risk" if levator else "an anterior neck muscle"
        self.add(
            Level.WARNING,
            DYSPHAGIA_ANTERIOR_NECK,
            self._key(DYSPHAGIA_ANTERIOR_NECK, row),
            f"{_capital(row.label)} is {what} and the patient has had dysphagia ({context}): "
            f"injecting it risks dysphagia again",
            "After dysphagia, injecting SCM, levator scapulae or other anterior neck muscles needs a reason",
            basis=self.cautions.prior_dysphagia,
            extra=[self.cautions.levator_dysphagia] if levator else (),
            row=row.index,
        )

    def _dysphagia_risk(self, planned):
        """The dysphagia caution every anterior neck muscle carries; bilateral ones; levator scapulae."""
        levator = [row for row in planned if row.muscle_code == self.cautions.levator_muscle_code]
        if levator:
            self.add(
                Level.INFO,
                LEVATOR_URI_DYSPHAGIA,
                LEVATOR_URI_DYSPHAGIA,
                f"{_capital(_join(row.label for row in levator))}: levator scapulae injection may raise the risk of "
                f"upper respiratory infection and dysphagia",
                "Levator scapulae injections may raise the risk of upper respiratory infection and dysphagia",
                basis=self.cautions.levator_dysphagia,
            )
        anterior = [row for row in planned if self._anterior(row)]
        if not anterior:
            return
        if self.dysphagia is None:  # after dysphagia each row has its own, stronger warning (_dysphagia)
            self.add(
                Level.INFO,
                ANTERIOR_NECK_DYSPHAGIA,
                ANTERIOR_NECK_DYSPHAGIA,
                f"{_capital(_join(row.label for row in anterior))}: anterior neck injections carry a risk of "
                f"dysphagia; ask about swallowing at the next visit",
                "Anterior neck muscles always carry the dysphagia caution",
                basis=self.cautions.anterior_neck,
            )
        by_muscle = {}
        for row in anterior:
            if row.muscle_code != self.cautions.scm_muscle_code:  # bilateral SCM has its own caution
                by_muscle.setdefault(row.muscle_code, set()).add(row.side)
        for muscle_code, sides in sorted(by_muscle.items()):
            if Side.LEFT in sides and Side.RIGHT in sides:
                muscle = self.muscles.get(muscle_code)
                name = muscle.name if muscle else muscle_code
                self.add(
                    Level.WARNING,
                    ANTERIOR_NECK_BILATERAL,
                    f"{ANTERIOR_NECK_BILATERAL}:{muscle_code}",
                    f"{name} is planned on both sides: bilateral anterior neck injection raises the risk of dysphagia",
                    "Bilateral anterior neck injections raise the risk of dysphagia",
                    basis=self.cautions.bilateral_scm,
                    policy=True,
                )

    def _posterior(self, planned):
        posterior = [row for row in planned if (m := self.muscles.get(row.muscle_code)) is not None and m.posterior]
        sides = {row.side for row in posterior}
        if Side.LEFT in sides and Side.RIGHT in sides:
            self.add(
                Level.INFO,
                NECK_EXTENSOR_WEAKNESS,
                NECK_EXTENSOR_WEAKNESS,
                "Posterior neck muscles are planned on both sides: neck extensor weakness is a common adverse "
                "event after bilateral posterior injections (17.6% in retroform cervical dystonia); ask about "
                "head drop at the next visit",
                "Bilateral posterior injections carry a risk of neck extensor weakness",
                basis=self.cautions.neck_extensor_weakness,
            )
        # Without a rotation, tilt, shift or shoulder elevation, posterior injections are symmetric.
        if not posterior or not self.present or self.present & LATERAL_COMPONENTS:
            return
        doses = {}
        for row in posterior:
            doses.setdefault(row.muscle_code, {}).setdefault(row.side, Decimal(0))
            doses[row.muscle_code][row.side] += row.dose
        uneven = []
        for muscle_code, by_side in sorted(doses.items()):
            left, right = by_side.get(Side.LEFT), by_side.get(Side.RIGHT)
            if left != right:
                muscle = self.muscles.get(muscle_code)
                name = lower_first(muscle.name) if muscle else muscle_code
                shown = ", ".join(
                    f"{side.value} {self.amount(by_side[side]) if side in by_side else 'none'}"
                    for side in (Side.LEFT, Side.RIGHT)
                )
                uneven.append(f"{name} ({shown})")
        if uneven:
            self.add(
                Level.WARNING,
                POSTERIOR_ASYMMETRIC,
                POSTERIOR_ASYMMETRIC,
                f"No rotation, tilt or shift is recorded, yet the posterior neck injections are not symmetric: "
                f"{'; '.join(uneven)}; asymmetric posterior injections may cause a tilt",
                "If there is no head tilt, posterior-neck injections should be symmetric",
                basis=self.cautions.symmetric_posterior,
            )

    def _dysphagia_context(self):
        """'dysphagia reported 20 Mar 2026, moderate', 'recorded in the patient's history', or None."""
        events = [event for event in self.history.adverse_events if dysphagia_reported(event.kind, event.grade)]
        if events:
            latest = max(events, key=lambda event: _as_date(event.date) or dt.date.min)
            day = _as_date(latest.date)
            parts = ["dysphagia reported" + (f" {_format_date(day)}" if day else "")]
            if latest.severity:
                parts.append(str(latest.severity))
            if len(events) > 1:
                parts.append(f"{len(events)} reports in all")
            return ", ".join(parts)
        if self.history.prior_dysphagia:
            return "recorded in the patient's history"
        return None

    def _volume(self, row):
        vial, diluent = _number(self.draft.vial_units), _number(self.draft.diluent_ml)
        if vial is None or diluent is None or vial <= 0 or diluent <= 0:
            return
        units_per_ml = vial / diluent
        volume = volume_per_site(row.dose, row.sites, units_per_ml)
        if volume is None:
            return
        low, high = _number(self.policy.min_volume_per_site_ml), _number(self.policy.max_volume_per_site_ml)
        if low is None or high is None or low <= volume <= high:
            return
        sites = "1 site" if row.sites == 1 else f"{row.sites} sites"
        self.add(
            Level.WARNING,
            VOLUME_PER_SITE_IMPLAUSIBLE,
            self._key(VOLUME_PER_SITE_IMPLAUSIBLE, row),
            f"{_capital(row.label)}: {self.amount(row.dose)} in {sites} at {self.amount(units_per_ml)} "
            f"per mL ({self.amount(vial)} in {format_number(diluent)} mL) is "
            f"{_fixed(volume, 2)} mL per site, outside the plausible {format_number(low)}–{format_number(high)} mL "
            f"per site; check the dose, the sites and the dilution",
            "The volume per site must be plausible for the dilution",
            policy=True,
            settings=("min_volume_per_site_ml", "max_volume_per_site_ml"),
            row=row.index,
        )

    # --- sternocleidomastoid -------------------------------------------------------------------------

    def _scm(self, planned):
        cautions = self.cautions
        scm_rows = [row for row in planned if row.muscle_code == cautions.scm_muscle_code]
        if not scm_rows:
            return
        muscle = self.muscles.get(cautions.scm_muscle_code)
        name = muscle.name if muscle else cautions.scm_muscle_code
        sides = {row.side for row in scm_rows}
        if Side.LEFT in sides and Side.RIGHT in sides:
            self.add(
                Level.WARNING,
                SCM_BILATERAL,
                SCM_BILATERAL,
                f"{name} is planned on both sides: bilateral SCM injection raises the risk of dysphagia",
                "Bilateral SCM injection raises the risk of dysphagia",
                basis=cautions.bilateral_scm,
            )
        caution = next((item for item in cautions.scm_total_max if item.product_code == self.product.code), None)
        caution_value = _number(caution.value) if caution else None
        limits = [item for item in cautions.scm_limit if item.applies_to(self.product.code)]
        if caution_value is None and limits:
            said = "; ".join(dict.fromkeys(item.text for item in limits if item.text))
            self.add(
                Level.INFO,
                SCM_NO_DOSE_LEVEL,
                SCM_NO_DOSE_LEVEL,
                f"{name} is planned with {self.product.name}, which has no sourced SCM dose level"
                + (f" ({said})" if said else "")
                + f": keep the SCM total of {self.amount(sum((row.dose for row in scm_rows), Decimal(0)))} low",
                "Limit the SCM dose to reduce dysphagia, with every product",
                extra=limits,
            )
        if caution_value is not None:
            scm_total = sum((row.dose for row in scm_rows), Decimal(0))
            if scm_total > caution_value:
                by_side = ", ".join(
                    f"{row.side.value if row.side else 'no side'} {format_number(row.dose)}" for row in scm_rows
                )
                self.add(
                    Level.WARNING,
                    SCM_TOTAL_ABOVE_CAUTION,
                    SCM_TOTAL_ABOVE_CAUTION,
                    f"{name} total {self.amount(scm_total)} ({by_side}) is above the caution level of "
                    f"{self.amount(caution_value)}; keeping the SCM total at or below it may reduce dysphagia",
                    "Limit the total SCM dose to reduce dysphagia",
                    basis=caution,
                    extra=limits,
                )
        self._scm_reduction(scm_rows, name)

    def _scm_reduction(self, scm_rows, name):
        reduction = self.cautions.scm_reduction
        if reduction.pattern_code not in self.present:
            return
        pattern = pattern_name(reduction.pattern_code)
        factor = _number(reduction.factor)
        usual_doses = [
            (usual, guideline)
            for guideline in self.guidelines.get(self.cautions.scm_muscle_code, ())
            if (usual := _usual_dose(guideline)) is not None
        ]
        # The lowest usual dose: the reduced dose must be a reduction against every source.
        usual, guideline = min(usual_doses, key=lambda item: item[0]) if usual_doses else (None, None)
        for row in scm_rows:
            if usual is not None and factor is not None:
                reduced = usual * factor
                if row.dose <= reduced:
                    continue
                share = "half" if factor == Decimal("0.5") else f"{format_number(factor)} times"
                message = (
                    f"{_capital(row.label)}: {self.amount(row.dose)} in {pattern} is above "
                    f"{self.amount(reduced)}, the reduced dose ({share} the usual {lower_first(name)} dose of "
                    f"{self.amount(usual)}, {self._figure_kind(guideline)})"
                )
                extra = [Basis(source_codes=guideline.source_codes, verification=guideline.verification)]
            else:
                message = (
                    f"{_capital(row.label)}: {self.amount(row.dose)} in {pattern}; there is no sourced usual "
                    f"{lower_first(name)} dose for {self.product.name} to check the reduced dose against: "
                    f"confirm the dose was reduced"
                )
                extra = []
            self.add(
                Level.WARNING,
                SCM_ANTEROCOLLIS_NOT_REDUCED,
                self._key(SCM_ANTEROCOLLIS_NOT_REDUCED, row),
                message,
                f"Reduce the {lower_first(name)} dose in {pattern}",
                basis=reduction,
                extra=extra,
                row=row.index,
            )

    # --- session totals ----------------------------------------------------------------------------

    def _hard_ceiling(self, total):
        limit = self.limits.hard_ceiling if self.limits else None
        value = _number(limit.value) if limit else None
        if value is None:
            self.add(
                Level.INFO,
                HARD_CEILING_NOT_SET,
                HARD_CEILING_NOT_SET,
                f"No hard ceiling is set for {self.product.name}; the session total is {self.amount(total)}",
                "The clinic sets a hard ceiling per product above which nothing is signed",
            )
            return
        if total > value:
            self.add(
                Level.ERROR,
                HARD_CEILING_EXCEEDED,
                HARD_CEILING_EXCEEDED,
                f"Session total {self.amount(total)} is above the hard ceiling of {self.amount(value)} per session: "
                f"this plan cannot be signed",
                "Nothing above the product's hard ceiling is signed, whatever the reason",
                basis=limit,
            )

    def _session_max(self, total):
        limit = self.limits.session_max if self.limits else None
        value = _number(limit.value) if limit else None
        if value is None:
            self.add(
                Level.INFO,
                SESSION_MAX_NOT_LABELED,
                SESSION_MAX_NOT_LABELED,
                f"No labeled session maximum for {self.product.name}; the session total is {self.amount(total)}",
                "Check the session total against the product's label",
            )
            return
        if total > value:
            self.add(
                Level.OVERRIDE,
                SESSION_MAX_EXCEEDED,
                SESSION_MAX_EXCEEDED,
                f"Session total {self.amount(total)} is above the labeled maximum of {self.amount(value)} per session",
                "Above the product's labeled maximum only with the signing neurologist's written reason",
                basis=limit,
            )
            return
        fraction = _number(self.policy.near_session_max_fraction)
        if fraction is not None and value > 0 and total >= value * fraction:
            percent = _fixed(total / value * 100, 0)
            threshold = _fixed(fraction * 100, 0)
            self.add(
                Level.INFO,
                SESSION_MAX_NEAR,
                SESSION_MAX_NEAR,
                f"Session total {self.amount(total)} is {percent}% of the labeled maximum of {self.amount(value)} "
                f"per session; totals from {threshold}% of it are pointed out",
                "Totals near the product's labeled maximum are pointed out",
                basis=limit,
                policy=True,
                settings=("near_session_max_fraction",),
            )

    def _cumulative(self, total):
        limit = self.limits.cumulative_max if self.limits else None
        value = _number(limit.value) if limit else None
        weeks = _whole(limit.period_weeks) if limit else None
        if value is None or weeks is None or weeks <= 0 or self.visit is None:
            return
        try:
            start = self.visit - dt.timedelta(days=weeks * 7)
        except OverflowError:  # a period longer than the calendar: every session is in it
            start = dt.date.min
        window = [(session, day) for session, day in self.past if day > start]
        same = [(session, day) for session, day in window if session.product.code == self.product.code]
        others = [(session, day) for session, day in window if session.product.code != self.product.code]
        signed = Decimal(0)
        for session, _day in same:
            for row in session.rows:
                dose, _ = _parse_dose(row.dose)
                if dose is not None:
                    signed += dose
        if others:
            listed = "; ".join(f"{session.product.name} on {_format_date(day)}" for session, day in others)
            self.add(
                Level.INFO,
                CUMULATIVE_OTHER_PRODUCTS,
                f"{CUMULATIVE_OTHER_PRODUCTS}:" + ",".join(sorted({s.product.code for s, _ in others})),
                f"Not counted in the {weeks}-week {self.product.name} total because units of different products "
                f"are not interchangeable: {listed}",
                "Units of different products are never added or converted",
                basis=self.cautions.units_not_interchangeable,
            )
        # Toxin given elsewhere counts with its own product only (never converted).
        elsewhere = [
            (dose, day) for dose, day in self._outside_doses() if start < day and dose.product.code == self.product.code
        ]
        outside = sum((_parse_dose(dose.dose)[0] or Decimal(0) for dose, _ in elsewhere), Decimal(0))
        if signed + outside + total <= value:
            return
        count = "1 session" if len(same) == 1 else f"{len(same)} sessions"
        given = f" + {self.amount(outside)} given elsewhere" if elsewhere else ""
        self.add(
            Level.OVERRIDE,
            CUMULATIVE_MAX_EXCEEDED,
            CUMULATIVE_MAX_EXCEEDED,
            f"{self.product.name} in the {weeks} weeks up to {_format_date(self.visit)}: {self.amount(signed)} "
            f"signed ({count}){given} + {self.amount(total)} planned = {self.amount(signed + outside + total)}, "
            f"above the cumulative maximum of {self.amount(value)} per {weeks} weeks",
            "Above the cumulative maximum only with the signing neurologist's written reason",
            basis=limit,
            extra=[self.cautions.cumulative] if elsewhere else (),
        )

    def _naive(self, total):
        if not self.history.toxin_naive:
            return
        limit = self.limits.naive_start_dose if self.limits else None
        value = _number(limit.value) if limit else None
        if value is None:
            self.add(
                Level.INFO,
                NAIVE_START_NOT_LABELED,
                NAIVE_START_NOT_LABELED,
                f"Toxin-naive patient: no labeled starting dose for {self.product.name} to check the session "
                f"total of {self.amount(total)} against; labels advise starting low",
                "Start toxin-naive patients at a low dose",
                basis=self._naive_caution(),
            )
            return
        if total > value:
            self.add(
                Level.OVERRIDE,
                NAIVE_ABOVE_START_DOSE,
                NAIVE_ABOVE_START_DOSE,
                f"Toxin-naive patient: session total {self.amount(total)} is above the starting dose of "
                f"{self.amount(value)}",
                "Above the labeled starting dose for a toxin-naive patient only with a written reason",
                basis=limit,
                extra=[caution] if (caution := self._naive_caution()) else (),
            )

    def _naive_caution(self):
        caution = self.cautions.naive_lower_start
        return caution if caution is not None and caution.applies_to(self.product.code) else None

    # --- history and preparation ----------------------------------------------------------------------

    def _interval(self):
        limit = self.limits.min_interval_weeks if self.limits else None
        weeks = _number(limit.value) if limit else None
        if weeks is None or self.visit is None:
            return
        # The last signed session of any product, or the same product given elsewhere, whichever is later.
        latest = []
        if self.past:
            last, day = self.past[-1]
            latest.append((day, 1, f"the last signed session on {_format_date(day)} ({last.product.name})", None))
        for dose, day in self._outside_doses():
            if dose.product.code == self.product.code:
                where = f", {dose.where}" if dose.where else ""
                why = dose.indication or "another indication"
                text = f"{dose.product.name} given elsewhere on {_format_date(day)} ({why}{where})"
                latest.append((day, 0, text, self.cautions.cumulative))
        if not latest:
            return
        day, _, since, extra = max(latest, key=lambda item: (item[0], item[1]))
        days = (self.visit - day).days
        if days >= weeks * 7:
            return
        self.add(
            Level.OVERRIDE,
            INTERVAL_TOO_SHORT,
            f"{INTERVAL_TOO_SHORT}:{day.isoformat()}",
            f"Only {_format_days(days)} since {since}; "
            f"the minimum re-treatment interval for {self.product.name} is {format_number(weeks)} weeks",
            "Re-treat sooner than the product's minimum interval only with a written reason",
            basis=limit,
            extra=[extra] if extra else (),
        )

    def _outside_doses(self):
        """(dose, date) of toxin given elsewhere on or before the visit, oldest first."""
        if self.visit is None:
            return []
        dated = [(dose, _as_date(dose.date)) for dose in self.history.outside_doses]
        return sorted(
            ((dose, day) for dose, day in dated if day is not None and day <= self.visit),
            key=lambda item: (item[1], str(item[0].product.code), str(item[0].dose)),
        )

    def _product_switch(self):
        if not self.past:
            return
        last, day = self.past[-1]
        if last.product.code == self.product.code:
            return
        doses = []
        for row in last.rows:
            dose, _ = _parse_dose(row.dose)
            if dose is not None:
                side = _side(row.side)
                muscle = self.muscles.get(row.muscle_code)
                name = lower_first(muscle.name) if muscle else str(row.muscle_code)
                doses.append(f"{side.value + ' ' if side else ''}{name} {last.product.amount(dose)}")
        listed = "; ".join(doses) if doses else "no doses recorded"
        self.add(
            Level.INFO,
            PRODUCT_SWITCH,
            f"{PRODUCT_SWITCH}:{last.product.code}:{self.product.code}",
            f"Last session {_format_date(day)} used {last.product.name}, this plan uses {self.product.name}: "
            f"units are not interchangeable, so the previous doses are in {last.product.name} units and are "
            f"not a {self.product.name} dose. Last session: {listed}",
            "Units are product-specific; never convert doses between products",
            basis=self.cautions.units_not_interchangeable,
        )

    def _lot(self):
        expiry = _as_date(self.draft.lot_expiry)
        if expiry is None or self.visit is None or expiry >= self.visit:
            return
        self.add(
            Level.ERROR,
            LOT_EXPIRED,
            LOT_EXPIRED,
            f"The {self.product.name} lot expired on {_format_date(expiry)}, before the visit on "
            f"{_format_date(self.visit)}: prepare another lot",
            "Never inject from an expired lot",
        )

    def _preparation(self):
        if not self.draft.require_preparation:
            return
        missing = []
        if not str(self.draft.lot_number or "").strip():
            missing.append("lot number")
        if _as_date(self.draft.lot_expiry) is None:
            missing.append("lot expiry date")
        if _number(self.draft.vial_units) is None or _number(self.draft.diluent_ml) is None:
            missing.append("dilution")
        if missing:
            self.add(
                Level.ERROR,
                PREPARATION_MISSING,
                PREPARATION_MISSING,
                f"The preparation is not recorded: no {', '.join(missing)}; record the preparation before signing",
                "A session is signed only with its lot, expiry and dilution recorded",
            )
        self._reconstitution()

    def _reconstitution(self):
        limit = self.limits.reconstituted_use_hours if self.limits else None
        hours = _number(limit.value) if limit else None
        if hours is None:
            return
        made = self.draft.reconstituted_at
        if not isinstance(made, dt.datetime):
            self.add(
                Level.WARNING,
                RECONSTITUTION_TIME_MISSING,
                RECONSTITUTION_TIME_MISSING,
                f"When the {self.product.name} was reconstituted is not recorded: confirm it is within "
                f"{format_number(hours)} hours",
                f"Use {self.product.name} within its time after reconstitution",
                basis=limit,
            )
            return
        now = self.draft.now
        if not isinstance(now, dt.datetime):
            return
        try:
            age = now - made
        except TypeError:  # one aware, one naive: not comparable, so not checked
            return
        if age <= dt.timedelta(hours=float(hours)):
            return
        self.add(
            Level.ERROR,
            RECONSTITUTED_TOO_LONG_AGO,
            RECONSTITUTED_TOO_LONG_AGO,
            f"The {self.product.name} was reconstituted {_format_hours(age)} ago; it must be used within "
            f"{format_number(hours)} hours: prepare a fresh vial",
            "Never inject toxin kept longer than its use-by time after reconstitution",
            basis=limit,
        )

    def _visit_date(self):
        today = _as_date(self.draft.today)
        if today is None or self.visit is None or self.visit <= today:
            return
        self.add(
            Level.ERROR,
            VISIT_IN_FUTURE,
            VISIT_IN_FUTURE,
            f"The visit is on {_format_date(self.visit)}, after today ({_format_date(today)}): a session is signed "
            f"as given, on or after its visit day",
            "A session is signed only for a visit that has happened",
        )

    def _patient(self):
        if self.draft.patient_active is not False:
            return
        self.add(
            Level.ERROR,
            PATIENT_INACTIVE,
            PATIENT_INACTIVE,
            "The patient is inactive: reactivate the patient before planning or signing",
            "Nothing is planned or signed for an inactive patient",
        )

    # --- the patient: conditions, medicines, age, earlier reactions (issue 14) ------------------------

    def _conditions(self):
        if self.visit is None:
            return
        for condition in sorted(self.history.conditions, key=lambda item: (str(item.code), str(item.name))):
            if not condition.current_on(self.visit):
                continue
            if condition.product_codes and self.product.code not in condition.product_codes:
                continue
            level = _enum(Level, condition.level)
            if level is None or level is Level.INFO:
                level = Level.WARNING
            recorded = f"recorded since {_format_date(condition.since)}" if condition.since else "recorded"
            note = f" ({_shown_note(condition.note)})" if str(condition.note or "").strip() else ""
            scoped = f" with {self.product.name}" if condition.product_codes else ""
            self.add(
                level,
                CONDITION,
                f"{CONDITION}:{condition.code}",
                f"{condition.name}{scoped}, {recorded}{note}: {condition.message}",
                f"{condition.name}: {_LEVEL_RULES[level]}",
                basis=condition,
                policy=condition.clinic_policy,
            )

    def _age(self):
        born = _as_date(self.history.date_of_birth)
        if born is None or self.visit is None:
            return
        age = self.visit.year - born.year - ((self.visit.month, self.visit.day) < (born.month, born.day))
        if age >= ADULT_AGE:
            return
        self.add(
            Level.OVERRIDE,
            AGE_UNDER_18,
            AGE_UNDER_18,
            f"The patient is {age} on the visit day: the cervical dystonia labels are for adults (18 and over)",
            "Treating a patient under 18 is off-label and needs a written reason",
            basis=self.cautions.adult_label,
        )

    def _distant_spread(self):
        events = [
            event
            for event in self.history.adverse_events
            if str(event.kind) in DISTANT_SPREAD_KINDS
            and (_as_date(event.date) is None or self.visit is None or _as_date(event.date) <= self.visit)
        ]
        if not events:
            return
        listed = "; ".join(
            " ".join(
                filter(
                    None,
                    [
                        _SPREAD_LABELS.get(str(event.kind), str(event.kind)),
                        f"reported {_format_date(_as_date(event.date))}" if _as_date(event.date) else "",
                        f"({event.severity})" if event.severity else "",
                    ],
                )
            )
            for event in sorted(events, key=lambda event: _as_date(event.date) or dt.date.min)
        )
        self.add(
            Level.OVERRIDE,
            PRIOR_DISTANT_SPREAD,
            PRIOR_DISTANT_SPREAD,
            f"After an earlier session the patient had {listed}: distant spread of toxin effect; swallowing or "
            f"breathing difficulty can be life-threatening",
            "After a past breathing difficulty, generalised weakness or ptosis after toxin, signing needs a reason",
            basis=self.cautions.distant_spread,
        )

    def _baseline_swallowing(self):
        pattern = self.cautions.baseline_swallowing_pattern
        if pattern not in self.present or self.history.baseline_swallowing != "not_assessed":
            return
        self.add(
            Level.WARNING,
            BASELINE_SWALLOWING_NOT_RECORDED,
            BASELINE_SWALLOWING_NOT_RECORDED,
            f"{pattern_name(pattern)[:1].upper()}{pattern_name(pattern)[1:]} is recorded and the patient's baseline "
            f"swallowing is not assessed: dysphagia may be present before any injection; record it on the patient",
            "Record baseline swallowing before treating the double-chin posture",
            basis=self.cautions.baseline_swallowing,
        )

    def _outside(self):
        doses = self._outside_doses()
        if not doses:
            return
        limit = self.limits.cumulative_max if self.limits else None
        weeks = _whole(limit.period_weeks) if limit else None
        settings = ()
        if not weeks:
            # No labelled period: the clinic's window (a policy setting), and the finding says so.
            settings = ("outside_toxin_window_weeks",)
            weeks = _number(self.policy.outside_toxin_window_weeks)
            if weeks is None:
                weeks = SETTING_FALLBACKS["outside_toxin_window_weeks"]
        start = self.visit - dt.timedelta(days=int(weeks * 7))
        recent = [(dose, day) for dose, day in doses if day > start]
        if not recent:
            return
        parts = []
        for dose, day in recent:
            amount, _ = _parse_dose(dose.dose)
            shown = dose.product.amount(amount) if amount is not None else f"{_shown(dose.dose)} {dose.product.unit}"
            counted = (
                "counted with this plan's product"
                if dose.product.code == self.product.code
                else "not counted: another product's units"
            )
            what = ", ".join(filter(None, [dose.indication, dose.where]))
            parts.append(f"{shown} on {_format_date(day)}" + (f" ({what})" if what else "") + f", {counted}")
        self.add(
            Level.INFO,
            OUTSIDE_TOXIN,
            OUTSIDE_TOXIN,
            f"Botulinum toxin given elsewhere in the {format_number(weeks)} weeks up to the visit: " + "; ".join(parts),
            "Count botulinum toxin given for other indications or by other clinics, with its own product only",
            basis=self.cautions.cumulative,
            policy=bool(settings),
            settings=settings,
        )


_SPREAD_LABELS = {
    "breathing": "breathing difficulty",
    "vision_ptosis": "blurred vision or ptosis",
    "generalised_weakness": "generalised weakness",
}
_LEVEL_RULES = {
    Level.ERROR: "a contraindication; the plan cannot be signed while it is current",
    Level.OVERRIDE: "a precaution; signing needs the neurologist's written reason",
    Level.WARNING: "acknowledge it before signing",
}


def _join(labels):
    labels = list(labels)
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _shown_note(note):
    text = " ".join(str(note).split())
    return text if len(text) <= 80 else text[:79] + "…"


# An expert example given for one context applies only when one of these patterns is present: the words of
# its context in the reference data. A label table's context describes its own rows and limits nothing.
CONTEXT_PATTERNS = (
    ("no-no tremor", ("TREMOR_NO_NO",)),
    ("tremor", ("TREMOR_NO_NO", "TREMOR_YES_YES")),
    ("retro", ("RETROCAPUT", "RETROCOLLIS")),
    ("antero", ("ANTEROCAPUT", "ANTEROCOLLIS")),
)


def figure_context_patterns(kind, context):
    """The posture patterns a dose figure is limited to (``suggest.DoseRange.context_patterns``)."""
    if str(kind) != "expert_example" or not context:
        return ()
    words = str(context).lower()
    return next((codes for phrase, codes in CONTEXT_PATTERNS if phrase in words), ())


def _has_figure(guideline):
    return guideline.has_bounds or _number(guideline.median_units) is not None


def _usual_dose(guideline):
    """The usual dose a figure gives: its median, else the middle of its range, else None."""
    median = _number(guideline.median_units)
    if median is not None:
        return median
    low, high = _number(guideline.min_units), _number(guideline.max_units)
    if low is not None and high is not None:
        return (low + high) / 2
    return None


def _session_order(session):
    rows = tuple((str(row.muscle_code), str(row.side), str(row.dose)) for row in session.rows)
    return (str(session.product.code), rows)


def _format_hours(age):
    hours = age.total_seconds() / 3600
    return f"{hours:.1f} hours"


def _finding_rank(finding):
    return (
        LEVEL_RANK[finding.level],
        finding.row is not None,
        finding.row if finding.row is not None else 0,
        finding.code,
        finding.key,
    )


def _limits_for(limits, product_code):
    if limits is None:
        return None
    if isinstance(limits, ProductLimits):
        limits = (limits,)
    elif isinstance(limits, Mapping):
        limits = limits.values()
    return next((item for item in limits if item.product_code == product_code), None)


def _basis_text(codes, verification, clinic_policy):
    parts = []
    if codes:
        label = "source" if len(codes) == 1 else "sources"
        text = f"{label} {format_codes(codes)}"
        if verification is not None:
            text = f"{text}, {Verification(verification).label}"
        parts.append(text)
    if clinic_policy:
        parts.append("clinic policy")
    return "; ".join(parts)


def _worst(verifications):
    ranked = [_enum(Verification, value) or Verification.UNVERIFIED for value in verifications]
    return max(ranked, key=VERIFICATION_RANK.__getitem__) if ranked else None


def _enum(enum, value):
    try:
        return enum(value)
    except (TypeError, ValueError):
        return None


def _side(value):
    return _enum(Side, value)


def _guidance(value):
    return _enum(Guidance, value) or Guidance.ANATOMICAL


def _number(value):
    """A finite Decimal, or None for anything else (None, text, NaN, infinity)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except (InvalidOperation, ValueError):
            return None
    else:
        return None
    return number if number.is_finite() else None


def _parse_dose(value):
    """(dose, "") for a positive number, else (None, what is wrong with it)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "no dose entered"
    number = _number(value)
    if number is None:
        return None, f"{_shown(value)} is not a number"
    if number <= 0:
        return None, f"{_shown(value)} is not a positive dose"
    if number >= DOSE_CEILING:
        return None, f"{_shown(value)} is too large to be a dose"
    return number, ""


def _parse_sites(value):
    """(sites, ok): sites None when not given; ok False for anything but a whole number >= 1."""
    if value is None:
        return None, True
    number = _whole(value)
    if number is None or number < 1:
        return None, False
    return number, True


def _whole(value):
    """An int for a whole number below 10**15 (more is not a count or a number of weeks), else None."""
    number = _number(value)
    if number is None or number.adjusted() >= 15 or number != number.to_integral_value():
        return None
    return int(number)


def _shown(value):
    text = value.strip() if isinstance(value, str) else str(value)
    if len(text) > 20:
        text = text[:19] + "…"
    return f"'{text}'"


def _as_date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


def _fixed(value, places):
    """A number with a fixed number of decimals, unless it is absurdly large (then as format_number)."""
    if not value.is_finite() or value.adjusted() > 15:
        return format_number(value)
    return format(value, f".{places}f")


def _format_date(day):
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _format_days(days):
    weeks, rest = divmod(days, 7)
    parts = []
    if weeks:
        parts.append("1 week" if weeks == 1 else f"{weeks} weeks")
    if rest or not weeks:
        parts.append("1 day" if rest == 1 else f"{rest} days")
    return " and ".join(parts)


def _capital(text):
    return text[:1].upper() + text[1:]
