"""Signal receivers that put changes, sign-ins and role changes on the audit trail."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, pre_delete, pre_save
from django.dispatch import receiver
from simple_history.models import HistoricalRecords, registered_models
from simple_history.signals import post_create_historical_record

from patients.audit.managers import NeverDeletedError
from patients.audit.models import WATCHED_USER_FLAGS, AuditEvent
from patients.audit.services import audit_record

# Parts of a record that editing it removes: a posture component the nurse un-ticks, a row of a draft
# plan. Their history keeps the removed row and who removed it. Every other model that keeps history
# is never deleted, by anyone: patients and reference rows are deactivated, the rest belong to them.
DELETABLE_PARTS = frozenset({"patients.posturecomponent", "planner.injection"})

HISTORY_ACTIONS = {"+": AuditEvent.Action.CREATE, "~": AuditEvent.Action.UPDATE, "-": AuditEvent.Action.DELETE}


def patient_id_of(instance):
    """Which patient a record belongs to: models say so with `audit_patient_id`, else a patient_id field."""
    if hasattr(instance, "audit_patient_id"):
        return instance.audit_patient_id
    return getattr(instance, "patient_id", None)


def _plain(value):
    return value if isinstance(value, (int, float, bool, type(None))) else str(value)


@receiver(post_create_historical_record)
def audit_history(sender, instance, history_instance, history_user, history_change_reason, **kwargs):
    changes = {}
    if history_instance.history_type == "~":
        previous = history_instance.prev_record
        if previous is not None:
            delta = history_instance.diff_against(previous)
            changes = {change.field: [_plain(change.old), _plain(change.new)] for change in delta.changes}
    request = getattr(HistoricalRecords.context, "request", None)
    audit_record(
        action=HISTORY_ACTIONS[history_instance.history_type],
        actor=history_user,
        request=request,
        obj=instance,
        patient_id=patient_id_of(instance),
        changes=changes,
        reason=history_change_reason or "",
    )


@receiver(pre_delete)
def refuse_deleting_records(sender, instance, **kwargs):
    """Model.delete() and the admin's delete both end here; QuerySet.delete() is refused earlier
    (patients.audit.managers). Many-to-many link rows (Django's own tables) are not records."""
    if sender._meta.auto_created or registered_models.get(sender._meta.db_table) is not sender:
        return
    if sender._meta.label_lower in DELETABLE_PARTS:
        return
    raise NeverDeletedError(
        f"{sender._meta.verbose_name.capitalize()} records are never deleted: deactivate them instead."
    )


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    audit_record(action=AuditEvent.Action.LOGIN, actor=user, request=request, obj=user)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action=AuditEvent.Action.LOGOUT, actor=user, request=request, obj=user)


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        action=AuditEvent.Action.LOGIN_FAILED,
        request=request,
        object_type="auth.user",
        object_repr=username,
        changes={"username": username},
    )


@receiver(m2m_changed, sender=get_user_model().groups.through)
def audit_role_change(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear") or reverse:
        return
    names = sorted(Group.objects.filter(pk__in=pk_set or []).values_list("name", flat=True))
    verb = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    audit_record(
        action=AuditEvent.Action.ROLE_CHANGE,
        obj=instance,
        changes={verb: names, "roles_now": sorted(instance.groups.values_list("name", flat=True))},
        request=getattr(HistoricalRecords.context, "request", None),
    )


# The other links that decide what a user may do. A user's own roles set from the user's side are
# audit_role_change's; every other change to these is audited here.
User = get_user_model()
ACCESS_LINKS = (User.groups.through, User.user_permissions.through, Group.permissions.through)
LINK_VERBS = {"post_add": "added", "post_remove": "removed"}


def audit_access_link_change(sender, instance, action, reverse, model, pk_set, **kwargs):
    """A user added to or removed from a role from the role's side, or a permission given to or taken from a
    user or a role: a role change on the trail like any other, named on the record it was made from.
    Clearing every link at once names none, so it is recorded as "cleared"; an add or remove that changed
    nothing (Django sends those too, e.g. from sync_roles after every migrate) is not recorded."""
    if sender is User.groups.through and not reverse:
        return
    if action == "post_clear":
        changes = {"cleared": f"every {model._meta.verbose_name} linked"}
    elif action in LINK_VERBS and pk_set:
        changes = {LINK_VERBS[action]: sorted(str(linked) for linked in model.objects.filter(pk__in=pk_set))}
    else:
        return
    audit_record(
        action=AuditEvent.Action.ROLE_CHANGE,
        obj=instance,
        changes=changes,
        request=getattr(HistoricalRecords.context, "request", None),
    )


for link in ACCESS_LINKS:
    m2m_changed.connect(audit_access_link_change, sender=link, dispatch_uid=f"audit-access-link-{link._meta.label}")


@receiver(pre_save, sender=get_user_model())
def audit_user_flags(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    before = sender.objects.filter(pk=instance.pk).values(*WATCHED_USER_FLAGS).first()
    if before is None:
        return
    changed = {
        flag: [before[flag], getattr(instance, flag)]
        for flag in WATCHED_USER_FLAGS
        if before[flag] != getattr(instance, flag)
    }
    if changed:
        audit_record(
            action=AuditEvent.Action.ROLE_CHANGE,
            obj=instance,
            changes=changed,
            request=getattr(HistoricalRecords.context, "request", None),
        )
