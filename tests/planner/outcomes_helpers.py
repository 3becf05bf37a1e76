"""Test data for the outcome pages: products with their minimum intervals, signed sessions, histories.

Clinical values are fixed. Sessions are written through the models (draft, rows, then signed), the
same states the plan editor's services leave behind, without needing an open visit for each.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from planner.clinic.worklist import refresh_treatment_due
from planner.models import Injection, InjectionSession, ProductLimit
from tests.patients.factories import AdverseEventFactory, PostureComponentFactory, TwstrsFactory, VisitFactory
from tests.planner.factories_reference import LimitFactory, MuscleFactory, ProductFactory

PRODUCTS = {
    # code: (brand, generic, minimum interval rows as (jurisdiction, weeks or None))
    "ONA": ("Botox", "onabotulinumtoxinA", (("eu_gulf", 10), ("us", None))),
    "ABO": ("Dysport", "abobotulinumtoxinA", (("all", 12),)),
    "INCO": ("Xeomin", "incobotulinumtoxinA", (("us", 12), ("eu", 10))),
    "DAXI": ("Daxxify", "daxibotulinumtoxinA-lanm", (("all", None),)),
}


def product(code):
    brand, generic, intervals = PRODUCTS[code]
    made = ProductFactory(code=code, brand_name=brand, generic_name=generic)
    if made.limits.exists():  # made earlier in this test
        return made
    for jurisdiction, weeks in intervals:
        LimitFactory(
            product=made,
            kind=ProductLimit.Kind.MIN_INTERVAL_WEEKS,
            jurisdiction=jurisdiction,
            value=None if weeks is None else Decimal(weeks),
            note="" if weeks is not None else "Not found in the label.",
        )
    return made


def muscle(code, name):
    return MuscleFactory(code=code, name=name)


def signed_session(visit, product, rows, *, signer, lot="L123", amends=None, reason=""):
    """A signed session on ``visit``: rows are (muscle, side, dose, sites)."""
    session = InjectionSession.objects.create(
        visit=visit,
        product=product,
        lot_number=lot,
        lot_expiry=visit.date + timedelta(days=300),
        created_by=signer,
        amends=amends,
        amendment_reason=reason,
    )
    for position, (row_muscle, side, dose, sites) in enumerate(rows):
        Injection.objects.create(
            session=session, muscle=row_muscle, side=side, dose=Decimal(dose), sites=sites, position=position
        )
    session.status = InjectionSession.Status.SIGNED
    session.signed_by = signer
    session.signed_at = timezone.make_aware(datetime.combine(visit.date, time(11)))
    session.save()
    refresh_treatment_due([visit.patient_id])  # as signing does (planner.plans.services.session_sign)
    return session


def treated_visit(patient, day, product, rows, *, signer, twstrs=True, events=()):
    """A completed visit with a posture, a full TWSTRS, the side effects it reported and a signed session."""
    visit = VisitFactory(patient=patient, date=day)
    PostureComponentFactory(assessment__visit=visit, code="TORTICAPUT", direction="right", severity=3)
    if twstrs:
        TwstrsFactory(visit=visit)
    for event in events:  # a kind, or the factory's fields
        AdverseEventFactory(visit=visit, **(event if isinstance(event, dict) else {"kind": event}))
    return signed_session(visit, product, rows, signer=signer) if product else visit
