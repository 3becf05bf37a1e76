from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PlannerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "planner"
    verbose_name = "Injection planning and reference data"

    def ready(self):
        from planner.roles import sync_roles

        post_migrate.connect(sync_roles, sender=self, dispatch_uid="planner.sync_roles")
