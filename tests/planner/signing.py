"""Test helpers for the signing gate: record a usable preparation, and sign accepting every finding."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from planner.models import Product
from planner.plans import selectors, services
from planner.rules.safety import Level

OVERRIDE_REASON = "Test: the clinician's reason"


def prepare(session, user, *, lot_expiry=None, reconstituted_at=None, lot_number="LOT-1"):
    """A preparation that can be used at the session's visit: the product's first vial size, a powder
    reconstituted an hour ago, a solution used as supplied."""
    product = session.product
    powder = product.form == Product.Form.POWDER
    return services.session_prepare(
        session=session,
        version=session.version,
        lot_number=lot_number,
        lot_expiry=lot_expiry or session.visit.date + timedelta(days=365),
        vial_units=Decimal(str(product.vial_sizes[0])),
        vial_count=1,
        diluent_ml=Decimal("2") if powder else Decimal(0),
        reconstituted_at=reconstituted_at or ((timezone.now() - timedelta(hours=1)) if powder else None),
        acting_user=user,
    )


def answers(session, *, now=None, reason=OVERRIDE_REASON):
    """An acknowledgement with ``reason`` for every override and warning the gate will find."""
    return {
        finding.key: reason
        for finding in selectors.session_findings(session, now=now)
        if finding.level in (Level.OVERRIDE, Level.WARNING)
    }


def sign_accepting_all(session, user, *, now=None, reason=OVERRIDE_REASON, **kwargs):
    """Sign through the gate, acknowledging every warning and giving ``reason`` for every override."""
    return services.session_sign(
        session=session,
        version=session.version,
        acknowledgements=answers(session, now=now, reason=reason),
        acting_user=user,
        now=now,
        **kwargs,
    )
