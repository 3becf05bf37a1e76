"""Recording the response to a treatment cycle (patients.response.CycleResponse).

Same rules as every other recording service (patients.services): the visit row is locked, a form
opened on an older version is refused rather than overwriting a newer save, the record is validated
(fields, clean(), constraints) and its history row names the acting user.
"""

from django.db import transaction
from django.utils import timezone

from patients.response import CycleResponse
from patients.services import _check_version, _lock_visit, _save

RESPONSE_FIELDS = ("onset_week", "peak_week", "wear_off_week", "pgic", "benefit_percent", "reported_via", "notes")


@transaction.atomic
def cycle_response_record(*, visit, acting_user, seen_version=None, reported_on=None, **values):
    """Create or update the response to the injections given at ``visit``; every value is optional."""
    unknown = set(values) - set(RESPONSE_FIELDS)
    if unknown:
        raise TypeError(f"not response fields: {sorted(unknown)}")
    _lock_visit(visit)
    current = CycleResponse.objects.filter(visit=visit).first()
    _check_version(current, seen_version, noun="the response to this cycle", acting_user=acting_user)
    record = current or CycleResponse(visit=visit)
    for name in RESPONSE_FIELDS:
        if name in values:
            value = values[name]
            setattr(record, name, "" if value is None and name == "notes" else value)
    record.reported_on = reported_on or timezone.localdate()
    record.recorded_by = acting_user
    return _save(record, acting_user)
