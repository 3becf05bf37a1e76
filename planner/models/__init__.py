"""Every model of the planner app (app label `planner`): reference data, sessions, conditions, cycle."""

from planner.models.conditions import (  # noqa: F401
    ConditionCode,
    OutsideToxinDose,
    PatientCondition,
    PatientConditionQuerySet,
    PostureContradiction,
)
from planner.models.cycle import (  # noqa: F401
    BillingCode,
    HandoutText,
    ResponsePolicy,
    VialPrice,
)
from planner.models.plans import (  # noqa: F401
    FindingAcknowledgement,
    Injection,
    InjectionSession,
    InjectionSessionQuerySet,
    SignedSessionError,
)
from planner.models.reference import (  # noqa: F401
    DOSE_FIELDS,
    MAX_ML,
    MAX_UNITS,
    POSITIVE,
    Caution,
    DiluentVolume,
    DoseGuideline,
    Muscle,
    PatternComponent,
    PolicySetting,
    PosturePattern,
    Product,
    ProductLimit,
    ReferenceRow,
    ReferenceVersion,
    Source,
    Sourced,
    SuggestionRule,
    Verification,
    not_above,
    positive_or_null,
    reference_text,
    units_field,
)
from planner.models.worklist import (  # noqa: F401
    TreatmentDue,
)
