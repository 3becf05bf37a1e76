"""Test data for the end of a treatment cycle: signed sessions on the shipped reference data, responses.

Sessions are written through the models (draft, rows, then signed), as tests/planner/outcomes_helpers.py
does, with the preparation's vials when given. Clinical values are fixed.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from patients.response import CycleResponse
from planner.models import Injection, InjectionSession, Muscle, Product
from tests.patients.factories import AdverseEventFactory, VisitFactory


def shipped(code):
    return Product.objects.get(code=code)


def muscle(code):
    return Muscle.objects.get(code=code)


def signed(visit, product_code, rows, *, signer, vial_units=None, vial_count=None, planned_weeks=None):
    """A signed session on ``visit``: rows are (muscle code, side, dose, guidance)."""
    session = InjectionSession.objects.create(
        visit=visit,
        product=shipped(product_code),
        lot_number="LOT-7",
        lot_expiry=visit.date + timedelta(days=300),
        vial_units=None if vial_units is None else Decimal(vial_units),
        vial_count=vial_count,
        created_by=signer,
    )
    for position, (code, side, dose, guidance) in enumerate(rows):
        Injection.objects.create(
            session=session,
            muscle=muscle(code),
            side=side,
            dose=Decimal(dose),
            sites=2,
            guidance=guidance,
            position=position,
        )
    session.status = InjectionSession.Status.SIGNED
    session.signed_by = signer
    session.signed_at = timezone.make_aware(datetime.combine(visit.date, time(11)))
    session.planned_interval_weeks = planned_weeks
    session.save()
    return session


def cycle(patient, day, product_code, rows, *, signer, benefit=None, onset=None, wear_off=None, events=(), **kw):
    """A completed visit with the side effects it reported, a signed session and its response."""
    visit = VisitFactory(patient=patient, date=day)
    for event in events:
        AdverseEventFactory(visit=visit, **event)
    session = signed(visit, product_code, rows, signer=signer, **kw)
    if benefit is not None or onset is not None or wear_off is not None:
        CycleResponse.objects.create(
            visit=visit,
            benefit_percent=benefit,
            onset_week=onset,
            wear_off_week=wear_off,
            reported_on=day + timedelta(weeks=12),
        )
    return session
