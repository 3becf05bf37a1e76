"""Which audit entries a user may read: the same as the data they are about.

An entry about a patient quotes their record (old and new values of names, dates of birth, notes)
or says who opened it; reading it is reading clinical data. The audit report's own permission
(audit.view_audit_report) shows the entries about no patient: reference data, sign-ins, roles.
Entries about patients need audit.view_clinical_audit as well (the "Privacy officer" role).
Every view of the audit trail (the report, its CSV, the patient and MRN filters) starts here.
"""

from django.db.models import Q

from patients.audit.models import CHANGE_ACTIONS, AuditEvent

CLINICAL_AUDIT_PERMISSION = "audit.view_clinical_audit"

# An entry is about a patient when it names one, or when it is about a record of the patients app
# (an access entry for a list page names several patients in its changes, not in patient_id).
ABOUT_PATIENTS = Q(patient_id__isnull=False) | Q(object_type__startswith="patients.")


def may_read_clinical_entries(user):
    return user.has_perm(CLINICAL_AUDIT_PERMISSION)


def events_visible_to(user):
    """The audit entries ``user`` may read (the caller has checked audit.view_audit_report)."""
    events = AuditEvent.objects.all()
    if may_read_clinical_entries(user):
        return events
    return events.exclude(ABOUT_PATIENTS)


def patient_revision(patient_id):
    """The id of the newest audit entry that changed one of this patient's records, or 0 if none did.

    Every write to a patient's records is a save() of an audited model (patients.audit.managers refuses
    the bulk paths), and each save adds its entry in the same transaction, naming the patient: so this
    number changes with every committed change to what the patient's pages show, and ids are never
    reused, not even after a rollback. Pages cached under it (the chart) read it first. One index step
    (the audit_patient_changes index)."""
    newest = (
        AuditEvent.objects.filter(patient_id=patient_id, action__in=CHANGE_ACTIONS)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return newest or 0


def role_version():
    """The id of the newest role change on the trail, or 0 if there was none.

    Every change to what a user may do is a ROLE_CHANGE entry written in the same transaction as the change
    (patients.audit.receivers: a user's roles from either side, permissions given to a user or to a role, the
    active and superuser flags), and ids are never reused: so a user's permissions kept under this number are
    current for as long as it stays the same (planner.access.backends). One index step (audit_role_changes).
    """
    newest = (
        AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGE)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return newest or 0
