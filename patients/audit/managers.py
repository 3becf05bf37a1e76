"""Query sets for audited models: every write goes through save(), so history sees it.

QuerySet.update(), bulk_update() and delete() write straight to the database and skip the
history that django-simple-history keeps on save(); on an audited model they would change a
clinical record without a trace. They raise here, on the default manager and on every related
manager built from it (``patient.visits.update(...)`` too). Model.save() and Model.delete() are
unaffected: they go through the base manager and send the signals history listens to.

Bulk inserts (demo and benchmark data only) use simple_history.utils.bulk_create_with_history,
which writes the history rows too. bulk_update_with_history would call bulk_update() here and is
refused with it: there is no bulk path for changing clinical records.
"""

from django.db import models


class HistoryBypassError(TypeError):
    pass


class NeverDeletedError(HistoryBypassError):
    """Clinical and reference records are deactivated, never deleted (patients.audit.receivers)."""


class AuditedQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise HistoryBypassError(
            f"{self.model.__name__}.objects.update() would skip the audit history: save() each object instead."
        )

    def bulk_update(self, objs, fields, batch_size=None):
        raise HistoryBypassError(
            f"{self.model.__name__}.objects.bulk_update() would skip the audit trail: save() each object instead."
        )

    def delete(self):
        raise NeverDeletedError(f"{self.model.__name__} records are never deleted: deactivate them instead.")


AuditedManager = models.Manager.from_queryset(AuditedQuerySet)
