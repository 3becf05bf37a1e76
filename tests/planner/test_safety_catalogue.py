"""Every finding planner.rules.safety can give, word for word, in eight plans that between them raise each one.

A clinician reads these texts at the signing gate: a changed number, unit, source or level in one of
them is a changed instruction, so each finding is pinned whole (level, code, key, message, rule,
sources, verification, clinic policy, row). Only the codes a scenario is about are compared, so a new
kind of finding elsewhere does not disturb these. Database-free, so `make mutation` runs them.
"""

import datetime as dt
from decimal import Decimal

import pytest

from planner.rules.safety import (
    AdverseEvent,
    Basis,
    Cautions,
    CumulativeLimit,
    DraftSession,
    InjectionRow,
    Limit,
    MuscleInfo,
    PatientHistory,
    ProductAmount,
    ProductLimits,
    ScmReduction,
    SignedSession,
    check_session,
)
from planner.rules.suggest import DoseRange, PostureComponent, Product

BOTOX = Product(code="ONA", name="Botox")
DYSPORT = Product(code="ABO", name="Dysport")
VISIT = dt.date(2026, 6, 3)

LIMITS = ProductLimits(
    product_code="ONA",
    session_max=Limit(value=Decimal(400), source_codes=("L1",), verification="verified"),
    cumulative_max=CumulativeLimit(value=Decimal(500), period_weeks=26, source_codes=("L1",), verification="verified"),
    min_interval_weeks=Limit(value=Decimal(12), source_codes=("L2",), verification="unverified"),
    naive_start_dose=Limit(value=Decimal(200), source_codes=("L3",), verification="verified"),
    hard_ceiling=Limit(value=Decimal(500)),
    reconstituted_use_hours=Limit(value=Decimal(24), source_codes=("L4",), verification="verified"),
)
MUSCLES = (
    MuscleInfo(code="SCM", name="Sternocleidomastoid", anterior_neck=True),
    MuscleInfo(
        code="LONGUS_COLLI",
        name="Longus colli",
        anterior_neck=True,
        guidance_level="required",
        guidance_basis=Basis(source_codes=("G1",), verification="verified"),
    ),
    MuscleInfo(code="SPLENIUS_CAPITIS", name="Splenius capitis"),
)
CAUTIONS = Cautions(
    scm_total_max=(
        ProductAmount(product_code="ONA", value=Decimal(100), source_codes=("D12",), verification="verified"),
    ),
    bilateral_scm=Basis(source_codes=("D1",), verification="verified"),
    scm_reduction=ScmReduction(source_codes=("D2",), verification="verified"),
    prior_dysphagia=Basis(source_codes=("D3",), verification="unverified"),
    units_not_interchangeable=Basis(source_codes=("U1",), verification="verified"),
)
GUIDELINES = (
    DoseRange(
        product_code="ONA",
        muscle_code="SCM",
        min_units=Decimal(15),
        max_units=Decimal(100),
        median_units=Decimal(40),
        source_codes=("G5",),
        verification="verified",
        kind="label_table",
    ),
    DoseRange(
        product_code="ONA",
        muscle_code="SCM",
        max_units=Decimal(110),
        source_codes=("T2",),
        verification="unverified",
        kind="trial_observed",
    ),
    DoseRange(
        product_code="ONA",
        muscle_code="SPLENIUS_CAPITIS",
        min_units=Decimal(20),
        source_codes=("E1",),
        verification="verified",
        kind="expert_example",
    ),
    DoseRange(
        product_code="ONA",
        muscle_code="LONGUS_COLLI",
        min_units=Decimal(5),
        max_units=Decimal(20),
        source_codes=("E2",),
        verification="verified",
        kind="expert_example",
    ),
)
PREPARED = {
    "require_preparation": True,
    "lot_number": "C1234",
    "lot_expiry": dt.date(2027, 1, 1),
    "vial_units": Decimal(100),
    "diluent_ml": Decimal(2),
}


def row(muscle_code, side, dose, sites=1, guidance="anatomical"):
    return InjectionRow(muscle_code=muscle_code, side=side, dose=dose, sites=sites, guidance=guidance)


def weeks_ago(weeks, days=0):
    return VISIT - dt.timedelta(weeks=weeks, days=days)


SCENARIOS = {
    "rows that cannot be read": {
        "rows": (
            row("SCM", "middle", Decimal(10)),
            row("SCM", "left", "abc"),
            row("SCM", "right", Decimal(10), sites="two"),
            row(7, "left", None),
        ),
        "draft": {},
    },
    "doses outside the figures, guidance, volume and dysphagia": {
        "rows": (
            row("SCM", "left", Decimal(120)),
            row("SPLENIUS_CAPITIS", "right", Decimal(10), sites=5),
            row("LONGUS_COLLI", "left", Decimal(5)),
            row("LONGUS_COLLI", "right", Decimal(4), guidance="ultrasound"),
        ),
        "draft": PREPARED,
        "history": PatientHistory(
            adverse_events=(
                AdverseEvent(kind="Dysphagia", severity="moderate", date=dt.date(2026, 3, 20), grade=2),
                AdverseEvent(kind="dysphagia", severity="mild", date=dt.date(2026, 1, 5), grade=1),
                AdverseEvent(kind="dysphagia", date=dt.date(2026, 4, 1), grade=0),
                AdverseEvent(kind="neck weakness", date=dt.date(2026, 4, 2)),
            )
        ),
    },
    "both SCMs in anterocollis": {
        "rows": (row("SCM", "left", Decimal(60)), row("SCM", "right", Decimal(50)), row("SCM", "right", Decimal(20))),
        "posture": (PostureComponent(code="ANTEROCOLLIS", severity=2),),
        "history": PatientHistory(prior_dysphagia=True),
    },
    "totals over the labeled limits": {
        "rows": (row("SPLENIUS_CAPITIS", "left", Decimal(225)), row("SPLENIUS_CAPITIS", "right", Decimal(225))),
        "history": PatientHistory(
            toxin_naive=True,
            sessions=(
                SignedSession(
                    date=weeks_ago(13), product=BOTOX, rows=(row("SCM", "left", Decimal(60)), row("SCM", "right", "x"))
                ),
                SignedSession(date=weeks_ago(20), product=BOTOX, rows=(row("SCM", "left", Decimal(40)),)),
                SignedSession(date=weeks_ago(22), product=DYSPORT, rows=(row("SCM", "left", Decimal(250)),)),
                SignedSession(date=weeks_ago(27), product=BOTOX, rows=(row("SCM", "left", Decimal(300)),)),
            ),
        ),
    },
    "above the hard ceiling": {
        "rows": (row("SPLENIUS_CAPITIS", "left", Decimal(250)), row("SPLENIUS_CAPITIS", "right", Decimal("250.5"))),
    },
    "near the labeled maximum": {
        "rows": (row("SPLENIUS_CAPITIS", "left", Decimal(160)), row("SPLENIUS_CAPITIS", "right", Decimal(160))),
    },
    "no limits in the reference data": {
        "rows": (row("SPLENIUS_CAPITIS", "left", Decimal(30)),),
        "limits": None,
        "history": PatientHistory(toxin_naive=True),
    },
    "history, lot, preparation, visit day and patient": {
        "rows": (row("SPLENIUS_CAPITIS", "left", Decimal(30)),),
        "draft": {
            "require_preparation": True,
            "lot_number": "  ",
            "lot_expiry": dt.date(2026, 5, 31),
            "vial_units": Decimal(100),
            "today": VISIT - dt.timedelta(days=1),
            "patient_active": False,
        },
        "history": PatientHistory(
            sessions=(
                SignedSession(
                    date=weeks_ago(5, 1),
                    product=DYSPORT,
                    rows=(
                        row("SCM", "left", Decimal(250)),
                        row("SPLENIUS_CAPITIS", "right", "abc"),
                        row("TRAP", "", Decimal(100)),
                    ),
                ),
                SignedSession(date=weeks_ago(40), product=BOTOX, rows=()),
            )
        ),
    },
    "figures missing or only a median, and a vial kept too long": {
        "rows": (row("SPLENIUS_CAPITIS", "left", Decimal(81)), row("LEVATOR_SCAPULAE", "right", Decimal(30))),
        "guidelines": (
            DoseRange(
                product_code="ONA",
                muscle_code="SPLENIUS_CAPITIS",
                median_units=Decimal(40),
                source_codes=("T3",),
                verification="verified",
                kind="trial_observed",
            ),
            DoseRange(
                product_code="ABO", muscle_code="LEVATOR_SCAPULAE", min_units=Decimal(100), max_units=Decimal(200)
            ),
        ),
        "draft": {
            **PREPARED,
            "reconstituted_at": dt.datetime(2026, 6, 2, 8, 0, tzinfo=dt.UTC),
            "now": dt.datetime(2026, 6, 3, 8, 0, 1, tzinfo=dt.UTC),
        },
    },
}


def run(scenario):
    return check_session(
        draft=DraftSession(visit_date=VISIT, product=BOTOX, rows=scenario["rows"], **scenario.get("draft", {})),
        history=scenario.get("history"),
        posture=scenario.get("posture", ()),
        limits=scenario.get("limits", LIMITS),
        guidelines=scenario.get("guidelines", GUIDELINES),
        muscles=MUSCLES,
        cautions=CAUTIONS,
    )


def whole(finding):
    return (
        finding.level.value,
        finding.code,
        finding.key,
        finding.message,
        finding.rule,
        finding.source_codes,
        finding.verification.value if finding.verification else None,
        finding.clinic_policy,
        finding.row,
    )


# Every code planner.rules.safety gives (a code added to it is added here, with a scenario that raises it).
CATALOGUED = frozenset(
    [
        "ANTERIOR_NECK_BILATERAL",
        "ANTERIOR_NECK_DYSPHAGIA",
        "LEVATOR_URI_DYSPHAGIA",
        "CUMULATIVE_MAX_EXCEEDED",
        "CUMULATIVE_OTHER_PRODUCTS",
        "DOSE_ABOVE_MEDIAN_MULTIPLE",
        "DOSE_INVALID",
        "DOSE_NOT_SOURCED",
        "DOSE_OUT_OF_RANGE",
        "DYSPHAGIA_ANTERIOR_NECK",
        "GUIDANCE_REQUIRED",
        "HARD_CEILING_EXCEEDED",
        "HARD_CEILING_NOT_SET",
        "INTERVAL_TOO_SHORT",
        "LOT_EXPIRED",
        "NAIVE_ABOVE_START_DOSE",
        "NAIVE_START_NOT_LABELED",
        "PATIENT_INACTIVE",
        "PREPARATION_MISSING",
        "PRODUCT_SWITCH",
        "RECONSTITUTED_TOO_LONG_AGO",
        "RECONSTITUTION_TIME_MISSING",
        "SCM_ANTEROCOLLIS_NOT_REDUCED",
        "SCM_BILATERAL",
        "SCM_TOTAL_ABOVE_CAUTION",
        "SESSION_MAX_EXCEEDED",
        "SESSION_MAX_NEAR",
        "SESSION_MAX_NOT_LABELED",
        "SIDE_INVALID",
        "SITES_INVALID",
        "VISIT_IN_FUTURE",
        "VOLUME_PER_SITE_IMPLAUSIBLE",
    ]
)

EXPECTED = {
    "rows that cannot be read": [
        (
            "error",
            "SIDE_INVALID",
            "SIDE_INVALID:SCM:",
            "Sternocleidomastoid has no side: choose left or right.",
            "Every injection is on one side; a bilateral choice is two rows",
            (),
            None,
            False,
            0,
        ),
        (
            "error",
            "DOSE_INVALID",
            "DOSE_INVALID:SCM:left",
            "Left sternocleidomastoid: 'abc' is not a number; enter a dose in U Botox above 0.",
            "A dose is a positive number of units of the session's product",
            (),
            None,
            False,
            1,
        ),
        (
            "error",
            "SITES_INVALID",
            "SITES_INVALID:SCM:right",
            "Right sternocleidomastoid: 'two' is not a number of injection sites; enter 1 or more.",
            "The number of sites is a whole number of 1 or more",
            (),
            None,
            False,
            2,
        ),
        (
            "error",
            "DOSE_INVALID",
            "DOSE_INVALID:7:left",
            "Left 7: no dose entered; enter a dose in U Botox above 0.",
            "A dose is a positive number of units of the session's product",
            (),
            None,
            False,
            3,
        ),
        (
            "warning",
            "DOSE_OUT_OF_RANGE",
            "DOSE_OUT_OF_RANGE:SCM:",
            "10 U Botox for sternocleidomastoid is below 15–100 U Botox, the Botox "
            "label's range (source G5, verified).",
            "Doses outside the sourced figures for this product and muscle need a reason",
            ("G5",),
            "verified",
            False,
            0,
        ),
        (
            "warning",
            "DOSE_OUT_OF_RANGE",
            "DOSE_OUT_OF_RANGE:SCM:right",
            "10 U Botox for right sternocleidomastoid is below 15–100 U Botox, the Botox "
            "label's range (source G5, verified).",
            "Doses outside the sourced figures for this product and muscle need a reason",
            ("G5",),
            "verified",
            False,
            2,
        ),
        (
            "info",
            "ANTERIOR_NECK_DYSPHAGIA",
            "ANTERIOR_NECK_DYSPHAGIA",
            "Sternocleidomastoid and right sternocleidomastoid: anterior neck injections "
            "carry a risk of dysphagia; ask about swallowing at the next visit (clinic "
            "policy).",
            "Anterior neck muscles always carry the dysphagia caution",
            (),
            None,
            True,
            None,
        ),
    ],
    "doses outside the figures, guidance, volume and dysphagia": [
        (
            "warning",
            "ANTERIOR_NECK_BILATERAL",
            "ANTERIOR_NECK_BILATERAL:LONGUS_COLLI",
            "Longus colli is planned on both sides: "
            "bilateral anterior neck injection raises "
            "the risk of dysphagia (source D1, verified; "
            "clinic policy).",
            "Bilateral anterior neck injections raise the risk of dysphagia",
            ("D1",),
            "verified",
            True,
            None,
        ),
        (
            "warning",
            "RECONSTITUTION_TIME_MISSING",
            "RECONSTITUTION_TIME_MISSING",
            "When the Botox was reconstituted is not recorded: confirm it is within 24 hours (source L4, verified).",
            "Use Botox within its time after reconstitution",
            ("L4",),
            "verified",
            False,
            None,
        ),
        (
            "warning",
            "SCM_TOTAL_ABOVE_CAUTION",
            "SCM_TOTAL_ABOVE_CAUTION",
            "Sternocleidomastoid total 120 U Botox (left "
            "120) is above the caution level of 100 U "
            "Botox; keeping the SCM total at or below it "
            "may reduce dysphagia (source D12, "
            "verified).",
            "Limit the total SCM dose to reduce dysphagia",
            ("D12",),
            "verified",
            False,
            None,
        ),
        (
            "warning",
            "DOSE_OUT_OF_RANGE",
            "DOSE_OUT_OF_RANGE:SCM:left",
            "120 U Botox for left sternocleidomastoid is "
            "above 15–100 U Botox, the Botox label's "
            "range (source G5, verified); and above 110 "
            "U Botox, seen in the Botox trial (source "
            "T2, unverified).",
            "Doses outside the sourced figures for this product and muscle need a reason",
            ("G5", "T2"),
            "unverified",
            False,
            0,
        ),
        (
            "warning",
            "DYSPHAGIA_ANTERIOR_NECK",
            "DYSPHAGIA_ANTERIOR_NECK:SCM:left",
            "Left sternocleidomastoid is an anterior "
            "neck muscle and the patient has had "
            "dysphagia (dysphagia reported 20 Mar 2026, "
            "moderate, 2 reports in all): injecting it "
            "risks dysphagia again (source D3, "
            "unverified).",
            "After dysphagia, injecting SCM, levator scapulae or other anterior neck muscles needs a reason",
            ("D3",),
            "unverified",
            False,
            0,
        ),
        (
            "warning",
            "VOLUME_PER_SITE_IMPLAUSIBLE",
            "VOLUME_PER_SITE_IMPLAUSIBLE:SCM:left",
            "Left sternocleidomastoid: 120 U Botox in 1 "
            "site at 50 U Botox per mL (100 U Botox in 2 "
            "mL) is 2.40 mL per site, outside the "
            "plausible 0.05–1 mL per site; check the "
            "dose, the sites and the dilution (clinic "
            "policy).",
            "The volume per site must be plausible for the dilution",
            (),
            None,
            True,
            0,
        ),
        (
            "warning",
            "DOSE_OUT_OF_RANGE",
            "DOSE_OUT_OF_RANGE:SPLENIUS_CAPITIS:right",
            "10 U Botox for right splenius capitis is "
            "below 20 U Botox, an expert example for "
            "Botox (source E1, verified).",
            "Doses outside the sourced figures for this product and muscle need a reason",
            ("E1",),
            "verified",
            False,
            1,
        ),
        (
            "warning",
            "VOLUME_PER_SITE_IMPLAUSIBLE",
            "VOLUME_PER_SITE_IMPLAUSIBLE:SPLENIUS_CAPITIS:right",
            "Right splenius capitis: 10 U Botox in 5 "
            "sites at 50 U Botox per mL (100 U Botox in "
            "2 mL) is 0.04 mL per site, outside the "
            "plausible 0.05–1 mL per site; check the "
            "dose, the sites and the dilution (clinic "
            "policy).",
            "The volume per site must be plausible for the dilution",
            (),
            None,
            True,
            1,
        ),
        (
            "warning",
            "DYSPHAGIA_ANTERIOR_NECK",
            "DYSPHAGIA_ANTERIOR_NECK:LONGUS_COLLI:left",
            "Left longus colli is an anterior neck "
            "muscle and the patient has had dysphagia "
            "(dysphagia reported 20 Mar 2026, moderate, "
            "2 reports in all): injecting it risks "
            "dysphagia again (source D3, unverified).",
            "After dysphagia, injecting SCM, levator scapulae or other anterior neck muscles needs a reason",
            ("D3",),
            "unverified",
            False,
            2,
        ),
        (
            "warning",
            "GUIDANCE_REQUIRED",
            "GUIDANCE_REQUIRED:LONGUS_COLLI:left",
            "Left longus colli should be injected under "
            "EMG or ultrasound guidance, but this row is "
            "planned by anatomical landmarks (source G1, "
            "verified).",
            "Deep muscles are injected only under EMG or ultrasound guidance",
            ("G1",),
            "verified",
            False,
            2,
        ),
        (
            "warning",
            "DOSE_OUT_OF_RANGE",
            "DOSE_OUT_OF_RANGE:LONGUS_COLLI:right",
            "4 U Botox for right longus colli is below "
            "5–20 U Botox, an expert example for Botox "
            "(source E2, verified).",
            "Doses outside the sourced figures for this product and muscle need a reason",
            ("E2",),
            "verified",
            False,
            3,
        ),
        (
            "warning",
            "DYSPHAGIA_ANTERIOR_NECK",
            "DYSPHAGIA_ANTERIOR_NECK:LONGUS_COLLI:right",
            "Right longus colli is an anterior neck "
            "muscle and the patient has had dysphagia "
            "(dysphagia reported 20 Mar 2026, moderate, "
            "2 reports in all): injecting it risks "
            "dysphagia again (source D3, unverified).",
            "After dysphagia, injecting SCM, levator scapulae or other anterior neck muscles needs a reason",
            ("D3",),
            "unverified",
            False,
            3,
        ),
    ],
    "both SCMs in anterocollis": [
        (
            "warning",
            "SCM_BILATERAL",
            "SCM_BILATERAL",
            "Sternocleidomastoid is planned on both sides: bilateral SCM injection "
            "raises the risk of dysphagia (source D1, verified).",
            "Bilateral SCM injection raises the risk of dysphagia",
            ("D1",),
            "verified",
            False,
            None,
        ),
        (
            "warning",
            "SCM_TOTAL_ABOVE_CAUTION",
            "SCM_TOTAL_ABOVE_CAUTION",
            "Sternocleidomastoid total 130 U Botox (left 60, right 50, right 20) is "
            "above the caution level of 100 U Botox; keeping the SCM total at or below "
            "it may reduce dysphagia (source D12, verified).",
            "Limit the total SCM dose to reduce dysphagia",
            ("D12",),
            "verified",
            False,
            None,
        ),
        (
            "warning",
            "DYSPHAGIA_ANTERIOR_NECK",
            "DYSPHAGIA_ANTERIOR_NECK:SCM:left",
            "Left sternocleidomastoid is an anterior neck muscle and the patient has had "
            "dysphagia (recorded in the patient's history): injecting it risks dysphagia "
            "again (source D3, unverified).",
            "After dysphagia, injecting SCM, levator scapulae or other anterior neck muscles needs a reason",
            ("D3",),
            "unverified",
            False,
            0,
        ),
        (
            "warning",
            "SCM_ANTEROCOLLIS_NOT_REDUCED",
            "SCM_ANTEROCOLLIS_NOT_REDUCED:SCM:left",
            "Left sternocleidomastoid: 60 U Botox in anterocollis is above 20 U Botox, "
            "the reduced dose (half the usual sternocleidomastoid dose of 40 U Botox, "
            "the Botox label's range) (sources D2, G5, verified).",
            "Reduce the sternocleidomastoid dose in anterocollis",
            ("D2", "G5"),
            "verified",
            False,
            0,
        ),
        (
            "warning",
            "DYSPHAGIA_ANTERIOR_NECK",
            "DYSPHAGIA_ANTERIOR_NECK:SCM:right",
            "Right sternocleidomastoid is an anterior neck muscle and the patient has "
            "had dysphagia (recorded in the patient's history): injecting it risks "
            "dysphagia again (source D3, unverified).",
            "After dysphagia, injecting SCM, levator scapulae or other anterior neck muscles needs a reason",
            ("D3",),
            "unverified",
            False,
            1,
        ),
        (
            "warning",
            "SCM_ANTEROCOLLIS_NOT_REDUCED",
            "SCM_ANTEROCOLLIS_NOT_REDUCED:SCM:right",
            "Right sternocleidomastoid: 50 U Botox in anterocollis is above 20 U Botox, "
            "the reduced dose (half the usual sternocleidomastoid dose of 40 U Botox, "
            "the Botox label's range) (sources D2, G5, verified).",
            "Reduce the sternocleidomastoid dose in anterocollis",
            ("D2", "G5"),
            "verified",
            False,
            1,
        ),
        (
            "warning",
            "DYSPHAGIA_ANTERIOR_NECK",
            "DYSPHAGIA_ANTERIOR_NECK:SCM:right",
            "Right sternocleidomastoid is an anterior neck muscle and the patient has "
            "had dysphagia (recorded in the patient's history): injecting it risks "
            "dysphagia again (source D3, unverified).",
            "After dysphagia, injecting SCM, levator scapulae or other anterior neck muscles needs a reason",
            ("D3",),
            "unverified",
            False,
            2,
        ),
    ],
    "totals over the labeled limits": [
        (
            "override",
            "CUMULATIVE_MAX_EXCEEDED",
            "CUMULATIVE_MAX_EXCEEDED",
            "Botox in the 26 weeks up to 3 Jun 2026: 100 U Botox signed (2 "
            "sessions) + 450 U Botox planned = 550 U Botox, above the cumulative "
            "maximum of 500 U Botox per 26 weeks (source L1, verified).",
            "Above the cumulative maximum only with the signing neurologist's written reason",
            ("L1",),
            "verified",
            False,
            None,
        ),
        (
            "override",
            "NAIVE_ABOVE_START_DOSE",
            "NAIVE_ABOVE_START_DOSE",
            "Toxin-naive patient: session total 450 U Botox is above the starting "
            "dose of 200 U Botox (source L3, verified).",
            "Above the labeled starting dose for a toxin-naive patient only with a written reason",
            ("L3",),
            "verified",
            False,
            None,
        ),
        (
            "override",
            "SESSION_MAX_EXCEEDED",
            "SESSION_MAX_EXCEEDED",
            "Session total 450 U Botox is above the labeled maximum of 400 U Botox per session (source L1, verified).",
            "Above the product's labeled maximum only with the signing neurologist's written reason",
            ("L1",),
            "verified",
            False,
            None,
        ),
        (
            "info",
            "CUMULATIVE_OTHER_PRODUCTS",
            "CUMULATIVE_OTHER_PRODUCTS:ABO",
            "Not counted in the 26-week Botox total because units of different "
            "products are not interchangeable: Dysport on 31 Dec 2025 (source U1, "
            "verified).",
            "Units of different products are never added or converted",
            ("U1",),
            "verified",
            False,
            None,
        ),
    ],
    "above the hard ceiling": [
        (
            "error",
            "HARD_CEILING_EXCEEDED",
            "HARD_CEILING_EXCEEDED",
            "Session total 500.5 U Botox is above the hard ceiling of 500 U Botox per "
            "session: this plan cannot be signed (clinic policy).",
            "Nothing above the product's hard ceiling is signed, whatever the reason",
            (),
            None,
            True,
            None,
        ),
        (
            "override",
            "CUMULATIVE_MAX_EXCEEDED",
            "CUMULATIVE_MAX_EXCEEDED",
            "Botox in the 26 weeks up to 3 Jun 2026: 0 U Botox signed (0 sessions) + 500.5 "
            "U Botox planned = 500.5 U Botox, above the cumulative maximum of 500 U Botox "
            "per 26 weeks (source L1, verified).",
            "Above the cumulative maximum only with the signing neurologist's written reason",
            ("L1",),
            "verified",
            False,
            None,
        ),
        (
            "override",
            "SESSION_MAX_EXCEEDED",
            "SESSION_MAX_EXCEEDED",
            "Session total 500.5 U Botox is above the labeled maximum of 400 U Botox per "
            "session (source L1, verified).",
            "Above the product's labeled maximum only with the signing neurologist's written reason",
            ("L1",),
            "verified",
            False,
            None,
        ),
    ],
    "near the labeled maximum": [
        (
            "info",
            "SESSION_MAX_NEAR",
            "SESSION_MAX_NEAR",
            "Session total 320 U Botox is 80% of the labeled maximum of 400 U Botox per "
            "session; totals from 80% of it are pointed out (source L1, verified; clinic "
            "policy).",
            "Totals near the product's labeled maximum are pointed out",
            ("L1",),
            "verified",
            True,
            None,
        )
    ],
    "no limits in the reference data": [
        (
            "info",
            "HARD_CEILING_NOT_SET",
            "HARD_CEILING_NOT_SET",
            "No hard ceiling is set for Botox; the session total is 30 U Botox.",
            "The clinic sets a hard ceiling per product above which nothing is signed",
            (),
            None,
            False,
            None,
        ),
        (
            "info",
            "NAIVE_START_NOT_LABELED",
            "NAIVE_START_NOT_LABELED",
            "Toxin-naive patient: no labeled starting dose for Botox to check the "
            "session total of 30 U Botox against; labels advise starting low.",
            "Start toxin-naive patients at a low dose",
            (),
            None,
            False,
            None,
        ),
        (
            "info",
            "SESSION_MAX_NOT_LABELED",
            "SESSION_MAX_NOT_LABELED",
            "No labeled session maximum for Botox; the session total is 30 U Botox.",
            "Check the session total against the product's label",
            (),
            None,
            False,
            None,
        ),
    ],
    "history, lot, preparation, visit day and patient": [
        (
            "error",
            "LOT_EXPIRED",
            "LOT_EXPIRED",
            "The Botox lot expired on 31 May 2026, before the visit on 3 Jun 2026: prepare another lot.",
            "Never inject from an expired lot",
            (),
            None,
            False,
            None,
        ),
        (
            "error",
            "PATIENT_INACTIVE",
            "PATIENT_INACTIVE",
            "The patient is inactive: reactivate the patient before planning or signing.",
            "Nothing is planned or signed for an inactive patient",
            (),
            None,
            False,
            None,
        ),
        (
            "error",
            "PREPARATION_MISSING",
            "PREPARATION_MISSING",
            "The preparation is not recorded: no lot number, dilution; record the preparation before signing.",
            "A session is signed only with its lot, expiry and dilution recorded",
            (),
            None,
            False,
            None,
        ),
        (
            "error",
            "VISIT_IN_FUTURE",
            "VISIT_IN_FUTURE",
            "The visit is on 3 Jun 2026, after today (2 Jun "
            "2026): a session is signed as given, on or after its "
            "visit day.",
            "A session is signed only for a visit that has happened",
            (),
            None,
            False,
            None,
        ),
        (
            "override",
            "INTERVAL_TOO_SHORT",
            "INTERVAL_TOO_SHORT:2026-04-28",
            "Only 5 weeks and 1 day since the last signed session "
            "on 28 Apr 2026 (Dysport); the minimum re-treatment "
            "interval for Botox is 12 weeks (source L2, "
            "unverified).",
            "Re-treat sooner than the product's minimum interval only with a written reason",
            ("L2",),
            "unverified",
            False,
            None,
        ),
        (
            "warning",
            "RECONSTITUTION_TIME_MISSING",
            "RECONSTITUTION_TIME_MISSING",
            "When the Botox was reconstituted is not recorded: confirm it is within 24 hours (source L4, verified).",
            "Use Botox within its time after reconstitution",
            ("L4",),
            "verified",
            False,
            None,
        ),
        (
            "info",
            "CUMULATIVE_OTHER_PRODUCTS",
            "CUMULATIVE_OTHER_PRODUCTS:ABO",
            "Not counted in the 26-week Botox total because units "
            "of different products are not interchangeable: "
            "Dysport on 28 Apr 2026 (source U1, verified).",
            "Units of different products are never added or converted",
            ("U1",),
            "verified",
            False,
            None,
        ),
        (
            "info",
            "PRODUCT_SWITCH",
            "PRODUCT_SWITCH:ABO:ONA",
            "Last session 28 Apr 2026 used Dysport, this plan "
            "uses Botox: units are not interchangeable, so the "
            "previous doses are in Dysport units and are not a "
            "Botox dose. Last session: left sternocleidomastoid "
            "250 U Dysport; TRAP 100 U Dysport (source U1, "
            "verified).",
            "Units are product-specific; never convert doses between products",
            ("U1",),
            "verified",
            False,
            None,
        ),
    ],
    "figures missing or only a median, and a vial kept too long": [
        (
            "error",
            "RECONSTITUTED_TOO_LONG_AGO",
            "RECONSTITUTED_TOO_LONG_AGO",
            "The Botox was reconstituted 24.0 hours "
            "ago; it must be used within 24 hours: "
            "prepare a fresh vial (source L4, "
            "verified).",
            "Never inject toxin kept longer than its use-by time after reconstitution",
            ("L4",),
            "verified",
            False,
            None,
        ),
        (
            "warning",
            "DOSE_ABOVE_MEDIAN_MULTIPLE",
            "DOSE_ABOVE_MEDIAN_MULTIPLE:SPLENIUS_CAPITIS:left",
            "81 U Botox for left splenius capitis is "
            "above 80 U Botox, 2 times the median of 40 "
            "U Botox seen in the Botox trial (source "
            "T3, verified; clinic policy).",
            "A dose far above the sourced median needs a reason",
            ("T3",),
            "verified",
            True,
            0,
        ),
        (
            "warning",
            "VOLUME_PER_SITE_IMPLAUSIBLE",
            "VOLUME_PER_SITE_IMPLAUSIBLE:SPLENIUS_CAPITIS:left",
            "Left splenius capitis: 81 U Botox in 1 "
            "site at 50 U Botox per mL (100 U Botox in "
            "2 mL) is 1.62 mL per site, outside the "
            "plausible 0.05–1 mL per site; check the "
            "dose, the sites and the dilution (clinic "
            "policy).",
            "The volume per site must be plausible for the dilution",
            (),
            None,
            True,
            0,
        ),
        (
            "warning",
            "DOSE_NOT_SOURCED",
            "DOSE_NOT_SOURCED:LEVATOR_SCAPULAE:right",
            "No sourced dose for LEVATOR_SCAPULAE with Botox; check the dose of 30 U Botox for right LEVATOR_SCAPULAE.",
            "A dose with no sourced figure for its product and muscle is checked by the clinician",
            (),
            None,
            False,
            1,
        ),
        (
            "info",
            "LEVATOR_URI_DYSPHAGIA",
            "LEVATOR_URI_DYSPHAGIA",
            "Right LEVATOR_SCAPULAE: levator scapulae "
            "injection may raise the risk of upper "
            "respiratory infection and dysphagia "
            "(clinic policy).",
            "Levator scapulae injections may raise the risk of upper respiratory infection and dysphagia",
            (),
            None,
            True,
            None,
        ),
    ],
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_finding_of_the_scenario_word_for_word(name):
    given = [whole(finding) for finding in run(SCENARIOS[name]) if finding.code in CATALOGUED]
    assert given == EXPECTED[name]


def test_the_scenarios_raise_every_catalogued_finding():
    raised = {finding[1] for findings in EXPECTED.values() for finding in findings}
    assert raised == CATALOGUED


def test_the_catalogue_names_every_finding_code_planner_safety_defines():
    from planner.rules import safety

    defined = {
        value
        for name, value in vars(safety).items()
        if name.isupper() and isinstance(value, str) and value == name and not name.startswith("_")
    }
    assert defined == CATALOGUED | FROM_THE_PATIENT_RECORD


# Findings from the patient's conditions, age and toxin given elsewhere: each is pinned in
# test_safety_conditions.py, which builds those inputs.
FROM_THE_PATIENT_RECORD = frozenset(
    {
        "AGE_UNDER_18",
        "BASELINE_SWALLOWING_NOT_RECORDED",
        "CONDITION",
        "NECK_EXTENSOR_WEAKNESS",
        "OUTSIDE_TOXIN",
        "POSTERIOR_ASYMMETRIC",
        "PRIOR_DISTANT_SPREAD",
        "SCM_NO_DOSE_LEVEL",
    }
)
