"""Reads for the plan editor: the ORM turned into the plain inputs of planner.rules.suggest and planner.rules.safety.

Each function does a fixed number of queries whatever the size of the data (prefetching what it
walks), so the editor's query count does not grow with the patient's history or the rules table.
"""

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import Prefetch
from django.utils import timezone

from patients.models import AdverseEvent, PostureComponent, Visit
from patients.selectors import has_prior_dysphagia
from planner.models import (
    Caution,
    ConditionCode,
    DoseGuideline,
    Injection,
    InjectionSession,
    Muscle,
    OutsideToxinDose,
    PatientCondition,
    PatternComponent,
    Product,
    ProductLimit,
    Source,
    SuggestionRule,
)
from planner.reference import version as reference_version
from planner.reference.dilution import DilutionError, strength_for
from planner.reference.selectors import policy_values
from planner.rules import policy, safety, suggest, totals
from planner.rules.caution_inputs import build_cautions

# The guidance level's basis (planner.rules.policy): clinic policy derived from G1, G4, G8, S9.
GUIDANCE_BASIS = safety.Basis(source_codes=policy.GUIDANCE_SOURCE_CODES, verification=policy.GUIDANCE_VERIFICATION)


def _codes(row):
    return tuple(sorted(source.code for source in row.sources.all()))


def as_product(product):
    return suggest.Product(code=product.code, name=product.brand_name)


@dataclass(frozen=True)
class ReferenceInputs:
    rules: tuple
    combined_patterns: tuple
    muscles: dict
    dose_ranges: tuple
    limits: object
    cautions: object
    policy: object  # safety.SafetyPolicy from the PolicySetting rows
    # The editor's menus and row headers, from the same reference tables (so cached with the rest):
    muscle_names: dict  # {pk: name} of every muscle, active or not (a planned row may name a retired one)
    muscle_choices: tuple  # (pk, name) of the active muscles, by name
    product_choices: tuple  # (pk, "Brand (generic)") of the active products, in the products' order
    product_units: dict = field(default_factory=dict)  # {pk: "U Botox"} of the active products
    active_muscle_codes: frozenset = frozenset()  # what the editor's diagram may offer to add
    # {ConditionCode pk: its fields for safety.Condition} (issue 14); the patient's entries point at them.
    condition_codes: dict = field(default_factory=dict, compare=False, repr=False)


# Reference inputs per product, in the cache (settings.CACHES: shared by every app server when CACHE_URL names
# a cache server) under the reference version, which every change to a reference table bumps in its own
# transaction (planner.reference.version). Older versions' entries are never read again and expire.
REFERENCE_CACHE_SECONDS = 24 * 60 * 60


def newest_history_ids_sql(history_models):
    """One SELECT of the newest history id of each table: a revision number that moves with every change
    to the tables they record (the worklist's index uses it for the plan tables)."""
    quote = connection.ops.quote_name
    columns = ", ".join(
        f"(SELECT MAX({quote(model._meta.pk.column)}) FROM {quote(model._meta.db_table)})" for model in history_models
    )
    return f"SELECT {columns}"


def newest_history_ids(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


def reference_inputs_key(product, version):
    """The cache key of one product's reference inputs at one reference version (ASCII, no spaces, short:
    fit for every cache backend, memcached included)."""
    return f"planner.reference-inputs.v{version}.product-{product.pk if product is not None else 'none'}"


def reference_inputs(product):
    """Everything from the reference tables that suggestions and safety checks need for one product.

    Cached by (product, reference version); the version is read on every call (one query), so a change
    committed through any app server is seen by the next check on every server.
    """
    key = reference_inputs_key(product, reference_version.current())
    own = reference_version.uncommitted_cache()
    if own is not None:
        # This transaction changed reference data and has not committed: what it reads is its own and may yet
        # roll back (and its version number be committed by another change), so it is kept with the
        # transaction, out of the shared cache.
        if key not in own:
            own[key] = _load_reference_inputs(product)
        return own[key]
    inputs = cache.get(key)
    if inputs is None:
        inputs = _load_reference_inputs(product)
        cache.set(key, inputs, timeout=REFERENCE_CACHE_SECONDS)
    return inputs


def _load_reference_inputs(product):
    sources = Prefetch("sources", queryset=Source.objects.only("id", "code"))
    rules = tuple(
        suggest.Rule(
            pattern_code=rule.pattern.code,
            muscle_code=rule.muscle.code,
            muscle_name=rule.muscle.name,
            side=rule.side,
            priority=rule.priority,
            verification=rule.verification,
            needs_review=rule.needs_review,
            source_codes=_codes(rule),
            note=rule.note,
            id=rule.pk,
        )
        for rule in SuggestionRule.objects.filter(is_active=True, muscle__is_active=True, pattern__is_active=True)
        .select_related("pattern", "muscle")
        .prefetch_related(sources)
    )
    parts_by_pattern = {}
    for part in PatternComponent.objects.filter(is_active=True).select_related("combined", "component"):
        parts_by_pattern.setdefault(part.combined.code, []).append(
            suggest.CombinedPart(pattern_code=part.component.code, side=part.side)
        )
    combined_patterns = tuple(
        suggest.CombinedPattern(code=code, parts=tuple(parts)) for code, parts in sorted(parts_by_pattern.items())
    )
    all_muscles = list(Muscle.objects.all())
    muscles = {
        muscle.code: safety.MuscleInfo(
            code=muscle.code,
            name=muscle.name,
            guidance_level=muscle.guidance,
            anterior_neck=policy.is_anterior_neck(muscle.code, muscle.group),
            guidance_basis=GUIDANCE_BASIS,
            posterior=muscle.group == Muscle.Group.POSTERIOR,
        )
        for muscle in all_muscles
    }
    active_products = list(Product.objects.filter(is_active=True))
    menus = {
        "muscle_names": {muscle.pk: muscle.name for muscle in all_muscles},
        "muscle_choices": tuple((muscle.pk, muscle.name) for muscle in all_muscles if muscle.is_active),
        "product_choices": tuple((choice.pk, str(choice)) for choice in active_products),
        "product_units": {choice.pk: choice.units_label for choice in active_products},
        "active_muscle_codes": frozenset(muscle.code for muscle in all_muscles if muscle.is_active),
        "condition_codes": _condition_codes(),
    }
    if product is None:
        return ReferenceInputs(rules, combined_patterns, muscles, (), None, None, _policy(), **menus)
    dose_ranges = tuple(
        suggest.DoseRange(
            product_code=product.code,
            muscle_code=dose.muscle.code,
            min_units=dose.min_units,
            max_units=dose.max_units,
            median_units=dose.median_units,
            source_codes=_codes(dose),
            verification=dose.verification,
            kind=dose.kind,
            note=dose.context or dose.note,
            context_patterns=context_patterns(dose),
        )
        for dose in DoseGuideline.objects.filter(product=product, is_active=True)
        .select_related("muscle")
        .prefetch_related(sources)
    )
    limits = _product_limits(product)
    cautions = _cautions(product)
    return ReferenceInputs(rules, combined_patterns, muscles, dose_ranges, limits, cautions, _policy(), **menus)


def context_patterns(dose):
    """The posture patterns a DoseGuideline's figure is limited to; () when it always applies."""
    return safety.figure_context_patterns(dose.kind, dose.context)


def _policy():
    """The safety checks' clinic-policy thresholds from the PolicySetting rows (one query); a setting without
    a row uses its fallback, and the findings that rely on it say so."""
    values = policy_values()
    fields = {field.name for field in dataclasses.fields(safety.SafetyPolicy)} - {"defaults_used"}
    return safety.SafetyPolicy(**{name: values[name] for name in fields}, defaults_used=values.defaults_used & fields)


def _limit(effective, cls=safety.Limit, **extra):
    if effective is None or effective.value is None:
        return None
    return cls(value=effective.value, source_codes=effective.sources, verification=effective.verification, **extra)


def _product_limits(product):
    from planner.reference.limits import effective_limit

    rows = [
        limit.as_row()
        for limit in ProductLimit.objects.filter(product=product).prefetch_related(
            Prefetch("sources", queryset=Source.objects.only("id", "code"))
        )
    ]
    cumulative = effective_limit(ProductLimit.Kind.CUMULATIVE_MAX, rows)
    return safety.ProductLimits(
        product_code=product.code,
        session_max=_limit(effective_limit(ProductLimit.Kind.SESSION_MAX, rows)),
        cumulative_max=_limit(cumulative, safety.CumulativeLimit, period_weeks=cumulative.period_weeks)
        if cumulative is not None and cumulative.value is not None and cumulative.period_weeks
        else None,
        min_interval_weeks=_limit(effective_limit(ProductLimit.Kind.MIN_INTERVAL_WEEKS, rows)),
        naive_start_dose=_limit(effective_limit(ProductLimit.Kind.NAIVE_START_DOSE, rows)),
        hard_ceiling=_limit(effective_limit(ProductLimit.Kind.HARD_CEILING, rows)),
        reconstituted_use_hours=_limit(effective_limit(ProductLimit.Kind.RECONSTITUTED_USE_HOURS, rows)),
    )


def _cautions(product):
    rows = [
        {
            "code": caution.code,
            "products": [item.code for item in caution.products.all()],
            "threshold_units": caution.threshold_units,
            "text": caution.text,
            "sources": [source.code for source in caution.sources.all()],
            "verification": caution.verification,
        }
        for caution in Caution.objects.filter(is_active=True).prefetch_related(
            Prefetch("sources", queryset=Source.objects.only("id", "code")), "products"
        )
    ]
    return build_cautions(rows)


def _condition_codes():
    """{ConditionCode pk: (safety.Condition fields that come from the reference row)}: cached with the rest."""
    return {
        code.pk: {
            "code": code.code,
            "name": code.name,
            "level": code.level,
            "message": code.message,
            "product_codes": tuple(sorted(product.code for product in code.products.all())),
            "per_product": code.per_product,
            "clinic_policy": code.clinic_policy,
            "source_codes": _codes(code),
            "verification": code.verification,
        }
        for code in ConditionCode.objects.prefetch_related(
            Prefetch("sources", queryset=Source.objects.only("id", "code")), "products"
        )
    }


def posture_inputs(visit):
    """The visit's present Col-Cap components as suggest.PostureComponent rows (one query)."""
    return tuple(
        suggest.PostureComponent(code=component.code, direction=component.direction or "", severity=component.severity)
        for component in PostureComponent.objects.filter(assessment__visit=visit).order_by("code")
    )


def _rows_of(session):
    return tuple(
        safety.InjectionRow(
            muscle_code=row.muscle.code, side=row.side, dose=row.dose, sites=row.sites, guidance=row.guidance
        )
        for row in session.injections.all()
    )


def prior_sessions(session):
    """The patient's current signed sessions before this visit, newest first, with rows and products.

    Amendments replace what they amend, and this session's own chain (the record it amends) is left
    out: it is the same visit being corrected.
    """
    return list(
        InjectionSession.objects.current()
        .filter(visit__patient_id=session.visit.patient_id, visit__date__lte=session.visit.date)
        .exclude(visit_id=session.visit_id)
        .select_related("visit", "product")
        .prefetch_related(Prefetch("injections", queryset=Injection.objects.select_related("muscle")))
        .order_by("-visit__date", "-id")
    )


def history_inputs(session, previous, *, reference=None):
    """The patient's history as safety.PatientHistory (four queries beyond ``previous``): signed sessions,
    adverse events, conditions and medicines, and toxin given elsewhere."""
    patient = session.visit.patient
    events = list(
        AdverseEvent.objects.filter(visit__patient=patient, visit__date__lte=session.visit.date).select_related("visit")
    )
    outside = outside_doses_up_to_visit(session)
    codes = (reference or reference_inputs(None)).condition_codes
    return safety.PatientHistory(
        sessions=tuple(
            safety.SignedSession(date=prior.visit.date, product=as_product(prior.product), rows=_rows_of(prior))
            for prior in previous
        ),
        adverse_events=tuple(
            safety.AdverseEvent(
                kind=event.kind, severity=event.severity, date=event.visit.date, grade=event.dysphagia_grade
            )
            for event in events
        ),
        # Toxin given elsewhere means the patient is not toxin-naive, whatever the flag says.
        toxin_naive=patient.toxin_naive and not previous and not outside,
        prior_dysphagia=has_prior_dysphagia(patient, events),
        outside_doses=tuple(
            safety.OutsideDose(
                date=dose.given_on,
                product=as_product(dose.product),
                dose=dose.dose,
                indication=dose.indication,
                where=dose.given_where,
            )
            for dose in outside
        ),
        conditions=tuple(
            condition_input(entry, codes[entry.code_id])
            for entry in PatientCondition.objects.filter(patient=patient, is_active=True).select_related("product")
            if entry.code_id in codes
        ),
        date_of_birth=patient.date_of_birth,
        baseline_swallowing=patient.baseline_swallowing,
    )


def condition_input(entry, code):
    """A PatientCondition as safety.Condition; an entry naming a product applies to that product only."""
    product_codes = code["product_codes"]
    if code["per_product"]:
        product_codes = (entry.product.code,) if entry.product_id else ()
    return safety.Condition(
        code=code["code"] + (f":{entry.product.code}" if code["per_product"] and entry.product_id else ""),
        name=code["name"],
        level=code["level"],
        message=code["message"],
        since=entry.since,
        until=entry.until,
        note=entry.note,
        product_codes=product_codes,
        clinic_policy=code["clinic_policy"],
        source_codes=code["source_codes"],
        verification=code["verification"],
    )


def outside_doses(patient, *, up_to=None):
    """The patient's active records of toxin given elsewhere, newest first (one query)."""
    doses = OutsideToxinDose.objects.filter(patient=patient, is_active=True).select_related("product")
    if up_to is not None:
        doses = doses.filter(given_on__lte=up_to)
    return list(doses.order_by("-given_on", "-pk"))


def outside_doses_up_to_visit(session):
    """outside_doses() up to the session's visit: one query per request, kept on this session object (the
    safety inputs and the plan's "given elsewhere" list read the same rows; never across requests)."""
    if not hasattr(session, "_outside_doses_up_to_visit"):
        session._outside_doses_up_to_visit = outside_doses(session.visit.patient, up_to=session.visit.date)
    return session._outside_doses_up_to_visit


def prepared_strength(session, product):
    """Units per mL of the prepared toxin, or None until the nurse has recorded a usable dilution.

    The reference arithmetic (planner.reference.dilution) decides: a powder's vial units over the
    saline added; a ready solution as supplied, diluted further by any saline added.
    """
    if product is None or session.diluent_ml is None:
        return None
    try:
        return strength_for(product, vial_units=session.vial_units, diluent_ml=session.diluent_ml).per_ml
    except DilutionError:
        return None


def session_totals(session, product, rows):
    """planner.rules.totals.plan_totals of ``rows`` (Injection rows or the editor's unsaved RowInput) in ``product``.

    No queries: the product and the session's preparation are already loaded.
    """
    # The prepared vial size counts only for the product it was prepared for.
    prepared = session.vial_units if product is not None and session.product_id == product.pk else None
    return totals.plan_totals(
        [(row.muscle.name, row.side, row.dose, row.sites) for row in rows],
        vial_sizes=product.usable_vial_sizes if product is not None else (),
        prepared_vial=prepared,
        units_per_ml=prepared_strength(session, product),
    )


def draft_inputs(session, rows, product, *, now=None):
    """The draft as safety.DraftSession; ``rows`` are safety.InjectionRow (possibly unsaved input).

    Everything signing checks comes with it: the preparation, the clinic's today and now, whether the
    patient is active.
    """
    now = now or timezone.now()
    per_ml = prepared_strength(session, product)
    # The safety check divides vial units by diluent mL: one mL at the prepared strength says the same.
    vial_units, diluent_ml = (per_ml, Decimal(1)) if per_ml is not None else (None, None)
    return safety.DraftSession(
        visit_date=session.visit.date,
        product=as_product(product) if product is not None else suggest.Product(code="", name="no product"),
        rows=tuple(rows),
        lot_expiry=session.lot_expiry,
        vial_units=vial_units,
        diluent_ml=diluent_ml,
        require_preparation=True,
        lot_number=session.lot_number,
        reconstituted_at=session.reconstituted_at,
        today=timezone.localdate(now),
        # An amendment corrects the record of a vial used at the visit: its age today says nothing.
        now=None if session.amends_id else now,
        patient_active=session.visit.patient.active,
    )


@dataclass(frozen=True)
class PlanReview:
    candidates: tuple
    findings: tuple
    previous: list
    posture: tuple = ()  # the visit's components (suggest.PostureComponent) the candidates come from
    notes: tuple = ()  # said above the candidates: patterns with no verified primary rule (suggest.suggestion_notes)


def review_plan(session, *, product, rows, reference=None, previous=None, now=None):
    """Suggestions and safety findings for a plan (saved or as typed): the editor's right-hand side."""
    reference = reference or reference_inputs(product)
    previous = prior_sessions(session) if previous is None else previous
    posture = posture_inputs(session.visit)
    candidates = suggest.suggest_muscles(
        components=posture,
        rules=reference.rules,
        combined_patterns=reference.combined_patterns,
        product=as_product(product) if product is not None else None,
        dose_ranges=reference.dose_ranges,
    )
    findings = ()
    if product is not None:
        findings = tuple(
            safety.check_session(
                draft=draft_inputs(session, rows, product, now=now),
                history=history_inputs(session, previous, reference=reference),
                posture=posture,
                combined_patterns=reference.combined_patterns,
                limits=reference.limits,
                guidelines=reference.dose_ranges,
                muscles=reference.muscles,
                cautions=reference.cautions,
                policy=reference.policy,
            )
        )
    notes = suggest.suggestion_notes(
        components=posture, rules=reference.rules, combined_patterns=reference.combined_patterns
    )
    return PlanReview(candidates=candidates, findings=findings, previous=previous, posture=posture, notes=notes)


def saved_rows(session):
    return _rows_of(session)


def session_findings(session, *, now=None):
    """The findings of a saved session as it stands in the database: what the sign page shows and
    what the signing gate (services.session_sign) recomputes and stores. ``now`` defaults to the time
    of the call; the clinic's today is its local date."""
    if session.product is None:
        return ()
    return review_plan(session, product=session.product, rows=saved_rows(session), now=now).findings


def session_for_view(pk):
    """One session with what every plan page shows (raises InjectionSession.DoesNotExist).

    Acknowledgements exist only once signed: the signed views load them (views._findings_with_acknowledgements).
    The signer and the preparer are not joined: each further join to the user table made PostgreSQL plan
    this query for longer than it runs (2 ms of planning with them, 0.4 ms without). A page that shows one
    loads it when it is set (session.signed_by: one small query; none when empty).
    """
    return (
        InjectionSession.objects.select_related("visit__patient", "product", "amends")
        .prefetch_related(Prefetch("injections", queryset=Injection.objects.select_related("muscle")))
        .get(pk=pk)
    )


def amendment_of(session):
    return InjectionSession.objects.filter(amends=session).select_related("signed_by").first()


def visit_for_plan(visit_id):
    return Visit.objects.select_related("patient").get(pk=visit_id)
