"""Writing to the audit trail. Every write goes through `audit_record`."""

from django.db import transaction
from django.utils import timezone

from patients.audit import chain
from patients.audit.chain import GENESIS_HASH
from patients.audit.models import AuditChainHead, AuditEvent


def client_address(request):
    """The client's address as django-axes sees it (it knows the proxy settings)."""
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


@transaction.atomic
def audit_record(
    *,
    action,
    actor=None,
    request=None,
    obj=None,
    object_type="",
    object_id="",
    object_repr="",
    patient_id=None,
    changes=None,
    reason="",
):
    """Append one event to the chain, in the caller's transaction.

    The chain head is locked (SELECT ... FOR UPDATE) so that concurrent writers take turns;
    each holds it only for one insert.
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor=actor if actor is not None and actor.pk else None,
        actor_username=actor.get_username() if actor is not None else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        patient_id=patient_id,
        ip_address=client_address(request),
        path=request.get_full_path()[:300] if request is not None else "",
        changes=changes or {},
        reason=reason or "",
        previous_hash=head.last_hash,
    )
    key = chain.current_key()
    event.key_id = chain.key_id(key)
    event.hash = event.compute_hash(head.last_hash, key)
    event.save()
    # The head is bookkeeping, not a record: one UPDATE, without a model save's signals.
    AuditChainHead.objects.filter(pk=head.pk).update(last_hash=event.hash)
    return event


def log_access(request, obj, *, patient_id, what=""):
    """Record that the signed-in user opened a patient's chart, plan or record."""
    return audit_record(
        action=AuditEvent.Action.VIEW,
        request=request,
        obj=obj,
        patient_id=patient_id,
        changes={"opened": what} if what else None,
    )


def log_list_access(request, patient_ids, *, what):
    """Record that a list page (search results, the worklist) showed these patients: one entry naming
    them all, or none when it showed nobody. It is about the patients app's records (object_type), so
    only those who may read clinical audit entries see it (selectors.ABOUT_PATIENTS)."""
    shown = sorted(set(patient_ids))
    if not shown:
        return None
    return audit_record(
        action=AuditEvent.Action.VIEW,
        request=request,
        object_type="patients.patient",
        object_repr=what,
        changes={"opened": what, "patients": shown},
    )


def verify_chain():
    """Walk the chain oldest first; return (rows checked, first broken event or None, why).

    Each row is checked with the key it names; a row whose hash was recomputed without the key
    (plain SHA-256, or a guessed key) does not match."""
    keys = chain.known_keys()
    previous_hash = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.previous_hash != previous_hash:
            return checked, event, "its link to the entry before it does not match (an entry was removed or inserted)"
        if event.key_id not in keys:
            return (
                checked,
                event,
                f"it was sealed with a key this server does not have (key id {event.key_id or 'none'}): "
                "list the old key in AUDIT_HMAC_OLD_KEYS",
            )
        if event.compute_hash(previous_hash, keys[event.key_id]) != event.hash:
            return checked, event, "its content does not match its hash (it was edited)"
        previous_hash = event.hash
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != previous_hash:
        return checked, None, "the newest entries are missing (the chain head points past the last entry)"
    return checked, None, ""
