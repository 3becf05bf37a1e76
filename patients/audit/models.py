from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models

from patients.audit import chain

# The user flags whose changes are audited (receivers.audit_user_flags), each as [before, after].
WATCHED_USER_FLAGS = ("is_active", "is_staff", "is_superuser")


def _shown(value):
    """A stored value as a person reads it."""
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value) or "(none)"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_shown(item)}" for key, item in value.items()) or "(none)"
    return str(value)


@dataclass(frozen=True)
class ChangeLine:
    """One line of an entry's "what changed": a field's old and new value, or a plain value."""

    field: str
    value: str = ""
    old: str = ""
    new: str = ""
    is_change: bool = False


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
    SIGN = "sign", "Signed"
    AMEND = "amend", "Amended"
    EXPORT = "export", "Exported"
    LOGIN = "login", "Signed in"
    LOGOUT = "logout", "Signed out"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    ROLE_CHANGE = "role_change", "Roles changed"


# The actions that change a record (every save of an audited model, signing, amending), as opposed to
# reading it (view, export) or signing in.
CHANGE_ACTIONS = (AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE, AuditAction.SIGN, AuditAction.AMEND)


class AuditEvent(models.Model):
    """One thing that happened to clinical or reference data, or to who may see it.

    Append-only: the app never updates or deletes a row. Each row's hash is an HMAC, under a key
    the database never sees, of its content and the previous row's hash, so an edit or deletion
    made behind the app's back (in the database) breaks the chain at that row, even if the later
    hashes are recomputed without the key; `manage.py verify_audit_log` finds it (patients.audit.chain).
    """

    Action = AuditAction  # at module level too, where Meta.indexes can name its members

    occurred_at = models.DateTimeField("when", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="who",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Kept as text as well, so the entry still names the person if the account is renamed.
    actor_username = models.CharField("username", max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField("record type", max_length=100, blank=True)
    object_id = models.CharField("record id", max_length=64, blank=True)
    object_repr = models.CharField("record", max_length=200, blank=True)
    # A plain number, not a foreign key: the audit outlives and never constrains the record.
    patient_id = models.BigIntegerField("patient", null=True, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField("address", null=True, blank=True)
    path = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Which key sealed this row (chain.key_id), so rows sealed before a key rotation still verify.
    key_id = models.CharField("key id", max_length=8)

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("view_audit_report", "Can read the audit report"),
            # The entries about patients quote their records (old and new values): reading them is
            # reading clinical data, a permission of its own (selectors.events_visible_to).
            ("view_clinical_audit", "Can read the audit entries about patients"),
        ]
        indexes = [
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_time"),
            # The newest change to a patient's records (selectors.patient_revision), read on every chart view: the
            # access entries each view adds are left out, so the lookup stays one index step however often
            # the chart is opened.
            models.Index(
                fields=["patient_id", "-id"],
                condition=models.Q(action__in=CHANGE_ACTIONS),
                name="audit_patient_changes",
            ),
            # The entries about no patient (the negation of selectors.ABOUT_PATIENTS, which PostgreSQL matches to
            # this condition): the audit report of a reader without the clinical permission, newest first and
            # counted, without walking back through every access entry about patients to find the newest 50.
            models.Index(
                fields=["-id"],
                condition=models.Q(patient_id__isnull=True) & ~models.Q(object_type__startswith="patients."),
                name="audit_not_about_patients",
            ),
            # The newest change to who may do what (selectors.role_version), read on every signed-in request
            # by planner.access.backends: one index step, however many other entries came after it.
            models.Index(
                fields=["-id"],
                condition=models.Q(action=AuditAction.ROLE_CHANGE),
                name="audit_role_changes",
            ),
        ]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_username or 'system'} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Audit entries cannot be deleted.")

    def change_lines(self):
        """The changes as the report shows them: "old → new" for changed fields and user flags."""
        lines = []
        for field, value in self.changes.items():
            pair = isinstance(value, list) and len(value) == 2
            if pair and (
                self.action == self.Action.UPDATE
                or (self.action == self.Action.ROLE_CHANGE and field in WATCHED_USER_FLAGS)
            ):
                lines.append(ChangeLine(field=field, old=_shown(value[0]), new=_shown(value[1]), is_change=True))
            else:
                lines.append(ChangeLine(field=field, value=_shown(value)))
        return lines

    def compute_hash(self, previous_hash, key):
        return chain.seal(self, previous_hash, key)


class AuditChainHead(models.Model):
    """A single row holding the newest hash; locking it orders concurrent writers."""

    last_hash = models.CharField(max_length=64)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return self.last_hash
