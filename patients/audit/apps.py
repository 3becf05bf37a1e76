from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit trail: an append-only, hash-chained log of access and changes.

    It lives inside `patients` (the lowest layer) so that both `patients` and `planner` can
    write to it without breaking the dependency direction. It never imports `planner`; the report
    reads `patients.models` only to show and search patients by MRN.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "patients.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from patients.audit import receivers  # noqa: F401  (connects the signal receivers)
